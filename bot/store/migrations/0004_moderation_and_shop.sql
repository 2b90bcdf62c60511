-- Streakbot schema, version 4: moderation, the shop, privacy and reminders.

-- Members suspended from rewards: nothing they do counts and nothing is paid to them until
-- `until` (NULL: until a moderator lifts it). One row per member; lifting deletes it.
CREATE TABLE suspensions (
    guild     INTEGER NOT NULL REFERENCES guilds (id),
    member    INTEGER NOT NULL,
    since     TEXT    NOT NULL,
    until     TEXT,
    source    TEXT    NOT NULL CHECK (source IN ('command', 'timeout', 'kick', 'ban')),
    moderator INTEGER,                          -- NULL when Discord's own moderation caused it
    reason    TEXT    NOT NULL,
    PRIMARY KEY (guild, member)
) WITHOUT ROWID;

-- Every moderator action, for /mod audit (ledger entries carry their own reasons).
CREATE TABLE mod_actions (
    id        INTEGER PRIMARY KEY,
    guild     INTEGER NOT NULL REFERENCES guilds (id),
    moderator INTEGER,                          -- NULL for automatic actions
    action    TEXT    NOT NULL,
    target    INTEGER,
    partner   INTEGER,                          -- the other member of a voided pair
    amount    INTEGER,
    reason    TEXT    NOT NULL,
    at        TEXT    NOT NULL
);
CREATE INDEX mod_actions_by_target ON mod_actions (guild, target, id);

-- Members who asked not to be tracked: their events and pairs stop counting.
CREATE TABLE opt_outs (
    guild  INTEGER NOT NULL REFERENCES guilds (id),
    member INTEGER NOT NULL,
    since  TEXT    NOT NULL,
    PRIMARY KEY (guild, member)
) WITHOUT ROWID;

-- Members who opted in to streak reminders, and the last guild day they were reminded.
CREATE TABLE reminders (
    guild         INTEGER NOT NULL REFERENCES guilds (id),
    member        INTEGER NOT NULL,
    last_reminded TEXT,
    PRIMARY KEY (guild, member)
) WITHOUT ROWID;

-- What a break took, so that a restore (bought within the configured hours) can give it back;
-- a run is restored at most once (`restored_run` holds the run_start it was done for).
ALTER TABLE streaks ADD COLUMN broken_length INTEGER NOT NULL DEFAULT 0;
ALTER TABLE streaks ADD COLUMN broken_day TEXT;
ALTER TABLE streaks ADD COLUMN restored_run TEXT;
