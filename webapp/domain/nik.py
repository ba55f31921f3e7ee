"""Structural checks for Indonesian NIK (Nomor Induk Kependudukan) numbers.

A NIK is 16 digits: province (2) + regency/city (2) + kecamatan (2) +
DDMMYY birth date (women have 40 added to the day) + serial (4).  The
location digits record where the NIK was first issued, not where the person
lives now.  These checks are structural only: a NIK that passes may still not
belong to anyone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

__all__ = [
    "SEMARANG_CITY_PREFIX",
    "SEMARANG_KECAMATAN_COUNT",
    "VALID_PROVINCE_CODES",
    "NikError",
    "NikInfo",
    "birth_disagreements",
    "is_issued_in_semarang",
    "mask_nik",
    "normalise_nik",
    "parse_nik",
    "semarang_kecamatan_code",
]

VALID_PROVINCE_CODES: frozenset[str] = frozenset(
    {
        *(str(code) for code in range(11, 20)),  # Sumatra: Aceh .. Bangka Belitung
        "21",  # Kepulauan Riau
        *(str(code) for code in range(31, 37)),  # Java: DKI Jakarta .. Banten
        *(str(code) for code in range(51, 54)),  # Bali, NTB, NTT
        *(str(code) for code in range(61, 66)),  # Kalimantan
        *(str(code) for code in range(71, 77)),  # Sulawesi
        "81",  # Maluku
        "82",  # Maluku Utara
        *(str(code) for code in range(91, 97)),  # Papua provinces incl. 2022 splits
    }
)

SEMARANG_CITY_PREFIX = "3374"
SEMARANG_KECAMATAN_COUNT = 16

_NIK_LENGTH = 16
_FEMALE_DAY_OFFSET = 40
_ASCII_DIGITS = frozenset("0123456789")
_SEPARATORS = frozenset(".-")
_REASONS = frozenset({"length", "digits", "province", "region", "date", "serial"})

_REASON_MESSAGES = {
    "length": "NIK must be exactly 16 digits",
    "digits": "NIK may contain only digits",
    "province": "NIK does not start with a known province code",
    "region": "NIK regency or kecamatan code is 00",
    "date": "NIK does not contain a valid, past birth date",
    "serial": "NIK serial number is 0000",
}


class NikError(ValueError):
    """Raised by parse_nik.

    `.reason` is one of: 'length', 'digits', 'province', 'region', 'date',
    'serial'.
    """

    def __init__(self, reason: str):
        if reason not in _REASONS:
            raise ValueError(f"unknown NikError reason: {reason!r}")
        # Only `reason` goes to args so the exception pickles and re-raises cleanly.
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return _REASON_MESSAGES[self.reason]


@dataclass(frozen=True)
class NikInfo:
    """The parts of a structurally valid NIK."""

    nik: str  # the 16 digits
    province_code: str  # "33"
    regency_code: str  # "3374"
    kecamatan_code: str  # dotted Kemendagri form "33.74.01"
    birth_date: datetime.date
    sex: str  # "L" (male) or "P" (female, day > 40)
    serial: int  # 1..9999


def normalise_nik(value: str) -> str:
    """Remove the spaces, dots and dashes a person may type inside a NIK.

    ``'3374 0112 0590 0012'`` becomes ``'3374011205900012'``.  Any whitespace
    counts as a space (pasted numbers often carry tabs or non-breaking
    spaces).  Everything else is returned unchanged, so invalid characters
    are left for parse_nik to reject.
    """
    return "".join(ch for ch in value if not (ch.isspace() or ch in _SEPARATORS))


def _birth_date_and_sex(
    dd: str, mm: str, yy: str, today: datetime.date
) -> tuple[datetime.date, str]:
    day, month, two_digit_year = int(dd), int(mm), int(yy)
    if 1 <= day <= 31:
        sex = "L"
    elif _FEMALE_DAY_OFFSET + 1 <= day <= _FEMALE_DAY_OFFSET + 31:
        sex = "P"
        day -= _FEMALE_DAY_OFFSET
    else:
        raise NikError("date")

    # A NIK carries no century: prefer 20YY unless that would be in the future.
    for century in (2000, 1900):
        try:
            candidate = datetime.date(century + two_digit_year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate, sex
    raise NikError("date")


def parse_nik(value: str, *, today: datetime.date | None = None) -> NikInfo:
    """Check the structure of a NIK and return its parts.

    Raises NikError(reason) on the first problem, in this order:

    - 'digits': anything other than ASCII digits remains after normalise_nik;
    - 'length': not exactly 16 digits;
    - 'province': the first two digits are not in VALID_PROVINCE_CODES;
    - 'region': the regency digits (3-4) or kecamatan digits (5-6) are '00';
    - 'date': DDMMYY is not a real date (day 1-31 for men, 41-71 for women,
      valid for that month and year, leap years included) or lies after
      `today`;
    - 'serial': the last four digits are '0000'.

    The two-digit year YY means 20YY if that date is not after `today`
    (default: date.today()), else 19YY.
    """
    if today is None:
        today = datetime.date.today()

    nik = normalise_nik(value)
    # str.isdigit() would let through e.g. '²' or Arabic-Indic digits.
    if not _ASCII_DIGITS.issuperset(nik):
        raise NikError("digits")
    if len(nik) != _NIK_LENGTH:
        raise NikError("length")

    province, regency, kecamatan = nik[0:2], nik[2:4], nik[4:6]
    dd, mm, yy = nik[6:8], nik[8:10], nik[10:12]
    serial = nik[12:16]

    if province not in VALID_PROVINCE_CODES:
        raise NikError("province")
    if regency == "00" or kecamatan == "00":
        raise NikError("region")
    birth_date, sex = _birth_date_and_sex(dd, mm, yy, today)
    if serial == "0000":
        raise NikError("serial")

    return NikInfo(
        nik=nik,
        province_code=province,
        regency_code=province + regency,
        kecamatan_code=f"{province}.{regency}.{kecamatan}",
        birth_date=birth_date,
        sex=sex,
        serial=int(serial),
    )


def is_issued_in_semarang(info: NikInfo) -> bool:
    """True when the NIK was issued in Kota Semarang (prefix 3374).

    Kabupaten Semarang (3322) is a different regency and does not count.
    """
    return info.regency_code == SEMARANG_CITY_PREFIX


def semarang_kecamatan_code(info: NikInfo) -> str | None:
    """Return '33.74.NN' when issued in Kota Semarang and NN is 01..16, else None."""
    if not is_issued_in_semarang(info):
        return None
    kecamatan = int(info.kecamatan_code.rsplit(".", 1)[1])
    if 1 <= kecamatan <= SEMARANG_KECAMATAN_COUNT:
        return info.kecamatan_code
    return None


def birth_disagreements(
    info: NikInfo, birth_date: datetime.date | None, sex: str | None
) -> list[str]:
    """Return the field names ('birth_date', 'sex') whose value disagrees with the NIK.

    Names come in that order; a None value is not compared.  The birth date
    compares day, month and the two-digit year only, because the century in
    info.birth_date is a guess (someone born in 1925 must not be flagged
    because the NIK was read as 2025).  Sex is compared as 'L' or 'P',
    ignoring case and surrounding whitespace.
    """
    disagreements: list[str] = []
    if birth_date is not None:
        nik_date = info.birth_date
        if (birth_date.day, birth_date.month, birth_date.year % 100) != (
            nik_date.day,
            nik_date.month,
            nik_date.year % 100,
        ):
            disagreements.append("birth_date")
    if sex is not None and sex.strip().upper() != info.sex:
        disagreements.append("sex")
    return disagreements


def mask_nik(value: str) -> str:
    """Show where a NIK is from and its serial, hide the birth date: '3374 01•• •••• 0012'."""
    if len(value) != _NIK_LENGTH:
        return "•" * len(value)
    return f"{value[:4]} {value[4:6]}•• •••• {value[12:]}"
