"""Issue 5, scores: reasons combined per member and per pair, holds, and the thresholds."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.fraud import (
    BURST,
    CLOSED_PARTNERS,
    LOW_QUALITY,
    PING_PONG,
    RING,
    TOO_NEW,
    Exchange,
    FraudThresholds,
    MemberRisk,
    PairRisk,
    Reason,
    is_held,
    member_risks,
    pair_risks,
    ping_pong,
    rings,
    risk_score,
    strongest,
)

DEFAULTS = FraudThresholds()
SIGNALS = (RING, PING_PONG, BURST, LOW_QUALITY, CLOSED_PARTNERS, TOO_NEW)
reasons_st = st.lists(
    st.builds(
        Reason,
        signal=st.sampled_from(SIGNALS),
        detail=st.just("evidence"),
        weight=st.floats(min_value=0, max_value=1),
    ),
    max_size=8,
)


def reason(signal: str, weight: float) -> Reason:
    return Reason(signal, f"{signal} evidence", weight)


# --- the score ---------------------------------------------------------------------------------


def test_no_reason_no_risk():
    assert risk_score([]) == 0.0


def test_one_reason_scores_its_weight_and_two_combine():
    assert risk_score([reason(BURST, 0.8)]) == pytest.approx(0.8)
    assert risk_score([reason(BURST, 0.5), reason(LOW_QUALITY, 0.5)]) == pytest.approx(0.75)


def test_the_same_signal_twice_counts_once_at_its_strongest():
    """Two reasons from one signal are one piece of evidence, not two."""
    twice = [reason(LOW_QUALITY, 0.3), reason(LOW_QUALITY, 0.5)]
    assert risk_score(twice) == pytest.approx(0.5)
    assert strongest([*twice, reason(BURST, 0.8)]) == (reason(BURST, 0.8), twice[1])


@given(reasons_st)
def test_score_is_between_zero_and_one(reasons: list[Reason]):
    assert 0.0 <= risk_score(reasons) <= 1.0


@given(reasons_st, reasons_st)
def test_more_evidence_never_lowers_the_score(reasons: list[Reason], more: list[Reason]):
    assert risk_score(reasons + more) >= risk_score(reasons) - 1e-12


@given(reasons_st, st.floats(min_value=0, max_value=1))
def test_a_heavier_reason_never_lowers_the_score(reasons: list[Reason], extra: float):
    if not reasons:
        return
    heavier = replace(reasons[0], weight=min(1.0, reasons[0].weight + extra))
    assert risk_score([heavier, *reasons[1:]]) >= risk_score(reasons) - 1e-12


def test_a_reason_weight_is_a_share():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Reason(BURST, "x", 1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Reason(BURST, "x", -0.1)


# --- which defaults hold -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "weight", ["weight_ring", "weight_ping_pong", "weight_burst"], ids=lambda name: name[7:]
)
def test_strong_signals_hold_on_their_own(weight: str):
    risk = MemberRisk(1, risk_score([reason("any", getattr(DEFAULTS, weight))]), ())
    assert is_held(risk, DEFAULTS)


def test_weak_signals_together_never_hold():
    """Low quality at its strongest, a closed group and a new account: a flag, not a hold
    (the tight-group and fast-friend look-alikes can show some of these)."""
    weak = [
        reason(LOW_QUALITY, DEFAULTS.weight_low_quality),
        reason(CLOSED_PARTNERS, DEFAULTS.weight_closed_partners),
        reason(TOO_NEW, DEFAULTS.weight_too_new),
    ]
    risk = MemberRisk(1, risk_score(weak), tuple(weak))
    assert risk.score == pytest.approx(0.72)
    assert not is_held(risk, DEFAULTS)


@pytest.mark.parametrize(("score", "held"), [(0.75, True), (0.7499, False)])
def test_hold_threshold_at_its_edge(score: float, held: bool):
    assert is_held(PairRisk(1, 2, score, ()), DEFAULTS) is held


def test_nothing_is_held_when_fraud_checks_are_off():
    off = FraudThresholds(enabled=False)
    assert not is_held(MemberRisk(1, 1.0, (reason(RING, 1.0),)), off)


# --- per member and per pair -------------------------------------------------------------------


def test_member_risks_group_reasons_riskiest_first():
    risks = member_risks(
        [
            (7, reason(LOW_QUALITY, 0.4)),
            (3, reason(BURST, 0.8)),
            (7, reason(TOO_NEW, 0.2)),
            (5, reason(TOO_NEW, 0.2)),
        ],
        DEFAULTS,
    )
    scores = [(risk.member, round(risk.score, 2)) for risk in risks]
    assert scores == [(3, 0.8), (7, 0.52), (5, 0.2)]
    assert risks[1].signals == (LOW_QUALITY, TOO_NEW)


def test_pair_risks_take_pairs_in_either_order():
    risks = pair_risks(
        [((9, 4), reason(PING_PONG, 0.8)), ((4, 9), reason(LOW_QUALITY, 0.5))], DEFAULTS
    )
    assert len(risks) == 1
    assert (risks[0].a, risks[0].b, risks[0].pair) == (4, 9, (4, 9))
    assert risks[0].signals == (PING_PONG, LOW_QUALITY)
    assert risks[0].score == pytest.approx(0.9)


def scripted(members: tuple[int, ...], gap: float) -> list[Exchange]:
    start = datetime(2026, 3, 20, 20, tzinfo=UTC)
    return [
        Exchange(speaker, other, start + timedelta(seconds=gap * index))
        for index, speaker in enumerate(members * 2)
        for other in members
        if other != speaker
    ]


def test_a_ring_gives_its_reason_to_every_member_and_pair():
    accounts = (101, 102, 103)
    found = rings(scripted(accounts, 6), set(accounts), DEFAULTS)
    members = member_risks([(101, reason(LOW_QUALITY, 0.4))], DEFAULTS, found)
    pairs = pair_risks([], DEFAULTS, found)
    assert [risk.member for risk in members] == [101, 102, 103]
    assert members[0].signals == (RING, LOW_QUALITY)
    assert all(is_held(risk, DEFAULTS) for risk in members + pairs)
    assert [risk.pair for risk in pairs] == [(101, 102), (101, 103), (102, 103)]


def test_colluders_are_held_and_daily_friends_are_not():
    """The pair signal end to end: the same two weeks, one pair ping-ponging within seconds,
    the other talking at human pace; only the first pair's rewards are held."""
    day0 = datetime(2026, 3, 2, 20, tzinfo=UTC)

    def pair_days(a: int, b: int, gaps: list[float]):
        days = {}
        for n in range(14):
            moment, exchanges = day0 + timedelta(days=n), []
            for index, gap in enumerate([0.0, *gaps]):
                moment += timedelta(seconds=gap)
                exchanges.append(Exchange(*((a, b) if index % 2 == 0 else (b, a)), moment))
            days[moment.date()] = exchanges
        return days

    found = [
        ((1, 2), ping_pong(pair_days(1, 2, [3.0, 2.5]), DEFAULTS)),
        ((3, 4), ping_pong(pair_days(3, 4, [38.0, 9.0, 61.0, 25.0, 140.0]), DEFAULTS)),
    ]
    risks = pair_risks([(pair, found) for pair, found in found if found], DEFAULTS)
    assert [(risk.pair, is_held(risk, DEFAULTS)) for risk in risks] == [((1, 2), True)]


# --- the thresholds ----------------------------------------------------------------------------


def test_default_thresholds_are_valid_and_documented_where_the_issue_names_them():
    assert DEFAULTS.min_chars == 3
    assert DEFAULTS.enabled
    assert DEFAULTS.on_expiry == "release"
    assert {field.name for field in fields(FraudThresholds)} >= {
        "enabled",
        "min_chars",
        "min_account_age_days",
        "min_member_days",
        "hold_threshold",
        "hold_days",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_chars": -1}, "min_chars cannot be negative"),
        ({"ping_pong_min_share": 1.5}, "ping_pong_min_share is between 0 and 1"),
        ({"burst_guild_quantile": 2}, "burst_guild_quantile is between 0 and 1"),
        ({"weight_burst": 1.2}, "weight_burst is between 0 and 1"),
        ({"hold_threshold": 3}, "hold_threshold is between 0 and 1"),
        ({"recent_window": 0}, "recent_window must remember"),
        ({"ring_min_size": 1}, "ring_min_size must be at least 2"),
        ({"on_expiry": "keep"}, "on_expiry is one of"),
    ],
)
def test_invalid_thresholds_are_refused_naming_the_key(change: dict, message: str):
    with pytest.raises(ValueError, match=message):
        FraudThresholds(**change)


def test_counts_and_seconds_may_exceed_one():
    thresholds = FraudThresholds(burst_factor=10, ring_max_median_gap_seconds=30, hold_days=30)
    assert thresholds.burst_factor == 10
