"""Cells for spreadsheet programs: one guard against formulas in the files we hand out.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or line break, or the
full-width forms some programs read as the same) is run as a formula by Excel and
LibreOffice (OWASP "CSV injection"). Every CSV and XLSX cell of free text goes through
``without_formula``; every line of our CSV files is written by ``csv_line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
BOM = "\ufeff"  # tells Excel a CSV is UTF-8, so names with é, ñ... stay readable
CSV_SEPARATOR = ","
CSV_LINE_END = "\r\n"

# A cell holding one of these is quoted: the separator of either list-separator setting
# ("," in most of the world, ";" in Indonesia and much of Europe), a tab (the third
# separator a program may guess), a quote, or a line break.
_QUOTED_IF = re.compile('[,;\t"\r\n]')
# Where a program splitting on ";", tabs or lines may start a cell inside one of ours:
# after one of them, and after any quotes that follow it. (A tab or line break there
# starts the next such place, which is looked at in turn.)
_LEAD_INSIDE = re.compile(
    '([;\t\r\n]"*)(?=[' + re.escape("".join(c for c in FORMULA_STARTS if not c.isspace())) + "])"
)


def without_formula(value: Any) -> Any:
    """Text a spreadsheet shows as text: a leading ' before anything it would run.

    Anything but text passes unchanged, and so does text of digits (a NIK, a phone
    number in 08... form), which never starts with one of those.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_cell(value: Any) -> str:
    """One cell of a CSV line: a number as it is, None as nothing, anything else as text
    that no spreadsheet program runs as a formula.

    Text is quoted (RFC 4180: in double quotes, a quote doubled) when it holds a comma,
    a semicolon, a tab, a quote or a line break, and a formula lead gets a ' before it
    at the start of the text and right after a semicolon, tab or line break inside it.
    Why inside too:

    - A program reading the file with our separator, the comma (Excel and LibreOffice
      where the list separator is ","), takes a quoted cell whole, semicolons and line
      breaks included, and looks only at its start for a formula: the quotes protect it.
    - Excel where the list separator is ";" (Indonesian regional settings) opens our
      files too, and splits each line at every semicolon (a program told to split on
      tabs, at every tab). It honours a quote only at the start of one of its cells,
      that is at the start of a line or after a semicolon. Our first cell on a line it
      sees whole, as we wrote it; but the quote of any later cell of ours comes after a
      comma, in the middle of one of its cells, so it is a plain character there, and a
      semicolon or line break inside our cell starts a new cell (or line) for it, whose
      start it looks at for a formula. The quotes protect nothing there: hence the '
      after each of them (and after any quotes that follow it, since a cell of that
      program opening with a quote is unquoted before it is looked at).
    After a comma nothing is needed: only a program splitting on commas does so there,
    and it honours our quotes. So "Rp5.000,-" stays as it is.
    """
    if value is None:
        return ""
    if isinstance(value, int | float):  # bool too: True and False, as csv writes them
        return str(value)
    text = str(value)
    if not _QUOTED_IF.search(text):
        return without_formula(text)
    text = without_formula(_LEAD_INSIDE.sub(r"\1'", text))
    return '"' + text.replace('"', '""') + '"'


def csv_line(values: Iterable[Any]) -> str:
    """One line of a CSV file, comma-separated, ending with CRLF; see ``csv_cell``."""
    return CSV_SEPARATOR.join(map(csv_cell, values)) + CSV_LINE_END
