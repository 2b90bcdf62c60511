-- Streakbot schema: community incentives: community incentives. Events multiply points for a while,
-- pools are sponsored accounts that pay extra for exchanges in a channel, challenges are
-- server-wide goals paid once when met.

CREATE TABLE points_events (
    id          INTEGER PRIMARY KEY,
    guild       INTEGER NOT NULL REFERENCES guilds (id),
    name        TEXT    NOT NULL,
    percent     INTEGER NOT NULL CHECK (percent > 100 AND percent <= 1000),  -- 150 = points x1.5
    channels    TEXT    NOT NULL DEFAULT '[]',  -- JSON list of channel IDs; [] = everywhere
    tier_tokens INTEGER NOT NULL DEFAULT 0,     -- also multiply tier tokens at the close
    starts_at   TEXT    NOT NULL,
    ends_at     TEXT    NOT NULL,               -- stopping an event early moves this
    created_by  INTEGER,
    CHECK (ends_at > starts_at)
);
CREATE INDEX points_events_by_end ON points_events (guild, ends_at);

-- A pool's tokens live in the ledger under the account -id (the treasury is 0, members > 0).
CREATE TABLE pools (
    id           INTEGER PRIMARY KEY,
    guild        INTEGER NOT NULL REFERENCES guilds (id),
    name         TEXT    NOT NULL,
    channel      INTEGER,                       -- exchanges here earn from the pool
    per_exchange INTEGER NOT NULL DEFAULT 0 CHECK (per_exchange >= 0),
    created_by   INTEGER,
    created_at   TEXT    NOT NULL,
    UNIQUE (guild, name)
);

-- Exchanges made in a pool's channel, by member and day, counted at ingest for the close.
CREATE TABLE pool_days (
    guild     INTEGER NOT NULL REFERENCES guilds (id),
    day       TEXT    NOT NULL,
    pool      INTEGER NOT NULL REFERENCES pools (id),
    member    INTEGER NOT NULL,
    exchanges INTEGER NOT NULL CHECK (exchanges >= 0),
    PRIMARY KEY (guild, day, pool, member)
) WITHOUT ROWID;

CREATE TABLE challenges (
    id         INTEGER PRIMARY KEY,
    guild      INTEGER NOT NULL REFERENCES guilds (id),
    name       TEXT    NOT NULL,
    pairs      INTEGER NOT NULL CHECK (pairs > 0),   -- this many pairs...
    days       INTEGER NOT NULL CHECK (days > 0),    -- ...hold a streak of at least this long
    deadline   TEXT    NOT NULL,                     -- the last guild day it can be met on
    reward     INTEGER NOT NULL CHECK (reward > 0),  -- tokens to each contributing member
    pool       INTEGER REFERENCES pools (id),        -- paid from this pool, else the treasury
    created_by INTEGER,
    created_at TEXT    NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'met', 'expired')),
    closed_day TEXT,                                 -- the day it was met or expired
    paid       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (guild, name)
);
