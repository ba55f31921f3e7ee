"""Cells for spreadsheet programs: one guard against formulas in the files we hand out.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or line break, or the
full-width forms some programs read as the same) is run as a formula by Excel and
LibreOffice (OWASP "CSV injection"). Every CSV and XLSX cell of free text goes through
``without_formula``.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
BOM = "\ufeff"  # tells Excel a CSV is UTF-8, so names with é, ñ... stay readable


def without_formula(value: Any) -> Any:
    """Text a spreadsheet shows as text: a leading ' before anything it would run.

    Anything but text passes unchanged, and so does text of digits (a NIK, a phone
    number in 08... form), which never starts with one of those.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
