"""The sync rules: what happens to each item a phone sends, and what goes back to it.

Idempotency: ``client_id`` plus a hash of the content. A resend of the same content
gets the original result; new content is an edit while the record is still
``submitted`` or ``needs_fix``, otherwise a conflict. An invalid item never fails the
batch. The caller commits the whole batch once, before it answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Device,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
    RegistrationStatus,
    User,
    utcnow,
)
from ..reference import FormChoices, ProgrammeSettings
from ..registrations import (
    EDITABLE_STATUSES,
    apply_edit,
    assess_flags,
    content_hash,
    new_references,
    new_registration,
    parse_client_id,
    registered_niks,
    registration_payload,
)
from ..schemas import RegistrationSchema, validate_with

MAX_ITEMS = 200
MAX_BYTES = 1024 * 1024
BATCH_UPDATES = 500
CURSOR_PREFIX = "e"
FORM_VERSIONS = (1,)

# What the phone is told about a record, by its status on the server.
PHONE_STATUS = {
    RegistrationStatus.SUBMITTED: "in_review",
    RegistrationStatus.NEEDS_FIX: "needs_fix",
    RegistrationStatus.APPROVED: "approved",
    RegistrationStatus.EXPORTED: "approved",
    RegistrationStatus.ENROLLED: "enrolled",
    RegistrationStatus.REJECTED: "rejected",
    RegistrationStatus.DUPLICATE: "rejected",
}


@dataclass
class Envelope:
    """One item of a sync request, its envelope checked."""

    client_id: str | None
    form_version: int | None = None
    captured_at: datetime | None = None
    payload: dict[str, Any] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def read_envelope(item: Any, *, now: datetime) -> Envelope:
    if not isinstance(item, dict):
        return Envelope(None, errors={"item": [_("Bukan objek JSON.")]})
    envelope = Envelope(parse_client_id(item.get("client_id")))
    if envelope.client_id is None:
        envelope.errors["client_id"] = [_("client_id harus UUID.")]
    version = item.get("form_version")
    if isinstance(version, int) and not isinstance(version, bool) and version in FORM_VERSIONS:
        envelope.form_version = version
    else:
        envelope.errors["form_version"] = [_("Versi formulir tidak dikenal.")]
    envelope.captured_at = _parse_time(item.get("captured_at"))
    if envelope.captured_at is None or envelope.captured_at > now.replace(year=now.year + 1):
        envelope.errors["captured_at"] = [_("Waktu pencatatan harus ISO 8601 dengan zona waktu.")]
    payload = item.get("payload")
    if isinstance(payload, dict):
        envelope.payload = payload
    else:
        envelope.errors["payload"] = [_("Isi pendaftaran tidak ada.")]
    return envelope


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def ingest(
    items: list[Any],
    *,
    user: User,
    device: Device | None,
    settings: ProgrammeSettings,
    choices: FormChoices,
    today: date,
) -> list[dict[str, Any]]:
    """Apply a batch of items; return one result per item, in order. Does not commit."""
    now = utcnow()
    envelopes = [read_envelope(item, now=now) for item in items]
    ids = {e.client_id for e in envelopes if e.client_id}
    existing = (
        {
            r.client_id: r
            for r in db.session.scalars(select(Registration).where(Registration.client_id.in_(ids)))
        }
        if ids
        else {}
    )
    schema = RegistrationSchema(choices=choices, today=today)
    validated = [
        validate_with(schema, e.payload) if not e.errors else ({}, e.errors) for e in envelopes
    ]
    niks = {data["nik"] for data, errors in validated if not errors}
    already = registered_niks(niks)
    references = iter(new_references(sum(1 for e in envelopes if e.client_id not in existing)))

    results = []
    for envelope, (data, errors) in zip(envelopes, validated, strict=True):
        result: dict[str, Any] = {"client_id": envelope.client_id}
        if envelope.client_id is None:
            result.update(status="invalid", errors=errors)
            results.append(result)
            continue
        digest = content_hash(envelope.payload, envelope.form_version or 0)
        record = existing.get(envelope.client_id)
        if record is not None and _owner_id(record) != user.id:
            result.update(
                status="conflict", errors={"client_id": [_("Nomor ini dipakai pendaftaran lain.")]}
            )
        elif record is not None and record.content_hash == digest:
            if device is not None and record.device_id is None:
                record.device = device  # it came first by file; updates now reach this phone
            result.update(status="already_received", ref=record.reference, flags=record.flags)
        elif record is not None and record.status not in EDITABLE_STATUSES:
            result.update(
                status="conflict",
                ref=record.reference,
                errors={
                    "client_id": [
                        _("Pendaftaran ini sudah diputuskan koordinator dan tidak dapat diubah.")
                    ]
                },
            )
        elif errors:
            result.update(status="invalid", errors=errors)
        else:
            others = registered_niks([data["nik"]], excluding_id=record.id) if record else already
            flags = assess_flags(
                data, settings=settings, today=today, nik_already_registered=data["nik"] in others
            )
            if record is not None:
                apply_edit(
                    record,
                    data,
                    flags=flags,
                    content_hash=digest,
                    form_version=envelope.form_version,
                    device=device,
                    now=now,
                )
            else:
                record = new_registration(
                    data,
                    reference=next(references),
                    flags=flags,
                    collected_by=user,
                    client_id=envelope.client_id,
                    content_hash=digest,
                    captured_at=envelope.captured_at,
                    form_version=envelope.form_version,
                    device=device,
                    now=now,
                )
                existing[envelope.client_id] = record
                already.add(data["nik"])
            result.update(status="accepted", ref=record.reference, flags=flags)
        results.append(result)
    return results


def _owner_id(record: Registration) -> int:
    # A record added earlier in this batch has its user set but no foreign key value yet.
    return record.collected_by_id if record.collected_by_id is not None else record.collected_by.id


def encode_cursor(event_id: int) -> str:
    return f"{CURSOR_PREFIX}{event_id}"


def decode_cursor(cursor: Any) -> int:
    """The last event id the phone has seen; anything unreadable starts from the beginning."""
    if isinstance(cursor, str) and cursor.startswith(CURSOR_PREFIX):
        digits = cursor[len(CURSOR_PREFIX) :]
        if digits.isdigit():
            return int(digits)
    return 0


def updates_for(device: Device, cursor: Any) -> tuple[list[dict[str, Any]], str]:
    """Coordinators' decisions on this device's records since ``cursor``, and the new cursor."""
    since = decode_cursor(cursor)
    rows = db.session.execute(
        select(RegistrationEvent, Registration)
        .join(Registration, RegistrationEvent.registration_id == Registration.id)
        .where(
            Registration.device_id == device.id,
            RegistrationEvent.kind == RegistrationEventKind.STATUS,
            RegistrationEvent.id > since,
        )
        .order_by(RegistrationEvent.id)
        .limit(BATCH_UPDATES)
    ).all()
    updates = []
    for event, registration in rows:
        update = {
            "client_id": registration.client_id,
            "status": PHONE_STATUS[RegistrationStatus(event.status)],
            "ref": registration.reference,
            "note": event.note or "",
        }
        if event.status == RegistrationStatus.NEEDS_FIX:
            update["payload"] = registration_payload(registration)
        updates.append(update)
    last = rows[-1][0].id if rows else since
    return updates, encode_cursor(last)


def record_heartbeat(device: Device, report: Any, *, now: datetime) -> None:
    """What the phone says about itself, for coordinators watching the field."""
    device.last_seen_at = now
    if not isinstance(report, dict):
        return
    version = report.get("app_version")
    if isinstance(version, str | int):
        device.app_version = str(version)[:32]
    for key, column in (("pending", "pending_count"), ("needs_fix", "needs_fix_count")):
        value = report.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            setattr(device, column, value)
