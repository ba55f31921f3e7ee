"""Semarang's time (WIB, UTC+7): what "today" means, and where a Semarang day begins.

Times are stored in UTC; days, weeks and years are Semarang's. These are the only
conversions between the two.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def today_in_semarang() -> date:
    return datetime.now(WIB).date()


def semarang_midnight(day: date) -> datetime:
    """00:00 WIB on ``day``, as a UTC datetime (what the database stores)."""
    return datetime.combine(day, time(), tzinfo=WIB).astimezone(UTC)


def semarang_days(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC covering the whole days from ``first`` to ``last`` in Semarang.

    Either end may be None (open).
    """
    start = semarang_midnight(first) if first else None
    end = semarang_midnight(last + timedelta(days=1)) if last else None
    return start, end
