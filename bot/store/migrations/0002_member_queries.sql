-- Streakbot schema, version 2: what the members' slash commands read.

-- A member's token history, newest first: the entries they received and those they spent,
-- each side read in id order straight from its index and merged.
CREATE INDEX ledger_by_target ON ledger (guild, target, id);
CREATE INDEX ledger_by_source ON ledger (guild, source, id);

-- Problems the bot told a guild's owners about (a missing permission, an unfunded treasury...),
-- so that each is told once rather than at every occurrence.
CREATE TABLE owner_notices (
    guild      INTEGER NOT NULL REFERENCES guilds (id),
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '',     -- what the notice is about, e.g. a channel ID
    noticed_at TEXT    NOT NULL,
    PRIMARY KEY (guild, kind, detail)
) WITHOUT ROWID;
