"""Reading rupiah amounts exactly, as Indonesians write them and as JSON carries them.

Whole rupiah only: the programme never deals in sen. A thousands separator is a dot
(``1.500.000``) or a space; a comma starts the sen (``1.500.000,00``, or ``,-`` for
none). Anything that could be read two ways (``1,500,000``, ``1500000.50``, ``1.5``)
is refused with a message, never guessed: a wrong income changes what the city pays.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

NOT_AN_AMOUNT = _l(
    "Penghasilan harus angka rupiah tanpa sen, mis. 1500000 atau 1.500.000 (titik sebagai "
    "pemisah ribuan)."
)
HAS_SEN = _l("Penghasilan ditulis dalam rupiah penuh, tanpa sen.")

_PREFIX = re.compile(r"^rp\.?", re.IGNORECASE)
# 1500000 | 1.500.000 | 1 500 000, then optionally ,00 / ,0 / ,- (no sen)
_AMOUNT = re.compile(r"(?P<whole>[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+)"
                     r"(?:,(?P<sen>[0-9]{1,2}|-))?")  # fmt: skip


class AmountError(ValueError):
    """Not a whole rupiah amount; ``message`` says why, for the person who typed it."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def read_rupiah(value: Any) -> int:
    """The whole rupiah ``value`` means; AmountError when it is not one, or is ambiguous.

    Accepted: a JSON integer; a JSON number with no fraction (``1500000.0``); text such as
    ``1500000``, ``1.500.000``, ``1 500 000``, ``Rp 1.500.000``, ``Rp1.500.000,00``,
    ``1.500.000,-``. Negative amounts are AmountErrors too; bounds are the caller's.
    """
    if isinstance(value, bool):
        raise AmountError(NOT_AN_AMOUNT)
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float | Decimal):
        amount = _whole_number(Decimal(value))
    elif isinstance(value, str):
        amount = _read_text(value)
    else:
        raise AmountError(NOT_AN_AMOUNT)
    if amount < 0:
        raise AmountError(_l("Penghasilan tidak boleh negatif."))
    return amount


def _whole_number(number: Decimal) -> int:
    if not number.is_finite():
        raise AmountError(NOT_AN_AMOUNT)
    try:
        whole = number.to_integral_value()
    except InvalidOperation as err:  # too large to be an amount at all
        raise AmountError(NOT_AN_AMOUNT) from err
    if whole != number:
        raise AmountError(HAS_SEN)
    return int(whole)


def _read_text(text: str) -> int:
    text = " ".join(text.split())  # any run of white space is one space
    text = _PREFIX.sub("", text).strip()
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise AmountError(NOT_AN_AMOUNT)
    sen = match.group("sen")
    if sen is not None and sen != "-" and int(sen) != 0:
        raise AmountError(HAS_SEN)
    return int(match.group("whole").replace(".", "").replace(" ", ""))
