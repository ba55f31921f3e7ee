"""Semarang's time (WIB, UTC+7): what "today" means for ages and birth dates."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def today_in_semarang() -> date:
    return datetime.now(WIB).date()
