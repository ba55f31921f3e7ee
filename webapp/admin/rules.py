"""Admin rules: what an admin may type and change, checked without Flask or the database.

Each ``check_*`` function takes what was typed (strings, as a form sends them) and the
facts it needs (known codes, current values), and returns the cleaned values with the
problems per field; an empty problem dict means the change may be made. Messages are
lazy translations, shown next to the field they are about.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from ..domain.parsing import (
    DATE_FORMAT,
    FIRST_YEAR,
    LAST_YEAR,
    REQUIRED,
    WHOLE_NUMBER,
    Errors,
    add_error,
    clean_text,
    in_date_range,
    parse_date,
    parse_row_id,
    parse_whole_number,
    parse_year,
)

BASIS_POINTS_WHOLE = 10_000  # 100%
FULL_NAME_MAX = 100
DRIVE_NAME_MAX = 150
DRIVE_PLACE_MAX = 200
# More workers than Kota Semarang has people; a target is an INTEGER column.
TARGET_WORKERS_MAX = 10_000_000
TARGET_TOO_BIG = _l("Paling banyak 10.000.000 pekerja.")

# ---------------------------------------------------------------------------
# Programme settings and targets


def check_settings(
    typed: Mapping[str, str], keys: Collection[str]
) -> tuple[dict[str, int], Errors]:
    """The new value of each setting in ``keys`` from what was typed, and the problems.

    Every value is a whole number of at least 0; the age and income bounds must leave a
    range (min < max) and the JKK rate is at most 10000 basis points (100%).
    """
    values: dict[str, int] = {}
    errors: Errors = {}
    for key in keys:
        raw = (typed.get(key) or "").strip()
        if not raw:
            add_error(errors, key, REQUIRED)
        elif (value := parse_whole_number(raw)) is None:
            add_error(errors, key, WHOLE_NUMBER)
        else:
            values[key] = value
    if "jkk_rate_bp" in values and values["jkk_rate_bp"] > BASIS_POINTS_WHOLE:
        add_error(
            errors, "jkk_rate_bp", _l("Tarif JKK paling besar 10000 basis poin (100 persen).")
        )
    if "min_age" in values and "max_age" in values and values["min_age"] >= values["max_age"]:
        add_error(errors, "max_age", _l("Usia tertinggi harus lebih besar dari usia terendah."))
    low, high = values.get("income_usual_min"), values.get("income_usual_max")
    if low is not None and high is not None and low >= high:
        add_error(
            errors,
            "income_usual_max",
            _l("Penghasilan tertinggi harus lebih besar dari penghasilan terendah."),
        )
    return values, errors


def changed_values(old: Mapping[str, int], new: Mapping[str, int]) -> dict[str, tuple[int, int]]:
    """key -> (old, new) for each value that differs, in key order."""
    return {key: (old[key], new[key]) for key in sorted(new) if key in old and old[key] != new[key]}


def check_target_workers(typed: Mapping[str, str]) -> tuple[dict[str, int], Errors]:
    """The workers count for each target field typed (e.g. ``target-3``), whole and >= 0."""
    values: dict[str, int] = {}
    errors: Errors = {}
    for field, raw in typed.items():
        value = parse_whole_number(raw)
        if value is None:
            add_error(errors, field, WHOLE_NUMBER if raw.strip() else REQUIRED)
        elif value > TARGET_WORKERS_MAX:
            add_error(errors, field, TARGET_TOO_BIG)
        else:
            values[field] = value
    return values, errors


@dataclass(frozen=True)
class NewTarget:
    year: int
    funding_source_code: str
    workers: int


def check_new_target(
    typed: Mapping[str, str],
    *,
    funding_sources: Collection[str],
    existing: Collection[tuple[int, str]],
) -> tuple[NewTarget | None, Errors]:
    """A yearly target for a funding source that has none for that year yet."""
    errors: Errors = {}
    year_text = (typed.get("year") or "").strip()
    year = parse_year(year_text)
    if not year_text:
        add_error(errors, "year", REQUIRED)
    elif year is None:
        add_error(
            errors,
            "year",
            _l("Tahun harus antara %(first)d dan %(last)d.", first=FIRST_YEAR, last=LAST_YEAR),
        )
    source = (typed.get("funding_source_code") or "").strip()
    if not source:
        add_error(errors, "funding_source_code", REQUIRED)
    elif source not in funding_sources:
        add_error(errors, "funding_source_code", _l("Pilih sumber dana dari daftar."))
    workers_text = (typed.get("workers") or "").strip()
    workers = parse_whole_number(workers_text)
    if not workers_text:
        add_error(errors, "workers", REQUIRED)
    elif workers is None:
        add_error(errors, "workers", WHOLE_NUMBER)
    elif workers > TARGET_WORKERS_MAX:
        add_error(errors, "workers", TARGET_TOO_BIG)
    if not errors and (year, source) in existing:
        add_error(
            errors,
            "year",
            _l(
                "Target %(year)d untuk %(source)s sudah ada; ubah angkanya di tabel target.",
                year=year,
                source=source,
            ),
        )
    if errors or year is None or workers is None:
        return None, errors
    return NewTarget(year, source, workers), errors


@dataclass(frozen=True)
class NewSponsor:
    code: str
    name: str


_SOURCE_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")
SOURCE_NAME_MAX = 150


def check_new_sponsor(
    typed: Mapping[str, str], *, existing_codes: Collection[str]
) -> tuple[NewSponsor | None, Errors]:
    """A named sponsor as a funding source: a short code (e.g. CSR-BANKJATENG) and a name."""
    errors: Errors = {}
    code = (typed.get("code") or "").strip().upper()
    if not code:
        add_error(errors, "code", REQUIRED)
    elif not _SOURCE_CODE.fullmatch(code):
        add_error(
            errors,
            "code",
            _l("Kode 2–32 huruf, angka atau tanda minus, tanpa spasi, mis. CSR-BANKJATENG."),
        )
    elif code in {c.upper() for c in existing_codes}:
        add_error(errors, "code", _l("Kode %(code)s sudah dipakai.", code=code))
    name = clean_text(typed.get("name"))
    if not name:
        add_error(errors, "name", REQUIRED)
    elif len(name) > SOURCE_NAME_MAX:
        add_error(errors, "name", _l("Paling banyak %(n)d karakter.", n=SOURCE_NAME_MAX))
    if errors:
        return None, errors
    return NewSponsor(code, name), errors


# ---------------------------------------------------------------------------
# Outreach drives


@dataclass(frozen=True)
class NewDrive:
    name: str
    place: str
    kelurahan_code: str
    funding_source_code: str | None
    starts_on: date
    ends_on: date


def check_new_drive(
    typed: Mapping[str, str],
    *,
    kelurahan_codes: Collection[str],
    funding_sources: Collection[str],
) -> tuple[NewDrive | None, Errors]:
    """An outreach drive: a name, a place in a Kota Semarang kelurahan, and its dates.

    The funding source is optional; the end date may not come before the start date.
    """
    errors: Errors = {}
    name = clean_text(typed.get("name"))
    if not name:
        add_error(errors, "name", REQUIRED)
    elif len(name) > DRIVE_NAME_MAX:
        add_error(errors, "name", _l("Paling banyak %(n)d karakter.", n=DRIVE_NAME_MAX))
    place = clean_text(typed.get("place"))
    if not place:
        add_error(errors, "place", REQUIRED)
    elif len(place) > DRIVE_PLACE_MAX:
        add_error(errors, "place", _l("Paling banyak %(n)d karakter.", n=DRIVE_PLACE_MAX))
    kelurahan = (typed.get("kelurahan_code") or "").strip()
    if not kelurahan:
        add_error(errors, "kelurahan_code", REQUIRED)
    elif kelurahan not in kelurahan_codes:
        add_error(errors, "kelurahan_code", _l("Pilih kelurahan di Kota Semarang dari daftar."))
    source = (typed.get("funding_source_code") or "").strip() or None
    if source is not None and source not in funding_sources:
        add_error(errors, "funding_source_code", _l("Pilih sumber dana dari daftar."))
    dates: dict[str, date] = {}
    for field in ("starts_on", "ends_on"):
        raw = (typed.get(field) or "").strip()
        if not raw:
            add_error(errors, field, REQUIRED)
        elif (parsed := parse_date(raw)) is None:
            add_error(errors, field, DATE_FORMAT)
        else:
            dates[field] = parsed
    if len(dates) == 2 and dates["ends_on"] < dates["starts_on"]:
        add_error(errors, "ends_on", _l("Tanggal selesai tidak boleh sebelum tanggal mulai."))
    if errors:
        return None, errors
    return NewDrive(name, place, kelurahan, source, dates["starts_on"], dates["ends_on"]), errors


# ---------------------------------------------------------------------------
# Accounts


@dataclass(frozen=True)
class NewUser:
    username: str
    full_name: str
    role: str


def check_new_user(typed: Mapping[str, str], *, roles: Collection[str]) -> tuple[NewUser, Errors]:
    """What can be told about a new account before asking the database.

    The username's characters and whether it is taken are checked by ``create_user``.
    """
    errors: Errors = {}
    username = (typed.get("username") or "").strip()
    if not username:
        add_error(errors, "username", REQUIRED)
    full_name = clean_text(typed.get("full_name"))
    if not full_name:
        add_error(errors, "full_name", REQUIRED)
    elif len(full_name) > FULL_NAME_MAX:
        add_error(errors, "full_name", _l("Paling banyak %(n)d karakter.", n=FULL_NAME_MAX))
    role = (typed.get("role") or "").strip()
    if role not in roles:
        add_error(errors, "role", _l("Pilih peran dari daftar."))
    return NewUser(username, full_name, role), errors


def deactivation_problem(*, actor_id: int, user_id: int) -> str | None:
    """Why the actor may not deactivate this account, or None.

    An admin cannot lock themself out (which also keeps at least one admin active).
    """
    if actor_id == user_id:
        return _l("Anda tidak bisa menonaktifkan akun Anda sendiri.")
    return None


# ---------------------------------------------------------------------------
# The audit log


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""  # exact, or a prefix when it ends with "." or "*"
    actor: str = ""  # a username
    date_from: date | None = None
    date_to: date | None = None

    @property
    def action_prefix(self) -> str | None:
        """'user.' -> 'user.', 'user*' -> 'user'; None for an exact action."""
        if self.action.endswith("*"):
            return self.action.rstrip("*")
        if self.action.endswith("."):
            return self.action
        return None

    def query_args(self) -> dict[str, str]:
        """The filter as URL parameters (only those set), for links to further pages."""
        args = {
            "action": self.action,
            "actor": self.actor,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in args.items() if value}


def check_audit_filter(typed: Mapping[str, str]) -> tuple[AuditFilter, Errors]:
    """The audit log filter from the query string; a bad date is a problem, not ignored."""
    errors: Errors = {}
    dates: dict[str, date | None] = {}
    for field in ("from", "to"):
        raw = (typed.get(field) or "").strip()
        dates[field] = parse_date(raw) if raw else None
        if raw and dates[field] is None:
            add_error(errors, field, DATE_FORMAT)
    if dates["from"] and dates["to"] and dates["to"] < dates["from"]:
        add_error(errors, "to", _l("Tanggal akhir tidak boleh sebelum tanggal awal."))
    found = AuditFilter(
        action=(typed.get("action") or "").strip()[:64],
        actor=(typed.get("actor") or "").strip()[:64],
        date_from=dates["from"],
        date_to=dates["to"],
    )
    return found, errors


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")


def encode_cursor(at: datetime, event_id: int) -> str:
    """The position after an event in the newest-first log: microseconds and id."""
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{event_id}"


def decode_cursor(text: str) -> tuple[datetime, int] | None:
    """(at, id) from ``encode_cursor``, or None if the text is not a cursor: a time
    outside the dates pages accept and an id no row can have are not."""
    match = _CURSOR.fullmatch(text.strip())
    event_id = parse_row_id(match.group(2)) if match else None
    if match is None or event_id is None:
        return None
    try:
        at = _EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        return None
    return (at, event_id) if in_date_range(at) else None


def describe_details(details: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """An audit event's details as (key, value) text pairs, in key order."""
    pairs = []
    for key in sorted(details or {}):
        value = (details or {})[key]
        if isinstance(value, list | tuple):
            text = ", ".join(str(item) for item in value)
        elif value is None:
            text = "—"
        else:
            text = str(value)
        pairs.append((str(key), text))
    return pairs
