"""The coordinator's queue: filters, search and keyset pagination (no OFFSET)."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, or_, select, tuple_

from ..clock import semarang_days
from ..domain.nik import normalise_nik
from ..domain.parsing import MAX_ROW_ID, in_date_range, is_digits, parse_date, parse_row_id
from ..domain.registrations import parse_reference
from ..domain.schemas import normalise_phone
from ..extensions import db
from ..lifecycle import RegistrationStatus
from ..models import Flag, Registration, RegistrationFlag

PAGE_SIZE = 50
SORTS = ("newest", "oldest", "name")
ALL_STATUSES = "all"
REFERENCE_WITH_PREFIX = 10  # letters and digits in 'PS-28T5-CY4T'
NIK_DIGITS = 16
NAME_KEY_MAX = 100  # a name is at most 100 characters


@dataclass(frozen=True)
class QueueFilters:
    status: str = RegistrationStatus.SUBMITTED.value
    flag: str = ""
    drive: int | None = None
    volunteer: int | None = None
    occupation: str = ""
    kecamatan: str = ""
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    sort: str = "newest"
    after: str = ""

    def as_params(self, **changes: Any) -> dict[str, str]:
        """Query parameters for a link to this view (empty ones left out)."""
        names = {"received_from": "from", "received_to": "to"}
        values = replace(self, **changes)
        params = {}
        for f in fields(values):
            value = getattr(values, f.name)
            if value not in (None, ""):
                params[names.get(f.name, f.name)] = str(value)
        return params


def parse_filters(args) -> QueueFilters:
    """Read the filters from query parameters; anything malformed is simply ignored."""
    status = args.get("status", RegistrationStatus.SUBMITTED.value)
    if status != ALL_STATUSES and status not in {s.value for s in RegistrationStatus}:
        status = RegistrationStatus.SUBMITTED.value
    flag = args.get("flag", "")
    sort = args.get("sort", "newest")
    return QueueFilters(
        status=status,
        flag=flag if flag in {f.value for f in Flag} else "",
        drive=parse_row_id(args.get("drive")),
        volunteer=parse_row_id(args.get("volunteer")),
        occupation=args.get("occupation", "")[:32],
        kecamatan=args.get("kecamatan", "")
        if re.fullmatch(r"33\.74\.\d\d", args.get("kecamatan", ""))
        else "",
        received_from=parse_date(args.get("from")),
        received_to=parse_date(args.get("to")),
        q=" ".join(args.get("q", "").split())[:100],
        sort=sort if sort in SORTS else "newest",
        after=args.get("after", "")[:200],
    )


def search_condition(q: str):
    """What the office types to find a record, each on its own index:

    - 16 digits (spaces, dots, dashes allowed): the exact NIK;
    - an Indonesian mobile number (08..., 628..., +628..., spaces or dashes allowed):
      the worker's phone, as stored (+628...);
    - a reference, with or without its PS- prefix and dashes, any case, O for 0 and
      I or L for 1 (``registrations.parse_reference``): that reference. Without the
      prefix eight letters may also be a name ("Setiawan" reads as SET1AWAN), so
      names containing the text are found too;
    - anything else: part of the name.
    """
    digits = normalise_nik(q)
    if is_digits(digits) and len(digits) == NIK_DIGITS:
        return Registration.nik == digits
    if (phone := normalise_phone(q)) is not None:
        return Registration.phone == phone
    name = Registration.name_key.contains(" ".join(q.lower().split()), autoescape=True)
    reference = parse_reference(q)
    if reference is None:
        return name
    if sum(char.isalnum() for char in q) == REFERENCE_WITH_PREFIX:  # typed with its PS
        return Registration.reference == reference
    return or_(Registration.reference == reference, name)


def filtered(f: QueueFilters) -> Select:
    query = select(Registration)
    if f.status != ALL_STATUSES:
        query = query.where(Registration.status == f.status)
    if f.flag:
        query = query.where(
            exists().where(
                RegistrationFlag.registration_id == Registration.id, RegistrationFlag.flag == f.flag
            )
        )
    if f.drive is not None:
        query = query.where(Registration.drive_id == f.drive)
    if f.volunteer is not None:
        query = query.where(Registration.collected_by_id == f.volunteer)
    if f.occupation:
        query = query.where(Registration.occupation == f.occupation)
    if f.kecamatan:
        query = query.where(Registration.kecamatan_code == f.kecamatan)
    start, end = semarang_days(f.received_from, f.received_to)
    if start is not None:
        query = query.where(Registration.received_at >= start)
    if end is not None:
        query = query.where(Registration.received_at < end)
    if f.q:
        query = query.where(search_condition(f.q))
    return query


def _sort_columns(sort: str):
    if sort == "name":
        return Registration.name_key, Registration.id
    return Registration.received_at, Registration.id


def encode_cursor(registration: Registration, sort: str) -> str:
    key = registration.name_key if sort == "name" else registration.received_at.isoformat()
    raw = json.dumps([key, registration.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int] | None:
    """The (sort key, id) a cursor from ``encode_cursor`` holds, or None for any other text.

    A forged or damaged cursor gives None (the first page), never a value the database
    cannot compare: a name, or a time with its zone within the dates pages accept, and
    an id a row can have.
    """
    try:
        key, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(key, str) or type(row_id) is not int or not 1 <= row_id <= MAX_ROW_ID:
        return None
    if sort == "name":
        return (key, row_id) if len(key) <= NAME_KEY_MAX and "\x00" not in key else None
    try:
        at = datetime.fromisoformat(key)
    except ValueError:
        return None
    return (at, row_id) if at.tzinfo is not None and in_date_range(at) else None


@dataclass
class QueuePage:
    rows: list[Registration]
    next_cursor: str | None


def queue_page(f: QueueFilters, limit: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue, after ``f.after``; keyset on (sort key, id)."""
    key, row_id = _sort_columns(f.sort)
    descending = f.sort == "newest"
    query = filtered(f)
    position = decode_cursor(f.after, f.sort) if f.after else None
    if position is not None:
        after = tuple_(key, row_id) < position if descending else tuple_(key, row_id) > position
        query = query.where(after)
    order = (key.desc(), row_id.desc()) if descending else (key.asc(), row_id.asc())
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows, encode_cursor(rows[-1], f.sort) if more and rows else None)
