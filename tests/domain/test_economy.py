"""Economy report arithmetic: runway and concentration of holdings."""

from __future__ import annotations

import pytest

from bot.domain.economy import runway_days, top_share


def test_runway_is_the_treasury_over_the_recent_daily_rate():
    assert runway_days(1000, [100, 300]) == 5
    assert runway_days(1000, []) is None
    assert runway_days(1000, [0, 0]) is None
    assert runway_days(0, [10]) == 0


@pytest.mark.parametrize(
    ("balances", "fraction", "share"),
    [
        ([], 0.1, 0.0),
        ([0, 0], 0.1, 0.0),
        ([10], 0.01, 1.0),  # at least one holder
        ([90] + [1] * 10, 0.01, 0.9),
        ([50, 30, 20, 0], 0.5, 0.8),  # two of the three holders
        ([5] * 100, 0.10, 0.10),
    ],
)
def test_top_share_counts_only_holders_and_at_least_one(balances, fraction, share):
    assert top_share(balances, fraction) == pytest.approx(share)
