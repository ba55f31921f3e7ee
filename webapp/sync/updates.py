"""What goes back to a phone with each sync: coordinators' decisions since its cursor,
and what the phone says about itself (the heartbeat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..domain.parsing import is_digits
from ..domain.registrations import registration_payload
from ..domain.text import storable
from ..extensions import db
from ..lifecycle import PHONE_STATUS, RegistrationStatus
from ..models import Device, Registration, RegistrationEvent, RegistrationEventKind

BATCH_UPDATES = 500
CURSOR_PREFIX = "e"
MAX_CURSOR_DIGITS = 18  # an event id always fits in a BIGINT
# A phone holding more records than this is reported as holding this many (a column
# of 32 bits on PostgreSQL; no phone holds a million registrations).
MAX_REPORTED_COUNT = 1_000_000


def encode_cursor(event_id: int) -> str:
    return f"{CURSOR_PREFIX}{event_id}"


def decode_cursor(cursor: Any) -> int:
    """The last event id the phone has seen; anything unreadable starts from the beginning."""
    if isinstance(cursor, str) and cursor.startswith(CURSOR_PREFIX):
        digits = cursor[len(CURSOR_PREFIX) :]
        if is_digits(digits) and len(digits) <= MAX_CURSOR_DIGITS:
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
    if isinstance(version, str | int) and not isinstance(version, bool):
        device.app_version = storable(version, 32)
    for key, column in (("pending", "pending_count"), ("needs_fix", "needs_fix_count")):
        value = report.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            setattr(device, column, min(value, MAX_REPORTED_COUNT))
