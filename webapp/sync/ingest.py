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
    insert_registrations,
    new_references,
    parse_client_id,
    registered_niks,
    registration_payload,
    registration_row,
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
    existing = {
        r.client_id: r
        for r in db.session.scalars(select(Registration).where(Registration.client_id.in_(ids)))
    }
    schema = RegistrationSchema(choices=choices, today=today)
    validated = [
        validate_with(schema, e.payload) if not e.errors else ({}, e.errors) for e in envelopes
    ]
    already = registered_niks(data["nik"] for data, errors in validated if not errors)
    references = iter(new_references(len(ids - existing.keys())))
    new_rows: dict[str, dict[str, Any]] = {}

    def flags_for(data: dict[str, Any], *, registered: set[str]) -> list[str]:
        return assess_flags(
            data, settings=settings, today=today, nik_already_registered=data["nik"] in registered
        )

    results = []
    for envelope, (data, errors) in zip(envelopes, validated, strict=True):
        client_id = envelope.client_id
        result: dict[str, Any] = {"client_id": client_id}
        digest = content_hash(envelope.payload, envelope.form_version or 0)
        if client_id is None:
            result.update(status="invalid", errors=errors)
        elif client_id in existing:
            result.update(
                _resend_or_edit(
                    existing[client_id],
                    data,
                    errors,
                    digest,
                    envelope,
                    user,
                    device,
                    now,
                    flags_for,
                )
            )
        elif client_id in new_rows and new_rows[client_id]["content_hash"] == digest:
            row = new_rows[client_id]
            result.update(status="already_received", ref=row["reference"], flags=row["flags"])
        elif errors:
            result.update(status="invalid", errors=errors)
        else:
            earlier = new_rows.get(client_id)  # new content for a record earlier in this batch
            registered = already - {earlier["nik"]} if earlier else already
            row = registration_row(
                data,
                reference=earlier["reference"] if earlier else next(references),
                flags=flags_for(data, registered=registered),
                collected_by=user,
                client_id=client_id,
                content_hash=digest,
                captured_at=envelope.captured_at,
                form_version=envelope.form_version,
                device=device,
                now=now,
            )
            new_rows[client_id] = row
            already.add(data["nik"])
            result.update(status="accepted", ref=row["reference"], flags=row["flags"])
        results.append(result)
    insert_registrations(new_rows.values())
    return results


def _resend_or_edit(
    record: Registration, data, errors, digest, envelope, user, device, now, flags_for
) -> dict[str, Any]:
    """What a known client id becomes: a resend, an edit, or a conflict."""
    if record.collected_by_id != user.id:
        return {
            "status": "conflict",
            "errors": {"client_id": [_("Nomor ini dipakai pendaftaran lain.")]},
        }
    if record.content_hash == digest:
        if device is not None and record.device_id is None:
            record.device = device  # it came first by file; updates now reach this phone
        return {"status": "already_received", "ref": record.reference, "flags": record.flags}
    if record.status not in EDITABLE_STATUSES:
        message = _("Pendaftaran ini sudah diputuskan koordinator dan tidak dapat diubah.")
        return {"status": "conflict", "ref": record.reference, "errors": {"client_id": [message]}}
    if errors:
        return {"status": "invalid", "ref": record.reference, "errors": errors}
    flags = flags_for(data, registered=registered_niks([data["nik"]], excluding_id=record.id))
    apply_edit(
        record,
        data,
        flags=flags,
        content_hash=digest,
        form_version=envelope.form_version,
        device=device,
        now=now,
    )
    return {"status": "accepted", "ref": record.reference, "flags": flags}


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
