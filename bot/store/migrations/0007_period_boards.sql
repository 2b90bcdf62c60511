-- Streakbot schema: weekly and monthly boards of members by points, their history,
-- and the role that goes to each period's winners.
--
-- A period's live board is a range of member_days over its days (the primary key leads with
-- (guild, day)); nothing here is written while a period runs. Once its last day is closed, the
-- period is finalised: one row in period_closes (the same transaction writes its standings, so
-- a second finalisation finds the row and changes nothing) and its top standings.

CREATE TABLE period_closes (
    guild     INTEGER NOT NULL REFERENCES guilds (id),
    period    TEXT    NOT NULL CHECK (period IN ('week', 'month')),
    first_day TEXT    NOT NULL,                 -- the period's first guild day (its key)
    last_day  TEXT    NOT NULL,                 -- and its last
    members   INTEGER NOT NULL,                 -- members with points in the period
    points    INTEGER NOT NULL,                 -- their points together
    closed_at TEXT    NOT NULL,                 -- when it was finalised
    PRIMARY KEY (guild, period, first_day),
    CHECK (first_day <= last_day)
) WITHOUT ROWID;

-- The final standings of a period: everyone ranked within the top (competition ranks, so ties at
-- the cut all stay), in board order (points, then member ID). Winners are rank 1.
CREATE TABLE period_standings (
    guild     INTEGER NOT NULL,
    period    TEXT    NOT NULL,
    first_day TEXT    NOT NULL,
    position  INTEGER NOT NULL CHECK (position >= 1),
    rank      INTEGER NOT NULL CHECK (rank >= 1 AND rank <= position),
    member    INTEGER NOT NULL,
    points    INTEGER NOT NULL CHECK (points > 0),
    PRIMARY KEY (guild, period, first_day, position),
    FOREIGN KEY (guild, period, first_day) REFERENCES period_closes (guild, period, first_day)
) WITHOUT ROWID;
-- A member's own line of a period ("my rank"); also keeps a member to one line per period.
CREATE UNIQUE INDEX period_standings_by_member ON period_standings (guild, period, first_day,
                                                                    member);
-- A member's lines over all periods (what an erasure deletes).
CREATE INDEX period_standings_of_member ON period_standings (guild, member);

-- The role an owner chose for each kind of period's winners (`/winner-role`).
CREATE TABLE period_roles (
    guild  INTEGER NOT NULL REFERENCES guilds (id),
    period TEXT    NOT NULL CHECK (period IN ('week', 'month')),
    role   INTEGER NOT NULL,
    set_by INTEGER NOT NULL,
    set_at TEXT    NOT NULL,
    PRIMARY KEY (guild, period)
) WITHOUT ROWID;

-- Who holds a winner role as a winner, and which role it was: the role moves by comparing these
-- rows with the latest winners, so a move that failed half way (a missing permission, a
-- restart) is finished by the next pass. A winner who already had the role (given by hand) is
-- recorded with given = 0 and keeps it when their turn ends.
CREATE TABLE period_role_holders (
    guild     INTEGER NOT NULL REFERENCES guilds (id),
    period    TEXT    NOT NULL CHECK (period IN ('week', 'month')),
    member    INTEGER NOT NULL,
    role      INTEGER NOT NULL,
    first_day TEXT    NOT NULL,                 -- the period they won
    given     INTEGER NOT NULL CHECK (given IN (0, 1)),  -- 1: the bot added the role
    PRIMARY KEY (guild, period, member)
) WITHOUT ROWID;
