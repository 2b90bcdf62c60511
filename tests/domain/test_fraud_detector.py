"""Issue 5, the day's verdict: every signal run over one day's evidence by `judge_day`, on small
hand-made days (a ring, old friends, colluders, a burst, a newcomer)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.exchanges import MENTION, REACTION, REPLY
from bot.domain.fraud import (
    BURST,
    CLOSED_PARTNERS,
    LOW_QUALITY,
    PING_PONG,
    RING,
    TOO_NEW,
    TOO_SHORT,
    FraudThresholds,
)
from bot.domain.fraud.accounts import DISCORD_EPOCH_MS
from bot.domain.fraud.detector import (
    DayEvidence,
    LoggedExchange,
    burst_candidates,
    judge_day,
    pair_exchanges,
    window_pairs,
)
from bot.domain.streaks import Pair, pair_of

DEFAULTS = FraudThresholds()
TODAY = date(2026, 3, 20)
START = datetime(2026, 3, 20, tzinfo=UTC)
END = START + timedelta(days=1)  # the evidence's `at`: the day's end


def snowflake(created: datetime, low_bits: int = 0) -> int:
    """A Discord ID made at `created` (the low 22 bits are worker, process and increment)."""
    return ((round(created.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22) | low_bits


def old(n: int) -> int:
    """An account made years ago."""
    return snowflake(datetime(2019, 5, 1, tzinfo=UTC), n)


def new(n: int, *, before: timedelta = timedelta(days=10)) -> int:
    """An account made `before` the day began (ten days: past the gate, new for rings)."""
    return snowflake(START - before, n)


RING_ACCOUNTS = tuple(new(n) for n in range(1, 6))
FRIENDS = (old(1), old(2))
TIGHT = (old(11), old(12), old(13), old(14))
COLLUDERS = (old(21), old(22))
_ids = itertools.count(1_000_000)


def moment(day: date, seconds: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def conversation(
    a: int,
    b: int,
    day: date,
    start: float,
    gaps: Sequence[float],
    verdict: str | None = None,
    kind: str = REPLY,
) -> list[LoggedExchange]:
    """`a` and `b` answering each other in turn (one message each), `start` seconds into `day`,
    each next answer `gap` seconds after the last."""
    out, when, speakers = [], start, (a, b)
    for index in range(len(gaps) + 1):
        if index:
            when += gaps[index - 1]
        src = speakers[index % 2]
        out.append(
            LoggedExchange(
                src, speakers[1 - index % 2], moment(day, when), kind, next(_ids), verdict
            )
        )
    return out


def scripted_session(members: Sequence[int], start: float, gap: float, rounds: int = 2):
    """A ring's script: members speak in turn `gap` seconds apart, each message mentioning every
    other member, so every pair goes both ways."""
    out, when = [], start
    for _ in range(rounds):
        for speaker in members:
            message = next(_ids)
            out += [
                LoggedExchange(speaker, other, moment(TODAY, when), MENTION, message, None)
                for other in members
                if other != speaker
            ]
            when += gap
    return out


def thread(members: Sequence[int], start: float, gaps: Iterable[float], day: date = TODAY):
    """An honest thread at human pace: speakers take turns, each replying to the one before."""
    out, when, previous = [], start, members[-1]
    for index, gap in enumerate(gaps):
        speaker = members[index % len(members)]
        out.append(LoggedExchange(speaker, previous, moment(day, when), REPLY, next(_ids), None))
        previous, when = speaker, when + gap
    return out


HUMAN = [38, 61, 125, 240, 44, 30, 95, 52, 300, 70, 41, 229]  # 30 to 300 s


def window_of(
    today: Sequence[LoggedExchange],
    past: Mapping[date, Sequence[LoggedExchange]],
    thresholds: FraudThresholds = DEFAULTS,
) -> dict[Pair, dict[date, list[LoggedExchange]]]:
    """What the service gathers: for each pair `window_pairs` judges today, its replies and
    mentions on each day of the window (today's included)."""
    days = {**past, TODAY: today}
    window: dict[Pair, dict[date, list[LoggedExchange]]] = {}
    for pair in window_pairs(pair_exchanges(today), thresholds):
        for day, found in days.items():
            mine = [e for e in found if e.kind != REACTION and pair_of(e.src, e.dst) == pair]
            if mine:
                window.setdefault(pair, {})[day] = mine
    return window


def risks_by_member(verdict) -> dict[int, tuple[str, ...]]:
    return {risk.member: risk.signals for risk in verdict.members}


def risks_by_pair(verdict) -> dict[Pair, tuple[str, ...]]:
    return {risk.pair: risk.signals for risk in verdict.pairs}


# --- rings ---------------------------------------------------------------------------------------


def ring_day() -> list[LoggedExchange]:
    """Five new accounts farming every pair seconds apart, and two old friends at human pace."""
    day = scripted_session(RING_ACCOUNTS, 20 * 3600, 7) + scripted_session(
        RING_ACCOUNTS, 23 * 3600, 8
    )
    return day + conversation(*FRIENDS, TODAY, 9 * 3600, HUMAN)


def test_a_ring_of_new_accounts_is_held_members_and_pairs():
    exchanges = ring_day()
    verdict = judge_day(DayEvidence(at=END, exchanges=exchanges), DEFAULTS)

    assert verdict.held_members == frozenset(RING_ACCOUNTS)
    ring_pairs = {pair_of(a, b) for a, b in itertools.combinations(RING_ACCOUNTS, 2)}
    assert verdict.held_pairs == ring_pairs
    members = risks_by_member(verdict)
    assert set(members) == set(RING_ACCOUNTS)  # the old friends have no reason at all
    for member in RING_ACCOUNTS:
        assert members[member] == (RING,)
    for risk in verdict.members:
        assert risk.score == pytest.approx(DEFAULTS.weight_ring)
        assert risk.reasons[0].detail.startswith("group of 5: 100% of 80 exchanges inside")
    assert risks_by_pair(verdict) == dict.fromkeys(ring_pairs, (RING,))
    assert verdict.made[RING_ACCOUNTS[0]] == 16  # 4 mentions a message, 4 messages
    assert verdict.made[FRIENDS[0]] == 7


def test_the_same_ring_of_old_accounts_is_not_a_ring():
    """Not mostly new: a group of old accounts answering fast is a group (other signals judge
    its pairs), not a ring."""
    olds = tuple(old(n) for n in range(31, 36))
    exchanges = scripted_session(olds, 20 * 3600, 7)
    verdict = judge_day(DayEvidence(at=END, exchanges=exchanges), DEFAULTS)
    assert verdict.members == ()
    assert verdict.held_members == frozenset()
    assert verdict.held_pairs == frozenset()


# --- honest look-alikes --------------------------------------------------------------------


def friends_fortnight() -> tuple[list[LoggedExchange], dict[date, list[LoggedExchange]]]:
    """Two old friends talking every day for 14 days, replies 30 to 300 s apart, with content."""
    past = {
        TODAY - timedelta(days=n): conversation(
            *FRIENDS, TODAY - timedelta(days=n), 18 * 3600, HUMAN[n % 4 :]
        )
        for n in range(1, 14)
    }
    return conversation(*FRIENDS, TODAY, 18 * 3600, HUMAN), past


def test_old_friends_at_human_pace_are_not_judged_over_their_window():
    today, past = friends_fortnight()
    assert window_pairs(pair_exchanges(today), DEFAULTS) == set()
    verdict = judge_day(
        DayEvidence(at=END, exchanges=today, window=window_of(today, past)), DEFAULTS
    )
    assert verdict.members == ()
    assert verdict.pairs == ()
    assert verdict.held_members == verdict.held_pairs == frozenset()


def test_old_friends_fortnight_shows_no_ping_pong_even_when_judged():
    """Given the whole window anyway (as if something else had put them under judgement), a
    human-paced fortnight has no immediate ping-pong."""
    today, past = friends_fortnight()
    pair = pair_of(*FRIENDS)
    window = {pair: {**past, TODAY: today}}
    verdict = judge_day(DayEvidence(at=END, exchanges=today, window=window), DEFAULTS)
    assert verdict.pairs == ()
    assert verdict.held_pairs == frozenset()


def tight_group_day() -> list[LoggedExchange]:
    return thread(TIGHT, 9 * 3600, HUMAN) + thread(TIGHT, 21 * 3600, HUMAN)


def tight_partners(group: Sequence[int] = TIGHT) -> dict[int, set[int]]:
    return {member: set(group) - {member} for member in group}


def test_a_tight_group_of_old_friends_is_not_flagged_at_all():
    """Nobody fired any other signal: the closed circle is not even looked at."""
    verdict = judge_day(
        DayEvidence(at=END, exchanges=tight_group_day(), partners=tight_partners()), DEFAULTS
    )
    assert verdict.members == ()
    assert verdict.held_members == frozenset()


def test_a_tight_group_member_with_a_low_quality_day_is_flagged_never_held():
    """One of the friends answers in "."s all day: low quality (0.5) and, now a suspect, the
    closed group (0.3): 0.65, below the hold threshold."""
    talker = TIGHT[0]
    terse = [
        LoggedExchange(
            talker, TIGHT[1 + n % 3], moment(TODAY, 12 * 3600 + 90 * n), REPLY, m, TOO_SHORT
        )
        for n, m in zip(range(10), _ids, strict=False)
    ]
    verdict = judge_day(
        DayEvidence(at=END, exchanges=tight_group_day() + terse, partners=tight_partners()),
        DEFAULTS,
    )
    (risk,) = verdict.members
    assert risk.member == talker
    assert risk.signals == (LOW_QUALITY, CLOSED_PARTNERS)
    # 10 "." among 16 messages of the day (6 thread replies counted): 10/16 low.
    assert risk.reasons[0].weight == pytest.approx(0.5 * 10 / 16)
    assert risk.score == pytest.approx(1 - (1 - 0.5 * 10 / 16) * (1 - 0.3))
    assert verdict.held_members == frozenset()


def test_new_account_low_quality_closed_group_stays_below_the_hold():
    """The weakest signals together (0.2 + 0.5 + 0.3) give 0.72: a flag, never a hold."""
    newcomer = new(40, before=-timedelta(hours=2))  # made two hours into the day
    group = (newcomer, *TIGHT[:3])
    terse = [
        LoggedExchange(
            newcomer, group[1 + n % 3], moment(TODAY, 12 * 3600 + 90 * n), REPLY, m, TOO_SHORT
        )
        for n, m in zip(range(10), _ids, strict=False)
    ]
    day = thread(group, 9 * 3600, HUMAN) + terse
    verdict = judge_day(
        DayEvidence(at=END, exchanges=day, partners=tight_partners(group)), DEFAULTS
    )
    risks = {risk.member: risk for risk in verdict.members}
    assert set(risks) == {newcomer}
    risk = risks[newcomer]
    assert set(risk.signals) == {TOO_NEW, LOW_QUALITY, CLOSED_PARTNERS}
    low = 0.5 * 10 / 13  # 10 "." among 13 messages (3 thread replies counted)
    assert risk.score == pytest.approx(1 - (1 - 0.2) * (1 - low) * (1 - 0.3))
    assert risk.score < DEFAULTS.hold_threshold
    assert verdict.held_members == frozenset()


# --- colluding pairs -----------------------------------------------------------------------


def colluders_past(days: int = 4) -> dict[date, list[LoggedExchange]]:
    return {
        TODAY - timedelta(days=n): conversation(
            *COLLUDERS, TODAY - timedelta(days=n), 20 * 3600, [3, 5, 1, 8, 2, 10, 4], TOO_SHORT
        )
        for n in range(1, days + 1)
    }


def test_a_colluding_pair_ping_ponging_low_quality_is_held():
    today = conversation(*COLLUDERS, TODAY, 20 * 3600, [4, 2, 9, 1, 6, 3, 7], TOO_SHORT)
    pair = pair_of(*COLLUDERS)
    assert window_pairs(pair_exchanges(today), DEFAULTS) == {pair}
    window = window_of(today, colluders_past())
    assert len(window[pair]) == 5
    verdict = judge_day(DayEvidence(at=END, exchanges=today, window=window), DEFAULTS)

    assert verdict.held_pairs == {pair}
    (risk,) = verdict.pairs
    assert risk.signals == (PING_PONG, LOW_QUALITY)
    assert risk.reasons[0].detail == "35 of 35 turns within 15 s over 5 days (median 4.0 s)"
    assert risk.reasons[1].detail == "40 of 40 exchanges low quality (40 too short)"
    assert risk.score == pytest.approx(1 - (1 - 0.8) * (1 - 0.5))
    # 4 messages each of the day: too few for a member's quality; members are not held.
    assert verdict.members == ()
    assert verdict.held_members == frozenset()


def test_ping_pong_needs_three_days_of_evidence():
    """Two days of the same ping-pong: low quality flags the pair, nothing holds it."""
    today = conversation(*COLLUDERS, TODAY, 20 * 3600, [4, 2, 9, 1, 6, 3, 7], TOO_SHORT)
    window = window_of(today, colluders_past(days=1))
    verdict = judge_day(DayEvidence(at=END, exchanges=today, window=window), DEFAULTS)
    (risk,) = verdict.pairs
    assert risk.signals == (LOW_QUALITY,)
    assert verdict.held_pairs == frozenset()


def test_fast_content_ping_pong_is_judged_over_the_window_and_held():
    """Immediate answers with content (no verdict): `window_pairs` still judges the pair, and
    its window's ping-pong alone (0.8) holds it."""
    today = conversation(*COLLUDERS, TODAY, 20 * 3600, [4, 2, 9, 1, 6, 3, 7])
    past = {
        day: [e._replace(verdict=None) for e in found] for day, found in colluders_past().items()
    }
    assert window_pairs(pair_exchanges(today), DEFAULTS) == {pair_of(*COLLUDERS)}
    verdict = judge_day(
        DayEvidence(at=END, exchanges=today, window=window_of(today, past)), DEFAULTS
    )
    assert {risk.pair: risk.signals for risk in verdict.pairs} == {
        pair_of(*COLLUDERS): (PING_PONG,)
    }
    assert verdict.held_pairs == {pair_of(*COLLUDERS)}


def test_the_colluders_talking_at_human_pace_today_are_not_judged():
    """Whatever their past, a pair talking at human pace with content today is not in
    question today."""
    today = conversation(*COLLUDERS, TODAY, 20 * 3600, HUMAN)
    assert window_pairs(pair_exchanges(today), DEFAULTS) == set()
    window = window_of(today, colluders_past())
    assert window == {}
    verdict = judge_day(DayEvidence(at=END, exchanges=today, window=window), DEFAULTS)
    assert verdict.pairs == ()
    assert verdict.held_pairs == frozenset()


def test_window_pairs_ignores_reactions_and_single_exchanges():
    a, b = COLLUDERS
    today = [
        LoggedExchange(a, b, moment(TODAY, 100), REACTION, None, None),
        LoggedExchange(b, a, moment(TODAY, 101), REACTION, None, None),
        LoggedExchange(a, b, moment(TODAY, 102), REPLY, 1, None),
    ]
    assert window_pairs(pair_exchanges(today), DEFAULTS) == set()
    # One low-quality message is enough to look at the pair's window.
    low = [*today, LoggedExchange(b, a, moment(TODAY, 400), REPLY, 2, TOO_SHORT)]
    assert window_pairs(pair_exchanges(low), DEFAULTS) == {pair_of(a, b)}


# --- bursts ---------------------------------------------------------------------------------------

BURSTER = old(50)
CROWD = tuple(old(n) for n in range(60, 85))  # 25 ordinary members


def burst_day(count: int) -> list[LoggedExchange]:
    """The burster mentions the crowd `count` times at human pace; each of the crowd answers
    once or twice."""
    out = [
        LoggedExchange(
            BURSTER, CROWD[n % len(CROWD)], moment(TODAY, 8 * 3600 + 200 * n), MENTION, m, None
        )
        for n, m in zip(range(count), _ids, strict=False)
    ]
    for n, member in enumerate(CROWD):
        for k in range(1 + n % 2):
            out.append(
                LoggedExchange(
                    member,
                    BURSTER,
                    moment(TODAY, 9 * 3600 + 300 * n + 60 * k),
                    REPLY,
                    next(_ids),
                    None,
                )
            )
    return out


HISTORY = [5, 4, 6, 5, 0, 5, 7, 3, 5, 6]  # ten days around 5 a day


def test_a_burst_above_the_members_history_and_the_guild_is_held():
    exchanges = burst_day(100)
    verdict = judge_day(
        DayEvidence(at=END, exchanges=exchanges, history={BURSTER: HISTORY}), DEFAULTS
    )
    assert verdict.made[BURSTER] == 100
    assert verdict.held_members == {BURSTER}
    (risk,) = verdict.members
    assert risk.signals == (BURST,)
    assert risk.reasons[0].detail == (
        "100 exchanges on the day; usually 5 on 9 active of 10 days (limit 55); guild's 95% level 2"
    )
    assert verdict.held_pairs == frozenset()


def test_the_same_count_on_a_first_day_is_no_burst():
    exchanges = burst_day(100)
    for history in ({}, {BURSTER: HISTORY[:3]}):  # no past, or less than four days of it
        verdict = judge_day(DayEvidence(at=END, exchanges=exchanges, history=history), DEFAULTS)
        assert verdict.members == ()
        assert verdict.held_members == frozenset()


def test_a_burst_in_a_small_guild_is_measured_against_the_others():
    """With 19 active members the 95 % level by nearest rank would be the burster's own count:
    the level is the other members', so a small guild's burst is still seen."""
    exchanges = [e for e in burst_day(100) if e.src not in CROWD[18:]]
    assert len({e.src for e in exchanges}) == 19
    verdict = judge_day(
        DayEvidence(at=END, exchanges=exchanges, history={BURSTER: HISTORY}), DEFAULTS
    )
    assert verdict.held_members == frozenset({BURSTER})


def test_a_day_as_busy_as_the_rest_of_the_guilds_is_no_burst():
    """Everybody busy (an event): a member far above their own usual day but not above the
    others' 95 % level is not bursting."""
    busy = {member: 120 for member in range(1, 40)}
    busy[BURSTER] = 100
    level_reasons = judge_day(
        DayEvidence(
            at=END,
            exchanges=[
                LoggedExchange(src, src + 1000, END, "reaction", None, None)
                for src, count in busy.items()
                for _ in range(count)
            ],
            history={BURSTER: HISTORY},
        ),
        DEFAULTS,
    )
    assert BURSTER not in level_reasons.held_members


def test_burst_candidates_are_the_members_above_the_margin():
    made = {1: 100, 2: 31, 3: 30, 4: 0, 5: 5}
    assert burst_candidates(made, DEFAULTS) == [1, 2]
    assert burst_candidates(made, FraudThresholds(burst_margin=4)) == [1, 2, 3, 5]
    assert burst_candidates({}, DEFAULTS) == []


# --- switched off, the account gate, determinism ------------------------------------------------


def test_with_fraud_disabled_nothing_is_held_but_made_is_counted():
    exchanges = ring_day() + burst_day(100)
    evidence = DayEvidence(at=END, exchanges=exchanges, history={BURSTER: HISTORY})
    assert judge_day(evidence, DEFAULTS).held_members  # it would hold, switched on
    verdict = judge_day(evidence, FraudThresholds(enabled=False))
    assert verdict.members == verdict.pairs == ()
    assert verdict.held_members == verdict.held_pairs == frozenset()
    assert verdict.made == dict(Counter(e.src for e in exchanges))


def test_self_exchanges_are_not_counted():
    a = FRIENDS[0]
    verdict = judge_day(
        DayEvidence(at=END, exchanges=[LoggedExchange(a, a, moment(TODAY, 1), REPLY, 1, None)]),
        DEFAULTS,
    )
    assert verdict.made == {}
    assert verdict.members == ()


def test_too_new_fires_for_an_account_younger_than_a_day_and_never_holds_alone():
    newcomer = new(41, before=-timedelta(hours=2))  # 22 hours old at the day's end
    nearly = new(42, before=timedelta(minutes=30))  # 24.5 hours old: past the gate
    exchanges = conversation(newcomer, FRIENDS[0], TODAY, 15 * 3600, HUMAN) + conversation(
        nearly, FRIENDS[1], TODAY, 16 * 3600, HUMAN
    )
    verdict = judge_day(DayEvidence(at=END, exchanges=exchanges), DEFAULTS)
    (risk,) = verdict.members
    assert risk.member == newcomer
    assert risk.signals == (TOO_NEW,)
    assert risk.reasons[0].weight == 0.2
    assert risk.reasons[0].detail == "account 0.9 days old (minimum 1)"
    assert risk.score == pytest.approx(0.2)
    assert verdict.held_members == frozenset()


def test_too_new_counts_time_in_the_guild_when_asked():
    """`min_member_days`: an old account that joined half a day before the day's end."""
    member = FRIENDS[0]
    thresholds = FraudThresholds(min_member_days=2)
    exchanges = conversation(member, FRIENDS[1], TODAY, 15 * 3600, HUMAN)
    joined = {member: END - timedelta(hours=12)}
    verdict = judge_day(DayEvidence(at=END, exchanges=exchanges, joined=joined), thresholds)
    (risk,) = verdict.members
    assert (risk.member, risk.signals) == (member, (TOO_NEW,))
    assert risk.reasons[0].detail == "member for 0.5 days (minimum 2)"
    assert verdict.held_members == frozenset()


def test_the_same_evidence_gives_the_same_verdict():
    today = conversation(*COLLUDERS, TODAY, 20 * 3600, [4, 2, 9, 1, 6, 3, 7], TOO_SHORT)
    exchanges = ring_day() + burst_day(100) + today + tight_group_day()
    evidence = DayEvidence(
        at=END,
        exchanges=exchanges,
        window=window_of(exchanges, colluders_past()),
        history={BURSTER: HISTORY},
        partners=tight_partners(),
    )
    first, second = judge_day(evidence, DEFAULTS), judge_day(evidence, DEFAULTS)
    assert first == second
    assert first.held_members == {*RING_ACCOUNTS, BURSTER}
    assert pair_of(*COLLUDERS) in first.held_pairs
    # And from shuffled evidence (the store's order within an instant is not guaranteed).
    shuffled = DayEvidence(
        at=END,
        exchanges=list(reversed(exchanges)),
        window=evidence.window,
        history=evidence.history,
        partners=evidence.partners,
    )
    assert judge_day(shuffled, DEFAULTS) == first
