"""Rules for registrations: flags, references, and storing what the field sends."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select

from . import nik as nik_rules
from .audit import record_event
from .extensions import db
from .models import Flag, Registration, RegistrationStatus, User, utcnow
from .reference import ProgrammeSettings

# Crockford's base32 without I, L, O, U: nothing to misread when copied by hand.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "PS"

# An earlier registration of the same NIK counts, unless a coordinator rejected it.
_STATUSES_NOT_COUNTED_AS_REGISTERED = (RegistrationStatus.REJECTED,)


def new_reference() -> str:
    """A short reference the worker can keep, e.g. 'PS-K7M4-9QXA'."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"


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
    return [str(f) for f in flags]


def nik_is_registered(nik: str, *, excluding_id: int | None = None) -> bool:
    query = select(Registration.id).where(
        Registration.nik == nik,
        Registration.status.not_in(_STATUSES_NOT_COUNTED_AS_REGISTERED),
    )
    if excluding_id is not None:
        query = query.where(Registration.id != excluding_id)
    return bool(db.session.scalar(select(exists(query))))


def parse_client_id(value: str | None) -> str | None:
    """The canonical form of a client id (a UUID made on the phone or in the form), or None."""
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def find_registration(client_id: str, *, collected_by: User) -> Registration | None:
    """The registration this user already sent under ``client_id``, if any."""
    return db.session.scalar(
        select(Registration).where(
            Registration.client_id == client_id, Registration.collected_by_id == collected_by.id
        )
    )


def _unused_reference() -> str:
    while True:
        ref = new_reference()
        if not db.session.scalar(select(exists().where(Registration.reference == ref))):
            return ref


def store_registration(
    data: dict[str, Any],
    *,
    collected_by: User,
    settings: ProgrammeSettings,
    today: date,
    client_id: str | None = None,
    captured_at: datetime | None = None,
    form_version: int = 1,
) -> Registration:
    """Store a validated registration as ``submitted`` with its flags; the caller commits."""
    now = utcnow()
    registration = Registration(
        reference=_unused_reference(),
        client_id=client_id or str(uuid.uuid4()),
        form_version=form_version,
        status=RegistrationStatus.SUBMITTED,
        collected_by=collected_by,
        captured_at=captured_at or now,
        received_at=now,
        consent_at=captured_at or now,
        **{k: v for k, v in data.items() if k != "consent"},
    )
    registration.set_flags(
        assess_flags(
            data,
            settings=settings,
            today=today,
            nik_already_registered=nik_is_registered(data["nik"]),
        )
    )
    db.session.add(registration)
    db.session.flush()
    record_event(
        "registration.received",
        actor=collected_by,
        target=registration,
        details={"reference": registration.reference, "flags": registration.flags},
    )
    return registration
