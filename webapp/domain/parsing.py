"""Reading what people type into forms and query strings: numbers, dates, years, text.

Each parser takes text as a form or a URL sends it and returns the value, or None when
the text is not one; the messages for the person who typed it are here too. No Flask,
no database.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

Errors = dict[str, list[str]]

REQUIRED = _l("Wajib diisi.")
WHOLE_NUMBER = _l("Isi dengan bilangan bulat 0 atau lebih, tanpa koma, mis. 1000000.")
DATE_FORMAT = _l("Tanggal tidak valid; tulis HH-BB-TTTT, mis. 06-11-2026.")

# Big enough for any rupiah amount the programme sees, small enough for a BIGINT.
MAX_WHOLE_NUMBER = 10**15
MAX_ID_DIGITS = 18  # any id fits in a BIGINT
# The largest id a row can have: ids are INTEGER columns, 32 bits on PostgreSQL. A bigger
# number names no row, and the database refuses it instead of finding nothing.
MAX_ROW_ID = 2**31 - 1
# The programme years any page accepts (quota targets, the dashboard, enrollment).
FIRST_YEAR = 2020
LAST_YEAR = 2100
# The dates any page accepts: back far enough for birth dates, and well inside what every
# database and every time-zone conversion can hold (year 1 moved to UTC leaves the calendar).
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2100, 12, 31)

# ASCII digits only: Python's \d also matches the digits of other scripts.
_DIGITS = re.compile(r"[0-9]+")
# 1.000.000 or 1 000 000: Indonesian thousands separators.
_GROUPED = re.compile(r"[0-9]{1,3}([. ][0-9]{3})+")
_RUPIAH_PREFIX = re.compile(r"^rp\.?\s*", re.IGNORECASE)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UI_DATE = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")
_YEAR = re.compile(r"[0-9]{4}")


def add_error(errors: Errors, field: str, message: object) -> None:
    """Add a message to a field's list of problems."""
    errors.setdefault(field, []).append(str(message))


def clean_text(value: str | None) -> str:
    """Free text with its runs of white space made single spaces, and trimmed."""
    return " ".join((value or "").split())


def is_digits(text: str) -> bool:
    """True for a run of ASCII digits only (no sign, no other script's digits)."""
    return _DIGITS.fullmatch(text) is not None


def parse_id(text: str | None) -> int | None:
    """A database id as a form or URL sends it ('42'), or None for anything else."""
    text = (text or "").strip()
    return int(text) if is_digits(text) and len(text) <= MAX_ID_DIGITS else None


def parse_row_id(text: str | None) -> int | None:
    """An id a row can have ('42': 1 to MAX_ROW_ID), or None for anything else."""
    value = parse_id(text)
    return value if value is not None and 1 <= value <= MAX_ROW_ID else None


def parse_whole_number(text: str | None) -> int | None:
    """'1000000', '1.000.000', 'Rp1.000.000' -> 1000000; None for anything else.

    Negative numbers, decimals and numbers too large to store are refused.
    """
    text = _RUPIAH_PREFIX.sub("", (text or "").strip())
    if _GROUPED.fullmatch(text):
        text = text.replace(".", "").replace(" ", "")
    if not is_digits(text):
        return None
    value = int(text)
    return value if value <= MAX_WHOLE_NUMBER else None


def parse_date(text: str | None) -> date | None:
    """'2026-11-06' (what a date input sends) or '06-11-2026' (how the UI writes dates).

    None for anything else, and for a date outside FIRST_DATE..LAST_DATE.
    """
    text = (text or "").strip()
    try:
        if _ISO_DATE.fullmatch(text):
            parsed = date.fromisoformat(text)
        elif match := _UI_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            parsed = date(year, month, day)
        else:
            return None
    except ValueError:
        return None
    return parsed if in_date_range(parsed) else None


def in_date_range(day: date) -> bool:
    """True for a day (or a datetime's day) between FIRST_DATE and LAST_DATE."""
    return FIRST_DATE <= (day.date() if isinstance(day, datetime) else day) <= LAST_DATE


def parse_year(text: str | None) -> int | None:
    """A programme year written with four digits ('2026'), or None."""
    text = (text or "").strip()
    if _YEAR.fullmatch(text) and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return int(text)
    return None


def year_asked(text: str | None, *, this_year: int) -> tuple[int, str | None]:
    """The year a page was asked for in ``?year=``: (that year, None); (this year, None)
    when none was asked; (this year, a message for the page) when it is not a year."""
    if not text:
        return this_year, None
    year = parse_year(text)
    if year is not None:
        return year, None
    message = _l(
        "Tahun “%(value)s” tidak dikenal: tulis tahun dengan empat angka, misalnya %(year)s. "
        "Yang ditampilkan tahun %(year)s.",
        value=text.strip()[:12],
        year=this_year,
    )
    return this_year, str(message)
