"""Tests for webapp.domain.nik: NIK parsing and the Kota Semarang checks."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.nik import (
    SEMARANG_CITY_PREFIX,
    SEMARANG_KECAMATAN_COUNT,
    VALID_PROVINCE_CODES,
    NikError,
    NikInfo,
    birth_disagreements,
    is_issued_in_semarang,
    normalise_nik,
    parse_nik,
    semarang_kecamatan_code,
)

# Fixed so that the century guess and "future date" checks are deterministic.
TODAY = date(2026, 11, 24)


def build_nik(
    *,
    birth_date: date,
    sex: str,
    serial: int,
    prefix: str = SEMARANG_CITY_PREFIX,
    kecamatan: int = 1,
) -> str:
    day = birth_date.day + (40 if sex == "P" else 0)
    return (
        f"{prefix}{kecamatan:02d}"
        f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
    )


# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------


def test_province_codes_are_the_38_current_provinces() -> None:
    expected = {
        *map(str, range(11, 20)),
        "21",
        *map(str, range(31, 37)),
        *map(str, range(51, 54)),
        *map(str, range(61, 66)),
        *map(str, range(71, 77)),
        "81",
        "82",
        *map(str, range(91, 97)),
    }
    assert expected == VALID_PROVINCE_CODES
    assert len(VALID_PROVINCE_CODES) == 38
    assert isinstance(VALID_PROVINCE_CODES, frozenset)


def test_semarang_constants() -> None:
    assert SEMARANG_CITY_PREFIX == "3374"
    assert SEMARANG_KECAMATAN_COUNT == 16


# --------------------------------------------------------------------------
# Valid NIKs
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nik", "birth_date", "sex", "kecamatan_code", "serial"),
    [
        pytest.param("3374011205900012", date(1990, 5, 12), "L", "33.74.01", 12, id="man"),
        pytest.param("3374015205900012", date(1990, 5, 12), "P", "33.74.01", 12, id="woman"),
        pytest.param("3374160101000001", date(2000, 1, 1), "L", "33.74.16", 1, id="man-day-1"),
        pytest.param(
            "3374164101000001",
            date(2000, 1, 1),
            "P",
            "33.74.16",
            1,
            id="woman-day-41",
        ),
        pytest.param(
            "3374073112859999",
            date(1985, 12, 31),
            "L",
            "33.74.07",
            9999,
            id="man-day-31",
        ),
        pytest.param(
            "3374077112859999",
            date(1985, 12, 31),
            "P",
            "33.74.07",
            9999,
            id="woman-day-71",
        ),
        pytest.param(
            "3322034503750421",
            date(1975, 3, 5),
            "P",
            "33.22.03",
            421,
            id="kabupaten-semarang",
        ),
        pytest.param(
            "3171011708450001",
            date(1945, 8, 17),
            "L",
            "31.71.01",
            1,
            id="jakarta",
        ),
        pytest.param(
            "9601012006250002",
            date(2025, 6, 20),
            "L",
            "96.01.01",
            2,
            id="papua-barat-daya",
        ),
    ],
)
def test_parse_valid_nik(
    nik: str, birth_date: date, sex: str, kecamatan_code: str, serial: int
) -> None:
    info = parse_nik(nik, today=TODAY)
    assert info == NikInfo(
        nik=nik,
        province_code=nik[:2],
        regency_code=nik[:4],
        kecamatan_code=kecamatan_code,
        birth_date=birth_date,
        sex=sex,
        serial=serial,
    )


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("3374 0112 0590 0012", id="spaces"),
        pytest.param("3374-0112-0590-0012", id="dashes"),
        pytest.param("33.74.01.120590.0012", id="dots"),
        pytest.param(" 3374011205900012\n", id="surrounding-whitespace"),
        pytest.param("3374\t0112\u00a00590 - 0012", id="mixed-separators"),
    ],
)
def test_parse_accepts_typed_separators(typed: str) -> None:
    info = parse_nik(typed, today=TODAY)
    assert info.nik == "3374011205900012"
    assert info.birth_date == date(1990, 5, 12)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("3374 0112 0590 0012", "3374011205900012", id="spaces"),
        pytest.param("3374-0112-0590-0012", "3374011205900012", id="dashes"),
        pytest.param("33.74.01", "337401", id="dots"),
        pytest.param("3374/01", "3374/01", id="slash-kept"),
        pytest.param("33a4", "33a4", id="letters-kept"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalise_nik(value: str, expected: str) -> None:
    assert normalise_nik(value) == expected


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("3374O11205900012", "digits", id="letter-O-for-zero"),
        pytest.param("3374/0112/0590/0012", "digits", id="slashes"),
        pytest.param("NIK 3374011205900012", "digits", id="label"),
        pytest.param("３３７４０１１２０５９０００１２", "digits", id="fullwidth-digits"),
        pytest.param("337401120590001²", "digits", id="superscript"),
        pytest.param("x", "digits", id="short-non-digit-before-length"),
        pytest.param("337401120590001", "length", id="15-digits"),
        pytest.param("33740112059000123", "length", id="17-digits"),
        pytest.param("", "length", id="empty"),
        pytest.param(" - . ", "length", id="only-separators"),
        pytest.param("0074011205900012", "province", id="province-00"),
        pytest.param("3774011205900012", "province", id="province-37"),
        pytest.param("2074011205900012", "province", id="province-20"),
        pytest.param("9774011205900012", "province", id="province-97"),
        pytest.param("0000000000000000", "province", id="all-zero"),
        pytest.param("3300011205900012", "region", id="regency-00"),
        pytest.param("3374001205900012", "region", id="kecamatan-00"),
        pytest.param("3374000000000000", "region", id="region-before-date"),
        pytest.param("3374010005900012", "date", id="day-00"),
        pytest.param("3374013205900012", "date", id="day-32"),
        pytest.param("3374014005900012", "date", id="day-40"),
        pytest.param("3374017205900012", "date", id="day-72"),
        pytest.param("3374019905900012", "date", id="day-99"),
        pytest.param("3374011200900012", "date", id="month-00"),
        pytest.param("3374011213900012", "date", id="month-13"),
        pytest.param("3374013104900012", "date", id="april-31"),
        pytest.param("3374017104900012", "date", id="april-31-woman"),
        pytest.param("3374013002900012", "date", id="february-30"),
        pytest.param("3374012902990001", "date", id="february-29-1999"),
        pytest.param("3374016902990001", "date", id="february-29-1999-woman"),
        pytest.param("3374013205900000", "date", id="date-before-serial"),
        pytest.param("3374011205900000", "serial", id="serial-0000"),
    ],
)
def test_parse_rejects(value: str, reason: str) -> None:
    with pytest.raises(NikError) as excinfo:
        parse_nik(value, today=TODAY)
    assert excinfo.value.reason == reason


def test_nik_error_is_value_error_and_copies() -> None:
    error = NikError("serial")
    assert isinstance(error, ValueError)
    assert error.reason == "serial"
    assert str(error)
    # copy goes through __reduce_ex__, the same path pickle uses.
    restored = copy.copy(error)
    assert isinstance(restored, NikError)
    assert restored.reason == "serial"


def test_nik_error_rejects_unknown_reason() -> None:
    with pytest.raises(ValueError, match="unknown"):
        NikError("checksum")


# --------------------------------------------------------------------------
# Dates: leap years, century guess, future dates
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nik", "birth_date"),
    [
        pytest.param("3374012902000001", date(2000, 2, 29), id="man-2000"),
        pytest.param("3374016902000001", date(2000, 2, 29), id="woman-2000"),
        pytest.param("3374012902960001", date(1996, 2, 29), id="man-1996"),
        pytest.param("3374012902240001", date(2024, 2, 29), id="man-2024"),
    ],
)
def test_leap_day_valid_in_leap_years(nik: str, birth_date: date) -> None:
    assert parse_nik(nik, today=TODAY).birth_date == birth_date


@pytest.mark.parametrize(
    ("nik", "today", "birth_date"),
    [
        pytest.param(
            "3374010101260001",
            date(2026, 11, 24),
            date(2026, 1, 1),
            id="yy26-earlier-this-year-is-2026",
        ),
        pytest.param(
            "3374012411260001",
            date(2026, 11, 24),
            date(2026, 11, 24),
            id="born-today-is-2026",
        ),
        pytest.param(
            "3374012511260001",
            date(2026, 11, 24),
            date(1926, 11, 25),
            id="tomorrow-in-2026-means-1926",
        ),
        pytest.param(
            "3374010101300001",
            date(2026, 11, 24),
            date(1930, 1, 1),
            id="yy30-is-1930",
        ),
        pytest.param(
            "3374011205900012",
            date(1995, 1, 1),
            date(1990, 5, 12),
            id="explicit-past-today",
        ),
        pytest.param(
            "3374011205050012",
            date(2004, 12, 31),
            date(1905, 5, 12),
            id="yy05-before-2005-is-1905",
        ),
        pytest.param(
            "3374011205050012",
            date(2005, 5, 12),
            date(2005, 5, 12),
            id="yy05-on-the-day-is-2005",
        ),
    ],
)
def test_century_rule(nik: str, today: date, birth_date: date) -> None:
    assert parse_nik(nik, today=today).birth_date == birth_date


@pytest.mark.parametrize(
    ("nik", "today"),
    [
        pytest.param("3374011205900012", date(1990, 5, 11), id="day-before-birth"),
        pytest.param("3374011205900012", date(1989, 12, 31), id="year-before-birth"),
        # 2000-02-29 is after `today` and 1900-02-29 does not exist.
        pytest.param("3374012902000001", date(2000, 2, 28), id="leap-day-1900"),
    ],
)
def test_future_birth_date_rejected(nik: str, today: date) -> None:
    with pytest.raises(NikError) as excinfo:
        parse_nik(nik, today=today)
    assert excinfo.value.reason == "date"


def test_today_defaults_to_current_date() -> None:
    born_yesterday = date.today() - timedelta(days=1)
    nik = build_nik(birth_date=born_yesterday, sex="L", serial=1)
    assert parse_nik(nik).birth_date == born_yesterday


# --------------------------------------------------------------------------
# Kota Semarang
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nik", "in_semarang", "kecamatan_code"),
    [
        pytest.param("3374011205900012", True, "33.74.01", id="kota-kecamatan-01"),
        pytest.param("3374161205900012", True, "33.74.16", id="kota-kecamatan-16"),
        pytest.param("3374171205900012", True, None, id="kota-kecamatan-17"),
        pytest.param("3374991205900012", True, None, id="kota-kecamatan-99"),
        pytest.param("3322011205900012", False, None, id="kabupaten-semarang"),
        pytest.param("3174011205900012", False, None, id="jakarta-same-regency-digits"),
        pytest.param("3371011205900012", False, None, id="kota-magelang"),
    ],
)
def test_semarang_checks(nik: str, in_semarang: bool, kecamatan_code: str | None) -> None:
    info = parse_nik(nik, today=TODAY)
    assert is_issued_in_semarang(info) is in_semarang
    assert semarang_kecamatan_code(info) == kecamatan_code


# --------------------------------------------------------------------------
# birth_disagreements
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nik", "birth_date", "sex", "expected"),
    [
        pytest.param("3374011205900012", date(1990, 5, 12), "L", [], id="agree"),
        pytest.param("3374011205900012", None, None, [], id="nothing-given"),
        pytest.param("3374011205900012", date(1990, 5, 13), "L", ["birth_date"], id="day"),
        pytest.param("3374011205900012", date(1990, 6, 12), None, ["birth_date"], id="month"),
        pytest.param("3374011205900012", date(1991, 5, 12), None, ["birth_date"], id="year"),
        pytest.param("3374011205900012", None, "P", ["sex"], id="sex"),
        pytest.param(
            "3374015205900012",
            date(1990, 12, 5),
            "L",
            ["birth_date", "sex"],
            id="both-in-order",
        ),
        pytest.param(
            "3374011205900012",
            date(1890, 5, 12),
            None,
            [],
            id="other-century-not-flagged",
        ),
        pytest.param(
            # The NIK reads as 2025; the person was really born in 1925.
            "3374011205250012",
            date(1925, 5, 12),
            "L",
            [],
            id="born-1925-read-as-2025",
        ),
        pytest.param(
            "3374015205900012",
            datetime(1990, 5, 12, 8, 30),
            "p",
            [],
            id="datetime-and-lowercase-sex",
        ),
    ],
)
def test_birth_disagreements(
    nik: str, birth_date: date | None, sex: str | None, expected: list[str]
) -> None:
    info = parse_nik(nik, today=TODAY)
    assert birth_disagreements(info, birth_date, sex) == expected


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

sexes = st.sampled_from(["L", "P"])
serials = st.integers(min_value=1, max_value=9999)
semarang_kecamatan = st.integers(min_value=1, max_value=SEMARANG_KECAMATAN_COUNT)
sixteen_digits = st.text(alphabet="0123456789", min_size=16, max_size=16)


@st.composite
def valid_niks(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(VALID_PROVINCE_CODES)))
    regency = draw(st.integers(min_value=1, max_value=99))
    return build_nik(
        birth_date=draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY)),
        sex=draw(sexes),
        serial=draw(serials),
        prefix=f"{province}{regency:02d}",
        kecamatan=draw(st.integers(min_value=1, max_value=99)),
    )


@given(
    birth_date=st.dates(min_value=date(1926, 1, 1), max_value=TODAY),
    sex=sexes,
    serial=serials,
    kecamatan=semarang_kecamatan,
)
def test_round_trip_semarang_nik(birth_date: date, sex: str, serial: int, kecamatan: int) -> None:
    nik = build_nik(birth_date=birth_date, sex=sex, serial=serial, kecamatan=kecamatan)
    info = parse_nik(nik, today=TODAY)
    assert info.nik == nik
    assert info.birth_date.day == birth_date.day
    assert info.birth_date.month == birth_date.month
    assert info.birth_date.year % 100 == birth_date.year % 100
    assert info.sex == sex
    assert info.serial == serial
    assert is_issued_in_semarang(info)
    assert semarang_kecamatan_code(info) == f"33.74.{kecamatan:02d}"


@given(
    # Within the last 100 years the two-digit year is unambiguous.
    birth_date=st.dates(min_value=date(1926, 11, 25), max_value=TODAY),
    sex=sexes,
)
def test_century_guess_exact_within_last_hundred_years(birth_date: date, sex: str) -> None:
    nik = build_nik(birth_date=birth_date, sex=sex, serial=1)
    assert parse_nik(nik, today=TODAY).birth_date == birth_date


@given(value=st.text())
def test_arbitrary_text_only_raises_nik_error(value: str) -> None:
    try:
        info = parse_nik(value, today=TODAY)
    except NikError as error:
        assert error.reason in {
            "length",
            "digits",
            "province",
            "region",
            "date",
            "serial",
        }
    else:
        assert isinstance(info, NikInfo)


@given(value=sixteen_digits)
def test_arbitrary_sixteen_digits_only_raise_nik_error(value: str) -> None:
    try:
        info = parse_nik(value, today=TODAY)
    except NikError as error:
        # Sixteen digits can never fail on form, only on content.
        assert error.reason in {"province", "region", "date", "serial"}
    else:
        assert info.nik == value
        assert info.birth_date <= TODAY
        assert 1 <= info.serial <= 9999


@given(nik=valid_niks())
def test_parsed_nik_agrees_with_itself(nik: str) -> None:
    info = parse_nik(nik, today=TODAY)
    assert birth_disagreements(info, info.birth_date, info.sex) == []


@given(nik=valid_niks(), separator=st.sampled_from([" ", "-", "."]))
def test_separators_do_not_change_result(nik: str, separator: str) -> None:
    typed = separator.join([nik[:4], nik[4:8], nik[8:12], nik[12:]])
    assert parse_nik(typed, today=TODAY) == parse_nik(nik, today=TODAY)
