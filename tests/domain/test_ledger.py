"""Rule 10: points to tokens, what a day close may pay, and pro-rata scaling."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.ledger import available_for_day, pro_rata, tokens_for_points
from bot.guild_config import parse_config

# --- tokens_for_points ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "per_point", "expected"),
    [
        (0, Fraction(1), 0),
        (12, Fraction(1), 12),
        (3, Fraction(1, 2), 1),  # 1.5 floors to 1
        (4, Fraction(1, 2), 2),
        (5, Fraction(5, 4), 6),  # 1.25 per point: 6.25 floors to 6
        (4, Fraction(5, 4), 5),
        (9, Fraction(1, 10), 0),  # 0.9 floors to 0
        (10, Fraction(1, 10), 1),
        (7, Fraction(0), 0),
    ],
)
def test_rule_10_points_convert_at_per_point_floored(points: int, per_point, expected: int):
    """Rule 10: a member earns floor(points × per_point) tokens; tokens are integers."""
    tokens = tokens_for_points(points, per_point)
    assert tokens == expected
    assert isinstance(tokens, int)


def test_rule_10_conversion_is_exact_where_floats_are_not():
    """Rule 10: 100 points at 0.29 are 29 tokens (in binary floats 0.29 × 100 = 28.999...)."""
    assert 0.29 * 100 < 29  # the trap an implementation with floats falls into
    assert tokens_for_points(100, Fraction(Decimal("0.29"))) == 29
    config = parse_config({"tokens": {"per_point": 0.29}})
    assert tokens_for_points(100, config.tokens.per_point_fraction) == 29
    config = parse_config({"tokens": {"per_point": 0.1}})
    assert tokens_for_points(30, config.tokens.per_point_fraction) == 3


# --- available_for_day ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("treasury", "budget", "expected"),
    [
        (1000, 0, 1000),  # no budget: the treasury is the limit
        (0, 0, 0),
        (1000, 300, 300),  # budget below the treasury
        (200, 300, 200),  # treasury below the budget
        (300, 300, 300),
        (0, 300, 0),
    ],
)
def test_rule_10_available_is_the_treasury_limited_by_a_budget(
    treasury: int, budget: int, expected: int
):
    """Rule 10: a day may pay the treasury, and no more than daily_budget when it is not 0."""
    assert available_for_day(treasury, budget) == expected


# --- pro_rata -------------------------------------------------------------------------------


@pytest.mark.parametrize("available", [60, 61, 10**9])
def test_rule_10_no_scaling_when_affordable(available: int):
    """Rule 10: payments are made in full when they add up to at most what is available."""
    assert pro_rata([10, 20, 30], available) == [10, 20, 30]


def test_rule_10_scaling_by_available_over_total():
    """Rule 10: every payment is scaled by available/total."""
    assert pro_rata([10, 20, 30], 30) == [5, 10, 15]
    assert pro_rata([10, 20, 30], 0) == [0, 0, 0]


def test_rule_10_each_payment_is_floored_on_its_own():
    """Rule 10: each scaled payment is floored independently; the remainder stays unpaid."""
    # 10·10/60 = 1.67, 20·10/60 = 3.33, 30·10/60 = 5: floored 1, 3, 5 = 9, not 10.
    assert pro_rata([10, 20, 30], 10) == [1, 3, 5]
    # Three payments of 1 with 2 available: each 2/3 floors to 0 (no largest remainder).
    assert pro_rata([1, 1, 1], 2) == [0, 0, 0]
    # Order does not matter: the same amount gets the same share wherever it stands.
    assert pro_rata([7, 3, 7], 10) == [4, 1, 4]


def test_rule_10_zero_payments_stay_zero():
    """Rule 10: a zero payment is never scaled up."""
    assert pro_rata([0, 50, 50], 40) == [0, 20, 20]
    assert pro_rata([], 0) == []


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**6), max_size=40),
    available=st.integers(min_value=0, max_value=10**7),
)
def test_rule_10_pro_rata_properties(amounts: list[int], available: int):
    """Rule 10 (property): 0 <= scaled[i] <= amounts[i], sum(scaled) <= available, each is
    floor(amount × available / total), and everything is paid when it is affordable."""
    scaled = pro_rata(amounts, available)
    total = sum(amounts)
    assert len(scaled) == len(amounts)
    assert all(isinstance(paid, int) for paid in scaled)
    assert all(0 <= paid <= amount for paid, amount in zip(scaled, amounts, strict=True))
    if total <= available:
        assert scaled == amounts
    else:
        assert sum(scaled) <= available
        assert scaled == [math.floor(Fraction(amount * available, total)) for amount in amounts]
        # Flooring loses less than one token per (non-zero) payment.
        assert available - sum(scaled) < sum(1 for amount in amounts if amount)
