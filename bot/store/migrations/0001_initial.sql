-- Streakbot schema, version 1. IDs are Discord snowflakes (64-bit integers); days are the guild's
-- ISO calendar dates ('YYYY-MM-DD'); *_ms columns are Unix epoch milliseconds (UTC); *_at
-- columns are ISO 8601 instants with a +00:00 offset.

CREATE TABLE guilds (
    id              INTEGER PRIMARY KEY,
    config          TEXT    NOT NULL,           -- the guild's config as JSON (see guild_config)
    first_day       TEXT,                       -- guild day of its earliest event
    last_closed_day TEXT                        -- the latest day whose close is committed
);

CREATE TABLE members (
    guild         INTEGER NOT NULL REFERENCES guilds (id),
    user          INTEGER NOT NULL,
    is_bot        INTEGER NOT NULL DEFAULT 0,
    name          TEXT,                         -- display name, when a source gave one
    last_point_ms INTEGER,                      -- their last point-earning message (cooldown)
    PRIMARY KEY (guild, user)
) WITHOUT ROWID;

-- The message index: what replies, reactions and deletes need to know about earlier messages,
-- and nothing more (one row per message: the lean row keeps ingest fast).
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    guild           INTEGER NOT NULL REFERENCES guilds (id),
    author          INTEGER NOT NULL,
    day             TEXT    NOT NULL,           -- the guild day it was sent
    human           INTEGER NOT NULL,
    points          INTEGER NOT NULL DEFAULT 0, -- points it earned its author
    reply_target    INTEGER,                    -- the human it replied to, fixed on arrival
    mention_targets TEXT,                       -- comma-separated humans it mentioned
    deleted         INTEGER NOT NULL DEFAULT 0
);

-- Directed exchanges per day, aggregated: how many times src engaged dst by kind. Keyed by the
-- pair (a < b) first, so that the day close groups a day's exchanges by pair without sorting.
CREATE TABLE exchanges (
    guild INTEGER NOT NULL REFERENCES guilds (id),
    day   TEXT    NOT NULL,
    a     INTEGER NOT NULL,
    b     INTEGER NOT NULL,
    src   INTEGER NOT NULL,
    dst   INTEGER GENERATED ALWAYS AS (a + b - src) VIRTUAL,
    kind  TEXT    NOT NULL CHECK (kind IN ('reply', 'mention', 'reaction')),
    count INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (guild, day, a, b, src, kind),
    CHECK (a < b AND src IN (a, b))
) WITHOUT ROWID;

-- A member's points per day; a row also marks that they took part that day.
CREATE TABLE member_days (
    guild  INTEGER NOT NULL REFERENCES guilds (id),
    day    TEXT    NOT NULL,
    member INTEGER NOT NULL,
    points INTEGER NOT NULL CHECK (points >= 0),
    PRIMARY KEY (guild, day, member)
) WITHOUT ROWID;

CREATE TABLE streaks (
    guild     INTEGER NOT NULL REFERENCES guilds (id),
    a         INTEGER NOT NULL,                 -- the pair, smaller ID first
    b         INTEGER NOT NULL,
    current   INTEGER NOT NULL CHECK (current >= 0),
    best      INTEGER NOT NULL CHECK (best >= current),
    last_day  TEXT    NOT NULL,                 -- the pair's last qualifying day
    freezes   INTEGER NOT NULL DEFAULT 0 CHECK (freezes >= 0),
    run_start TEXT    NOT NULL,                 -- first day of the current (or last) run
    PRIMARY KEY (guild, a, b),
    CHECK (a < b)
) WITHOUT ROWID;
-- A member's streaks: by a through the primary key, by b through this index. There is on
-- purpose no index on current or last_day: they change for every live pair every day.
CREATE INDEX streaks_by_b ON streaks (guild, b);

-- Leaderboard snapshot, rebuilt by each close: the longest live streaks...
CREATE TABLE streak_leaders (
    guild    INTEGER NOT NULL REFERENCES guilds (id),
    position INTEGER NOT NULL,
    a        INTEGER NOT NULL,
    b        INTEGER NOT NULL,
    current  INTEGER NOT NULL,
    best     INTEGER NOT NULL,
    last_day TEXT    NOT NULL,
    freezes  INTEGER NOT NULL,
    PRIMARY KEY (guild, position)
) WITHOUT ROWID;

-- ...and how many live streaks have each length (ranks are sums over it).
CREATE TABLE streak_lengths (
    guild   INTEGER NOT NULL REFERENCES guilds (id),
    current INTEGER NOT NULL,
    pairs   INTEGER NOT NULL,
    PRIMARY KEY (guild, current)
) WITHOUT ROWID;

-- Exactly one close per guild and day: the close's own transaction writes this row.
CREATE TABLE day_closes (
    guild     INTEGER NOT NULL REFERENCES guilds (id),
    day       TEXT    NOT NULL,
    closed_at TEXT    NOT NULL,
    pairs     INTEGER NOT NULL,                 -- qualifying pairs that day
    paid      INTEGER NOT NULL,                 -- tokens paid out
    PRIMARY KEY (guild, day)
) WITHOUT ROWID;

-- A tier is rewarded once per run of a streak (a run is identified by its first day).
CREATE TABLE tier_rewards (
    guild     INTEGER NOT NULL REFERENCES guilds (id),
    a         INTEGER NOT NULL,
    b         INTEGER NOT NULL,
    tier      TEXT    NOT NULL,
    run_start TEXT    NOT NULL,
    day       TEXT    NOT NULL,
    PRIMARY KEY (guild, a, b, tier, run_start)
) WITHOUT ROWID;

CREATE TABLE member_badges (
    guild  INTEGER NOT NULL REFERENCES guilds (id),
    member INTEGER NOT NULL,
    tier   TEXT    NOT NULL,
    day    TEXT    NOT NULL,                    -- when first earned; badges are kept for good
    PRIMARY KEY (guild, member, tier)
) WITHOUT ROWID;

-- Append-only token ledger. Each entry moves `amount` from `source` to `target`; NULL is the
-- outside world (funding), 0 the guild treasury, any other number a member's account.
CREATE TABLE ledger (
    id         INTEGER PRIMARY KEY,
    guild      INTEGER NOT NULL REFERENCES guilds (id),
    key        TEXT    NOT NULL UNIQUE,         -- idempotency key: a payment happens once
    source     INTEGER,
    target     INTEGER,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    reason     TEXT    NOT NULL,
    day        TEXT,
    created_at TEXT    NOT NULL,
    CHECK (source IS NOT NULL OR target IS NOT NULL),
    CHECK (source IS NOT target)
);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

-- Balances, maintained by the ledger's writer in the same transaction as the entries.
CREATE TABLE balances (
    guild   INTEGER NOT NULL REFERENCES guilds (id),
    account INTEGER NOT NULL,
    balance INTEGER NOT NULL CHECK (balance >= 0),
    PRIMARY KEY (guild, account)
) WITHOUT ROWID;
