"""Rules for registrations: flags, references, content hashes, storing and editing."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..lifecycle import REGISTERS_THE_NIK, RegistrationStatus, check_transition
from ..models import (
    Device,
    Flag,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
    RegistrationFlag,
    User,
    utcnow,
)
from . import nik as nik_rules
from .reference import ProgrammeSettings

# Crockford's base32 without I, L, O, U: nothing to misread when copied by hand.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "PS"
REFERENCE_LENGTH = 8  # characters after the prefix: 40 bits, 5 a character
# What people type for Crockford's letters that are not used: O for 0, I and L for 1.
_REFERENCE_LOOKALIKES = str.maketrans("OIL", "011")
_REFERENCE_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015]")  # spaces, dots, dashes
# The BLK questions (interest in training, news of job fairs) when nobody answered them.
BLK_UNANSWERED = {"blk_training": False, "blk_job_fair": False, "blk_trade": None}


def _reference_text(bits: int) -> str:
    chars = "".join(
        REFERENCE_ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(REFERENCE_LENGTH))
    )
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"


def reference_for(client_id: str) -> str:
    """The reference the phone shows for ``client_id`` the moment the form is saved:
    the UUID's first 5 bytes (big-endian) in Crockford base32, e.g. 'PS-28T5-CY4T'.

    The server stores the same one unless another registration holds it already (a
    40-bit collision: then a random free one, and the phone is told).
    """
    return _reference_text(int.from_bytes(uuid.UUID(client_id).bytes[:5], "big"))


def parse_reference(text: str) -> str | None:
    """'PS-28T5-CY4T' from what a person types for it, or None if it cannot be one.

    With or without the prefix and the dashes, in any case, spaces anywhere, and
    Crockford's look-alikes read as what they look like (O as 0, I and L as 1).
    """
    compact = _REFERENCE_SEPARATORS.sub("", text).upper()
    if len(compact) == len(REFERENCE_PREFIX) + REFERENCE_LENGTH and compact.startswith(
        REFERENCE_PREFIX
    ):
        compact = compact[len(REFERENCE_PREFIX) :]
    compact = compact.translate(_REFERENCE_LOOKALIKES)
    if len(compact) != REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in compact):
        return None
    return f"{REFERENCE_PREFIX}-{compact[:4]}-{compact[4:]}"


def new_reference() -> str:
    """A random reference, e.g. 'PS-K7M4-9QXA' (40 random bits): for a collision."""
    return _reference_text(int.from_bytes(secrets.token_bytes(5), "big"))


def new_references(count: int) -> list[str]:
    """``count`` random references not used by any registration yet."""
    refs: list[str] = []
    while len(refs) < count:
        wanted = {new_reference() for _ in range(count - len(refs))}
        taken = set(
            db.session.scalars(
                select(Registration.reference).where(Registration.reference.in_(wanted))
            )
        )
        refs.extend(sorted(wanted - taken - set(refs)))
    return refs[:count]


def free_reference(client_id: str) -> str:
    """``reference_for(client_id)``, or a random free reference if a registration has it."""
    wanted = reference_for(client_id)
    taken = db.session.scalar(select(Registration.id).where(Registration.reference == wanted))
    return wanted if taken is None else new_references(1)[0]


def content_hash(payload: Any, form_version: int) -> str:
    """What makes two sends of one client id "the same": the payload and the form version.

    Whatever the payload holds: a number read as a Decimal hashes as the float JSON would
    have made of it, and an unpaired surrogate is hashed as it came.
    """
    canonical = json.dumps(
        {"form_version": form_version, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_canonical,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _canonical(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else str(value)


def parse_client_id(value: Any) -> str | None:
    """The canonical form of a client id (a UUID made on the phone or in the form), or None."""
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def name_key(full_name: str) -> str:
    """How names are compared and searched: lower case, single spaces."""
    return " ".join(full_name.lower().split())


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def assess_flags(
    data: dict[str, Any],
    *,
    settings: ProgrammeSettings,
    today: date,
    nik_already_registered: bool,
) -> list[str]:
    """The warnings on a valid registration, as flags for a coordinator."""
    flags = []
    info = nik_rules.parse_nik(data["nik"], today=today)
    if nik_already_registered:
        flags.append(Flag.POSSIBLE_DUPLICATE)
    if not nik_rules.is_issued_in_semarang(info):
        flags.append(Flag.NIK_OUTSIDE_SEMARANG)
    if nik_rules.birth_disagreements(info, data["birth_date"], data["sex"]):
        flags.append(Flag.NIK_BIRTH_MISMATCH)
    if not settings.min_age <= age_on(data["birth_date"], today) <= settings.max_age:
        flags.append(Flag.AGE_OUT_OF_RANGE)
    income = data.get("monthly_income")
    if income is not None and not settings.income_usual_min <= income <= settings.income_usual_max:
        flags.append(Flag.INCOME_UNUSUAL)
    return sorted(str(f) for f in flags)


def registered_niks(niks: Iterable[str], *, excluding_id: int | None = None) -> set[str]:
    """Which of ``niks`` already belong to a registration (rejected ones do not count)."""
    niks = set(niks)
    if not niks:
        return set()
    query = select(Registration.nik).where(
        Registration.nik.in_(niks),
        Registration.status.in_(REGISTERS_THE_NIK),
    )
    if excluding_id is not None:
        query = query.where(Registration.id != excluding_id)
    return set(db.session.scalars(query))


def count_by_status(*where: Any) -> dict[str, int]:
    """How many registrations (matching ``where``) are in each status now."""
    query = select(Registration.status, func.count()).where(*where).group_by(Registration.status)
    return {status: n for status, n in db.session.execute(query)}


def registration_row(
    data: dict[str, Any],
    *,
    reference: str,
    flags: list[str],
    collected_by: User,
    client_id: str,
    content_hash: str,
    captured_at: datetime,
    form_version: int,
    device: Device | None,
    now: datetime,
) -> dict[str, Any]:
    """A new ``submitted`` registration as a row for ``insert_registrations``."""
    return {
        **BLK_UNANSWERED,  # optional questions: every row of one insert has the same keys
        **{k: v for k, v in data.items() if k != "consent"},
        "name_key": name_key(data["full_name"]),
        "kecamatan_code": data["kelurahan_code"][:8],
        "reference": reference,
        "client_id": client_id,
        "content_hash": content_hash,
        "form_version": form_version,
        "status": RegistrationStatus.SUBMITTED.value,
        "collected_by_id": collected_by.id,
        "device_id": device.id if device else None,
        "captured_at": captured_at,
        "received_at": now,
        "updated_at": now,
        "consent_at": captured_at,
        "flags": flags,
    }


def insert_registrations(
    rows: Iterable[dict[str, Any]], *, skip_taken: bool = False
) -> dict[str, int]:
    """Insert new registrations with their flags and 'received' event, in a few statements.

    Bulk statements rather than one ORM object each: a phone's batch of 100 must be cheap.
    Returns the new ids by client id. With ``skip_taken``, a row whose client id or
    reference another transaction has just taken is left out (ON CONFLICT DO NOTHING),
    and missing from the answer; without it, such a row raises IntegrityError. A row may
    name who received it (``received_by_id``, e.g. the coordinator who uploaded a file);
    by default it is the volunteer who collected it. The caller commits.
    """
    rows = [dict(row) for row in rows]
    if not rows:
        return {}
    flags = {row["client_id"]: row.pop("flags") for row in rows}
    received_by = {row["client_id"]: row.pop("received_by_id", None) for row in rows}
    statement = _insert_skipping_taken() if skip_taken else insert(Registration)
    # render_nulls: rows with and without optional values share one statement.
    inserted = db.session.execute(
        statement.returning(Registration.id, Registration.client_id).execution_options(
            render_nulls=True
        ),
        rows,
    )
    ids = {client_id: id_ for id_, client_id in inserted}
    rows = [row for row in rows if row["client_id"] in ids]
    if not rows:
        return ids
    flag_rows = [
        {"registration_id": ids[row["client_id"]], "flag": flag}
        for row in rows
        for flag in flags[row["client_id"]]
    ]
    if flag_rows:
        db.session.execute(insert(RegistrationFlag), flag_rows)
    db.session.execute(
        insert(RegistrationEvent),
        [
            {
                "registration_id": ids[row["client_id"]],
                "kind": RegistrationEventKind.RECEIVED.value,
                "actor_id": received_by[row["client_id"]] or row["collected_by_id"],
                "device_id": row["device_id"],
                "at": row["received_at"],
            }
            for row in rows
        ],
    )
    return ids


def _insert_skipping_taken():
    dialect = db.session.get_bind().dialect.name
    dialect_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    return dialect_insert(Registration).on_conflict_do_nothing()


def apply_edit(
    registration: Registration,
    data: dict[str, Any],
    *,
    flags: list[str],
    content_hash: str,
    form_version: int,
    device: Device | None,
    now: datetime | None = None,
) -> None:
    """The volunteer corrected a record the office has not decided on: back to ``submitted``."""
    check_transition(registration.status, RegistrationStatus.SUBMITTED)
    now = now or utcnow()
    for key, value in data.items():
        if key != "consent":
            setattr(registration, key, value)
    registration.name_key = name_key(registration.full_name)
    registration.kecamatan_code = registration.kelurahan_code[:8]
    registration.set_flags(flags)
    registration.content_hash = content_hash
    registration.form_version = form_version
    registration.status = RegistrationStatus.SUBMITTED
    registration.updated_at = now
    registration.events.append(
        RegistrationEvent(
            kind=RegistrationEventKind.EDITED,
            status=RegistrationStatus.SUBMITTED,
            actor=registration.collected_by,
            device=device,
            at=now,
        )
    )


def change_status(
    registration: Registration, status: str, *, actor: User, note: str | None = None
) -> RegistrationEvent:
    """Record a coordinator's decision; it reaches the volunteer's phone with the next sync.

    Raises lifecycle.TransitionNotAllowed for a move the lifecycle does not allow.
    """
    check_transition(registration.status, status)
    registration.status = RegistrationStatus(status)
    event = RegistrationEvent(
        kind=RegistrationEventKind.STATUS, status=registration.status, note=note, actor=actor
    )
    registration.events.append(event)
    return event


def registration_payload(registration: Registration) -> dict[str, Any]:
    """The record as the phone's form holds it (same field names as the form)."""
    return {
        "nik": registration.nik,
        "full_name": registration.full_name,
        "birth_date": registration.birth_date.isoformat(),
        "sex": registration.sex,
        "phone": registration.phone,
        "address": registration.address,
        "kelurahan_code": registration.kelurahan_code,
        "occupation": registration.occupation,
        "occupation_other": registration.occupation_other or "",
        "workplace": registration.workplace or "",
        "monthly_income": registration.monthly_income,
        "heir_name": registration.heir_name,
        "heir_relationship": registration.heir_relationship,
        "heir_phone": registration.heir_phone,
        "blk_training": "yes" if registration.blk_training else "",
        "blk_job_fair": "yes" if registration.blk_job_fair else "",
        "blk_trade": registration.blk_trade or "",
        "consent": "yes",
        "drive_id": registration.drive_id,
    }


def store_registration(
    data: dict[str, Any],
    *,
    collected_by: User,
    settings: ProgrammeSettings,
    today: date,
    client_id: str | None = None,
) -> str:
    """Store one validated registration from the web form; return its reference.

    The caller commits.
    """
    now = utcnow()
    row = registration_row(
        data,
        # A form posted without its id: no page showed a reference yet, any free one does.
        reference=free_reference(client_id) if client_id else new_references(1)[0],
        flags=assess_flags(
            data,
            settings=settings,
            today=today,
            nik_already_registered=bool(registered_niks([data["nik"]])),
        ),
        collected_by=collected_by,
        client_id=client_id or str(uuid.uuid4()),
        content_hash=content_hash(data, 1),
        captured_at=now,
        form_version=1,
        device=None,
        now=now,
    )
    insert_registrations([row])
    return row["reference"]
