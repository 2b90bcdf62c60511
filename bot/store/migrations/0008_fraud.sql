-- Streakbot schema, version 8: issue 5's anti-fraud. The detector's evidence (exchanges with
-- their instants, members' join times and daily exchange counts), what it found each day, and
-- the rewards it held in escrow (ledger account 2, see bot/domain/ledger.py).

-- When a member joined the guild (Unix ms); NULL when no source said (a member since before
-- anything was recorded).
ALTER TABLE members ADD COLUMN joined_ms INTEGER;

-- Every exchange ingest met while [fraud] is on, with its instant: the evidence of the pair,
-- ring and quality signals. Low-quality messages are in, with their verdict, although they
-- count for nothing. The day close prunes what is older than the detector's window.
CREATE TABLE fraud_exchanges (
    guild   INTEGER NOT NULL REFERENCES guilds (id),
    day     TEXT    NOT NULL,
    src     INTEGER NOT NULL,
    dst     INTEGER NOT NULL,
    at_ms   INTEGER NOT NULL,
    kind    TEXT    NOT NULL CHECK (kind IN ('reply', 'mention', 'reaction')),
    message INTEGER,                            -- the message that made it; NULL: a reaction
    verdict TEXT                                -- NULL: it counted; else the quality verdict
);
CREATE INDEX fraud_exchanges_by_day ON fraud_exchanges (guild, day);

-- Exchanges each member made on each closed day (the burst signal's history), kept for the
-- burst window.
CREATE TABLE fraud_member_days (
    guild  INTEGER NOT NULL REFERENCES guilds (id),
    day    TEXT    NOT NULL,
    member INTEGER NOT NULL,
    made   INTEGER NOT NULL CHECK (made >= 0),
    PRIMARY KEY (guild, member, day)
) WITHOUT ROWID;

-- What the detector found at each close: every member (b = 0) and pair (a < b) with a reason,
-- its risk score, its reasons as JSON [[signal, detail, weight], ...] (evidence, never
-- content) and whether its rewards of the day were held.
CREATE TABLE fraud_flags (
    guild   INTEGER NOT NULL REFERENCES guilds (id),
    day     TEXT    NOT NULL,
    a       INTEGER NOT NULL,
    b       INTEGER NOT NULL DEFAULT 0,
    score   REAL    NOT NULL CHECK (score BETWEEN 0 AND 1),
    held    INTEGER NOT NULL CHECK (held IN (0, 1)),
    reasons TEXT    NOT NULL,
    PRIMARY KEY (guild, day, a, b)
) WITHOUT ROWID;

-- Rewards held in escrow: one row per held payment. The close moved `amount` from `source`
-- (the treasury, or a pool) to the escrow account under the payment's own key; a release moves
-- it on to the member, a void back to `source`. Each happens once (the ledger's keys), and a
-- decided hold is never reopened.
CREATE TABLE holds (
    id         INTEGER PRIMARY KEY,
    guild      INTEGER NOT NULL REFERENCES guilds (id),
    day        TEXT    NOT NULL,                -- the close that held it
    member     INTEGER NOT NULL,                -- whom it is owed to
    a          INTEGER,                         -- the pair whose tier it is; NULL otherwise
    b          INTEGER,
    source     INTEGER NOT NULL,                -- the account it came from
    amount     INTEGER NOT NULL CHECK (amount > 0),
    reason     TEXT    NOT NULL,                -- the payment's: points, tier, pool, challenge
    key        TEXT    NOT NULL UNIQUE,         -- the payment's ledger key
    why        TEXT    NOT NULL,                -- the risk reasons, as in fraud_flags
    status     TEXT    NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'released', 'voided')),
    decided_by INTEGER,                         -- the moderator; NULL when automatic
    decided_at TEXT,
    CHECK ((status = 'held') = (decided_at IS NULL))
);
CREATE INDEX holds_by_status ON holds (guild, status, day);
CREATE INDEX holds_by_member ON holds (guild, member, status);
