-- Streakbot schema, version 3: a day's exchanges are kept as one row per pair, with a count per
-- direction and kind, instead of one row per (direction, kind). Ingest writes about half as many
-- rows, and the day close finds the qualifying pairs with a filter instead of grouping (a pair
-- qualifies on what one row says).

CREATE TABLE pair_days (
    guild      INTEGER NOT NULL REFERENCES guilds (id),
    day        TEXT    NOT NULL,
    a          INTEGER NOT NULL,                -- the pair, smaller ID first
    b          INTEGER NOT NULL,
    a_reply    INTEGER NOT NULL DEFAULT 0 CHECK (a_reply >= 0),     -- a engaged b, by kind
    a_mention  INTEGER NOT NULL DEFAULT 0 CHECK (a_mention >= 0),
    a_reaction INTEGER NOT NULL DEFAULT 0 CHECK (a_reaction >= 0),
    b_reply    INTEGER NOT NULL DEFAULT 0 CHECK (b_reply >= 0),     -- b engaged a, by kind
    b_mention  INTEGER NOT NULL DEFAULT 0 CHECK (b_mention >= 0),
    b_reaction INTEGER NOT NULL DEFAULT 0 CHECK (b_reaction >= 0),
    PRIMARY KEY (guild, day, a, b),
    CHECK (a < b)
) WITHOUT ROWID;

INSERT INTO pair_days (guild, day, a, b, a_reply, a_mention, a_reaction, b_reply, b_mention,
                       b_reaction)
SELECT guild, day, a, b,
       sum(CASE WHEN src = a AND kind = 'reply' THEN count ELSE 0 END),
       sum(CASE WHEN src = a AND kind = 'mention' THEN count ELSE 0 END),
       sum(CASE WHEN src = a AND kind = 'reaction' THEN count ELSE 0 END),
       sum(CASE WHEN src = b AND kind = 'reply' THEN count ELSE 0 END),
       sum(CASE WHEN src = b AND kind = 'mention' THEN count ELSE 0 END),
       sum(CASE WHEN src = b AND kind = 'reaction' THEN count ELSE 0 END)
FROM exchanges GROUP BY guild, day, a, b;

DROP TABLE exchanges;

-- The directed exchanges as before, for reading (inspection, reports): one row per direction
-- and kind that happened.
CREATE VIEW exchanges (guild, day, a, b, src, dst, kind, count) AS
          SELECT guild, day, a, b, a, b, 'reply', a_reply FROM pair_days WHERE a_reply > 0
UNION ALL SELECT guild, day, a, b, a, b, 'mention', a_mention FROM pair_days WHERE a_mention > 0
UNION ALL SELECT guild, day, a, b, a, b, 'reaction', a_reaction FROM pair_days WHERE a_reaction > 0
UNION ALL SELECT guild, day, a, b, b, a, 'reply', b_reply FROM pair_days WHERE b_reply > 0
UNION ALL SELECT guild, day, a, b, b, a, 'mention', b_mention FROM pair_days WHERE b_mention > 0
UNION ALL SELECT guild, day, a, b, b, a, 'reaction', b_reaction FROM pair_days WHERE b_reaction > 0;
