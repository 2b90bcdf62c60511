"""Reading "how long" and "until when" the way owners type them in commands."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.calendar import day_end

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
MAX_SPAN = timedelta(days=366)


def parse_until(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """`2h`, `3d`, `1w`, a date (`2026-12-24`: through the end of that guild day) or an ISO
    instant with its offset; the result is after `now` and within a year. ValueError otherwise.
    """
    raw = text.strip()
    match = _DURATION.match(raw)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        until = now + timedelta(seconds=amount * _UNITS[unit])
    else:
        try:
            if len(raw) == 10:
                until = day_end(date.fromisoformat(raw), zone)
            else:
                until = datetime.fromisoformat(raw)
                if until.tzinfo is None:
                    raise ValueError
        except ValueError:
            raise ValueError(
                f"{text!r} is not a time: try 2h, 3d, 1w, a date like 2026-12-24, or an"
                " ISO time with its offset"
            ) from None
    if until <= now:
        raise ValueError("that time has already passed")
    if until - now > MAX_SPAN:
        raise ValueError("that is more than a year away")
    return until
