-- Streakbot schema, version 2: what the members' slash commands read.

-- A member's token history: their entries of each day are a seek into these indexes. They lead
-- with the day on purpose: a close pays most members every day, and an index led by the member
-- would take one new entry in every member's range, i.e. rewrite all its pages, at every close
-- (and more of them as history grows); led by the day, a close appends at the end. Entries that
-- touch a member always carry the guild day; members only spend (`source`), the treasury and the
-- outside world are left out of the second index.
CREATE INDEX ledger_by_day_target ON ledger (guild, day, target);
CREATE INDEX ledger_by_day_source ON ledger (guild, day, source) WHERE source > 0;

-- Problems the bot told a guild's owners about (a missing permission, an unfunded treasury...),
-- so that each is told once rather than at every occurrence.
CREATE TABLE owner_notices (
    guild      INTEGER NOT NULL REFERENCES guilds (id),
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '',     -- what the notice is about, e.g. a channel ID
    noticed_at TEXT    NOT NULL,
    PRIMARY KEY (guild, kind, detail)
) WITHOUT ROWID;
