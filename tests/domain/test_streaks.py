"""Rules 6 to 8: qualifying pairs, the day close of a pair's streak, and tiers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.streaks import PairStreak, close_pair, pair_of, qualifying_pairs
from bot.guild_config import DEFAULT_TIERS, Tier

ALICE, BOB, CAROL = 101, 102, 103
DEFAULT_COUNT = ("reply", "mention")
D1 = date(2026, 11, 1)

SPARK = Tier(name="Spark", days=3, tokens=10, freezes=0)
FLAME = Tier(name="Flame", days=7, tokens=25, freezes=1)


def day(n: int) -> date:
    """The n-th day of the test calendar, D1 being day 1."""
    return D1 + timedelta(days=n - 1)


def run(
    qualifies: Sequence[bool],
    tiers: Sequence[Tier] = (SPARK, FLAME),
    max_freezes: int = 2,
    streak: PairStreak | None = None,
) -> tuple[PairStreak, list[tuple[str, ...]]]:
    """Close days 1..n for one pair; return its final state and the tiers reached each day."""
    streak = streak or PairStreak()
    reached = []
    for n, qualifies_today in enumerate(qualifies, start=1):
        streak, tiers_today = close_pair(streak, qualifies_today, day(n), tiers, max_freezes)
        reached.append(tuple(tier.name for tier in tiers_today))
    return streak, reached


# --- rule 6: qualifying pairs ---------------------------------------------------------------


def test_rule_6_mutual_exchanges_qualify():
    """Rule 6: A→B and B→A on the day make {A,B} qualify."""
    day_exchanges = [(ALICE, BOB, "reply"), (BOB, ALICE, "reply")]
    assert qualifying_pairs(day_exchanges, DEFAULT_COUNT, require_mutual=True) == {(ALICE, BOB)}


def test_rule_6_mixed_kinds_are_mutual():
    """Rule 6: the two directions may be of different counted kinds."""
    day_exchanges = [(ALICE, BOB, "reply"), (BOB, ALICE, "mention")]
    assert qualifying_pairs(day_exchanges, DEFAULT_COUNT, require_mutual=True) == {(ALICE, BOB)}


def test_rule_6_one_direction_is_not_enough_by_default():
    """Rule 6: require_mutual (the default) needs both directions, however many times."""
    day_exchanges = [(ALICE, BOB, "reply"), (ALICE, BOB, "mention"), (ALICE, BOB, "reply")]
    assert qualifying_pairs(day_exchanges, DEFAULT_COUNT, require_mutual=True) == set()


def test_rule_6_one_direction_is_enough_without_require_mutual():
    """Rule 6: with require_mutual = false, A→B alone qualifies {A,B}."""
    day_exchanges = [(BOB, ALICE, "mention")]
    assert qualifying_pairs(day_exchanges, DEFAULT_COUNT, require_mutual=False) == {(ALICE, BOB)}


def test_rule_6_reactions_do_not_count_by_default():
    """Rule 6: only kinds in streaks.count count; reaction is not among the defaults."""
    day_exchanges = [(ALICE, BOB, "reply"), (BOB, ALICE, "reaction")]
    assert qualifying_pairs(day_exchanges, DEFAULT_COUNT, require_mutual=True) == set()
    assert qualifying_pairs(day_exchanges, ("reply", "reaction"), require_mutual=True) == {
        (ALICE, BOB)
    }


def test_rule_6_kinds_left_out_of_count_are_ignored():
    """Rule 6: with count = ["reply"], a mention direction does not complete the pair."""
    day_exchanges = [(ALICE, BOB, "reply"), (BOB, ALICE, "mention")]
    assert qualifying_pairs(day_exchanges, ("reply",), require_mutual=True) == set()
    assert qualifying_pairs(day_exchanges, ("reply",), require_mutual=False) == {(ALICE, BOB)}


def test_rule_6_uncounted_only_pair_does_not_qualify_even_one_way():
    """Rule 6: with require_mutual = false, an uncounted kind still does nothing."""
    day_exchanges = [(ALICE, BOB, "reaction")]
    assert qualifying_pairs(day_exchanges, DEFAULT_COUNT, require_mutual=False) == set()


def test_rule_6_pairs_are_unordered_and_independent():
    """Rule 6: a pair is {A,B} (smaller ID first); other pairs do not complete it."""
    day_exchanges = [
        (CAROL, ALICE, "reply"),
        (ALICE, CAROL, "mention"),
        (ALICE, BOB, "reply"),
        (CAROL, BOB, "reply"),
    ]
    assert qualifying_pairs(day_exchanges, DEFAULT_COUNT, require_mutual=True) == {(ALICE, CAROL)}
    assert pair_of(CAROL, ALICE) == pair_of(ALICE, CAROL) == (ALICE, CAROL)


def test_rule_6_self_exchanges_never_qualify():
    """Rule 6: a pair needs two members."""
    day_exchanges = [(ALICE, ALICE, "reply")]
    assert qualifying_pairs(day_exchanges, DEFAULT_COUNT, require_mutual=False) == set()


# --- rule 7: the day close ------------------------------------------------------------------


def test_rule_7_first_qualifying_day_starts_a_run():
    """Rule 7: a dead pair that qualifies gets current = 1."""
    streak, reached = close_pair(PairStreak(), True, D1, (SPARK,), 2)
    assert streak == PairStreak(current=1, best=1, last_day=D1, freezes=0, run_start=D1)
    assert reached == ()


def test_rule_7_qualifying_extends_a_live_streak():
    """Rule 7: a live pair that qualifies gets current + 1, best follows, last_day = D."""
    streak, _ = run([True, True, True, True])
    assert (streak.current, streak.best, streak.last_day) == (4, 4, day(4))
    assert streak.run_start == day(1)


def test_rule_7_a_missed_day_without_freeze_breaks_the_streak():
    """Rule 7: a live pair that does not qualify and holds no freeze falls to 0."""
    streak, _ = run([True, True, False])
    assert streak.current == 0
    assert streak.best == 2
    assert streak.last_day == day(2)


def test_rule_7_restart_after_a_break_is_at_one():
    """Rule 7: after a break the next qualifying day is current = 1, not the old length + 1."""
    streak, _ = run([True, True, True, True, False, True])
    assert streak.current == 1
    assert streak.best == 4
    assert streak.last_day == day(6)
    assert streak.run_start == day(6)


def test_rule_7_best_is_kept_after_a_shorter_run():
    """Rule 7: best = max(best, current), so a shorter later run does not lower it."""
    streak, _ = run([True] * 5 + [False] + [True] * 3)
    assert (streak.current, streak.best) == (3, 5)
    streak, _ = run([True] * 2 + [False] + [True] * 4)
    assert (streak.current, streak.best) == (4, 4)


def test_rule_7_freeze_is_consumed_and_current_stays():
    """Rule 7: a non-qualifying live pair holding a freeze spends one and keeps its current."""
    start = PairStreak(current=4, best=4, last_day=day(1), freezes=2, run_start=day(1))
    streak, reached = close_pair(start, False, day(2), (SPARK,), 2)
    assert streak == PairStreak(current=4, best=4, last_day=day(1), freezes=1, run_start=day(1))
    assert reached == ()


def test_rule_7_freezes_run_out_then_the_streak_breaks():
    """Rule 7: each missed day costs a freeze; the first miss without one breaks the streak."""
    start = PairStreak(current=4, best=4, last_day=day(1), freezes=2, run_start=day(1))
    streak, _ = close_pair(start, False, day(2), (), 2)
    streak, _ = close_pair(streak, False, day(3), (), 2)
    assert (streak.current, streak.freezes) == (4, 0)
    streak, _ = close_pair(streak, False, day(4), (), 2)
    assert (streak.current, streak.freezes, streak.best) == (0, 0, 4)


def test_rule_7_frozen_streak_extends_after_the_gap():
    """Rule 7: a freeze keeps the streak alive, so the next qualifying day is current + 1."""
    start = PairStreak(current=4, best=4, last_day=day(1), freezes=1, run_start=day(1))
    streak, _ = close_pair(start, False, day(2), (), 2)
    streak, _ = close_pair(streak, True, day(3), (), 2)
    assert (streak.current, streak.best, streak.run_start) == (5, 5, day(1))


def test_rule_7_dead_pair_that_does_not_qualify_is_unchanged():
    """Rule 7: freezes are spent only by live streaks."""
    dead = PairStreak(current=0, best=6, last_day=day(1), freezes=1, run_start=day(1))
    streak, reached = close_pair(dead, False, day(5), (SPARK,), 2)
    assert streak == dead
    assert reached == ()


# --- rule 8: tiers --------------------------------------------------------------------------


def test_rule_8_tier_reached_exactly_when_current_equals_days():
    """Rule 8: Spark (3 days) fires on the third qualifying day only."""
    _, reached = run([True] * 5, tiers=(SPARK,))
    assert reached == [(), (), ("Spark",), (), ()]


def test_rule_8_default_ladder_fires_in_order():
    """Rule 8: the shipped tiers fire at days 3, 7 and 30 of a run."""
    _, reached = run([True] * 30, tiers=DEFAULT_TIERS, max_freezes=2)
    fired = {n: names for n, names in enumerate(reached, start=1) if names}
    assert fired == {3: ("Spark",), 7: ("Flame",), 30: ("Blaze",)}


def test_rule_8_once_per_run_even_across_a_freeze():
    """Rule 8: a freeze-bridged run does not reach the same tier twice."""
    start = PairStreak(freezes=1)
    _, reached = run([True, True, True, False, True, True], tiers=(SPARK,), streak=start)
    assert [names for names in reached if names] == [("Spark",)]
    assert reached[2] == ("Spark",)


def test_rule_8_a_new_run_reaches_the_tier_again():
    """Rule 8: once per run: after a break, the next run earns Spark again."""
    _, reached = run([True, True, True, True, False, True, True, True], tiers=(SPARK,))
    assert reached == [(), (), ("Spark",), (), (), (), (), ("Spark",)]


def test_rule_8_tier_freezes_are_granted():
    """Rule 8: reaching a tier adds its freezes to the pair."""
    streak, _ = run([True] * 7, tiers=(SPARK, FLAME), max_freezes=2)
    assert streak.freezes == 1


def test_rule_8_tier_freezes_are_capped_by_max_freezes():
    """Rule 8: the pair's freezes never exceed streaks.max_freezes."""
    generous = Tier(name="Gift", days=2, freezes=5)
    streak, _ = run([True, True], tiers=(generous,), max_freezes=3)
    assert streak.freezes == 3
    holding = PairStreak(current=6, best=6, last_day=day(0), freezes=2, run_start=day(-5))
    streak, reached = close_pair(holding, True, day(1), (FLAME,), 2)
    assert reached == (FLAME,)
    assert streak.freezes == 2
    streak, _ = run([True] * 7, tiers=(FLAME,), max_freezes=0)
    assert streak.freezes == 0


def test_rule_8_two_tiers_with_the_same_days_both_fire():
    """Rule 8: every tier whose days is reached fires, and their freezes add up (capped)."""
    first = Tier(name="Bronze", days=3, tokens=5, freezes=1)
    second = Tier(name="Pin", days=3, tokens=1, freezes=1)
    streak, reached = run([True] * 3, tiers=(first, second, FLAME), max_freezes=5)
    assert set(reached[2]) == {"Bronze", "Pin"}
    assert streak.freezes == 2
    streak, _ = run([True] * 3, tiers=(first, second), max_freezes=1)
    assert streak.freezes == 1


def test_rule_8_no_tier_on_a_frozen_day():
    """Rule 8: tiers are reached at a qualifying close; a freeze day only keeps current."""
    start = PairStreak(current=2, best=2, last_day=day(0), freezes=1, run_start=day(-1))
    streak, reached = close_pair(start, False, day(1), (SPARK,), 2)
    assert (streak.current, reached) == (2, ())
    streak, reached = close_pair(streak, True, day(2), (SPARK,), 2)
    assert (streak.current, reached) == (3, (SPARK,))


# --- property: rules 7 and 8 over random histories ------------------------------------------


@dataclass
class Reference:
    """Rules 7 and 8 restated plainly: what the pair's numbers must be after each close."""

    current: int = 0
    best: int = 0
    freezes: int = 0
    run_number: int = 0


tiers_strategy = st.lists(
    st.builds(
        Tier,
        name=st.sampled_from(["A", "B", "C", "D", "E"]),
        days=st.integers(min_value=1, max_value=6),
        tokens=st.integers(min_value=0, max_value=5),
        freezes=st.integers(min_value=0, max_value=3),
    ),
    max_size=4,
    unique_by=lambda tier: tier.name,
)


@settings(max_examples=300, deadline=None)
@given(
    history=st.lists(st.booleans(), max_size=60),
    tiers=tiers_strategy,
    max_freezes=st.integers(min_value=0, max_value=3),
)
def test_rules_7_8_random_histories(history: list[bool], tiers: list[Tier], max_freezes: int):
    """Rules 7 and 8 (property): for any sequence of qualifying / missed days, best >= current,
    current counts the qualifying days of the trailing run (freeze-bridged days included in the
    run but not counted), freezes stay within [0, max_freezes], and each tier fires exactly when
    current reaches its days, once per run."""
    streak = PairStreak()
    model = Reference()
    fired: set[tuple[int, str]] = set()
    last_qualifying: date | None = None
    for n, qualifies in enumerate(history, start=1):
        streak, reached = close_pair(streak, qualifies, day(n), tiers, max_freezes)

        expected_tiers: list[str] = []
        if qualifies:
            last_qualifying = day(n)
            if model.current == 0:
                model.run_number += 1
            model.current += 1
            model.best = max(model.best, model.current)
            expected_tiers = [tier.name for tier in tiers if tier.days == model.current]
            gained = sum(tier.freezes for tier in tiers if tier.days == model.current)
            model.freezes = min(max_freezes, model.freezes + gained) if gained else model.freezes
        elif model.current > 0:
            if model.freezes > 0:
                model.freezes -= 1
            else:
                model.current = 0

        assert streak.current == model.current
        assert streak.best == model.best >= streak.current
        assert streak.freezes == model.freezes
        assert 0 <= streak.freezes <= max_freezes
        assert streak.last_day == last_qualifying
        assert sorted(tier.name for tier in reached) == sorted(expected_tiers)
        for tier in reached:
            assert (model.run_number, tier.name) not in fired, "tier reached twice in one run"
            fired.add((model.run_number, tier.name))


@settings(max_examples=200, deadline=None)
@given(history=st.lists(st.booleans(), max_size=60))
def test_rule_7_without_freezes_current_is_the_trailing_run(history: list[bool]):
    """Rule 7 (property): with no freezes, current is the number of trailing qualifying days."""
    streak, _ = run(history, tiers=(), max_freezes=0)
    runs = "".join("1" if qualifies else "0" for qualifies in history).split("0")
    assert streak.current == len(runs[-1])
    assert streak.best == max(len(block) for block in runs)
