"""What every fraud signal speaks in: an exchange with its time, and a reason with its weight.

A reason is the only thing a signal says about a member or a pair. Its `detail` is evidence a
moderator may read (counts, timings, group sizes), never what anybody wrote: `/mod flags`
shows it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

LOW_QUALITY = "low_quality"
TOO_NEW = "too_new"
PING_PONG = "ping_pong"
CLOSED_PARTNERS = "closed_partners"
RING = "ring"
BURST = "burst"


class Exchange(NamedTuple):
    """A directed exchange `src`→`dst` (rule 3 or 4) and the instant of the act that made it.

    A named tuple rather than a dataclass: a day of a large guild has tens of thousands.
    """

    src: int
    dst: int
    at: datetime


@dataclass(slots=True, frozen=True)
class Reason:
    """Why a signal fired: its name, the evidence in words, and how much it weighs (0 to 1)."""

    signal: str
    detail: str
    weight: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"a reason's weight is between 0 and 1, not {self.weight}")
