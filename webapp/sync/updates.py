"""What goes back to a phone with each sync (coordinators' decisions since its cursor),
and what the phone says about itself (the heartbeat, the records it discarded)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import lazyload

from ..domain.parsing import is_digits
from ..domain.registrations import parse_client_id, registration_payload
from ..domain.text import storable
from ..extensions import db
from ..lifecycle import RegistrationStatus, phone_status
from ..models import (
    BatchStatus,
    Device,
    EnrollmentBatch,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
)

BATCH_UPDATES = 500
CURSOR_PREFIX = "e"
MAX_CURSOR_DIGITS = 18  # an event id always fits in a BIGINT
# A phone holding more records than this is reported as holding this many (a column
# of 32 bits on PostgreSQL; no phone holds a million registrations).
MAX_REPORTED_COUNT = 1_000_000
# What changes the word a phone shows for a record: a decision (a coordinator's, or a
# batch's), and the volunteer's correction (made on any of their phones).
REPORTED_KINDS = (RegistrationEventKind.STATUS.value, RegistrationEventKind.EDITED.value)

# Discards: records the office has that the volunteer threw away on a phone. Read from
# at most MAX_DISCARDS entries a request (the rest are not acknowledged, and come again).
MAX_DISCARDS = 200
MAX_CLIENT_ID_CHARS = 64  # a UUID has 36; longer is not one
DISCARD_REASON_MAX = 300
DISCARD_NOTE_PREFIX = "Dibuang di HP oleh relawan"  # kept in the history as the office reads it


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
    """What changed since ``cursor`` on this volunteer's records, and the new cursor.

    Per volunteer, not per phone: a record sent from one of their phones is reported to
    every phone of theirs, each reading on from its own cursor. One update per record,
    saying where it stands now (a phone keeps only the last word), in the order of each
    record's last change; at most BATCH_UPDATES, and the cursor is the last of those
    changes, so the next sync goes on from there.

    A new phone (cursor null) thus hears, BATCH_UPDATES at a time, where each of its
    volunteer's decided records stands: it keeps what it says of the records it holds,
    takes in the ``needs_fix`` ones (they carry the record to fix), and skips the rest.
    """
    since = decode_cursor(cursor)
    last_change = func.max(RegistrationEvent.id)
    changed = (
        select(last_change.label("event_id"))
        .join(Registration, RegistrationEvent.registration_id == Registration.id)
        .where(
            Registration.collected_by_id == device.user_id,
            RegistrationEvent.kind.in_(REPORTED_KINDS),
            RegistrationEvent.id > since,
        )
        .group_by(RegistrationEvent.registration_id)
        .order_by(last_change)
        .limit(BATCH_UPDATES)
        .subquery()
    )
    rows = db.session.execute(
        select(RegistrationEvent, Registration, EnrollmentBatch.status)
        .join(changed, RegistrationEvent.id == changed.c.event_id)
        .join(Registration, RegistrationEvent.registration_id == Registration.id)
        .outerjoin(EnrollmentBatch, Registration.batch_id == EnrollmentBatch.id)
        .options(lazyload(Registration.flag_rows))
        .order_by(RegistrationEvent.id)
    ).all()
    kept_ids = {r.duplicate_of_id for _e, r, _b in rows if r.duplicate_of_id is not None}
    kept = (
        dict(
            db.session.execute(
                select(Registration.id, Registration.reference).where(
                    Registration.id.in_(sorted(kept_ids))
                )
            ).all()
        )
        if kept_ids
        else {}
    )
    updates = [
        phone_update(event, registration, batch_sent=batch_status == BatchStatus.SENT, kept=kept)
        for event, registration, batch_status in rows
    ]
    last = rows[-1][0].id if rows else since
    return updates, encode_cursor(last)


def phone_update(
    event: RegistrationEvent,
    registration: Registration,
    *,
    batch_sent: bool,
    kept: dict[int, str],
) -> dict[str, Any]:
    """Where ``registration`` stands now, as the phone is told (``event``: its last change)."""
    status = RegistrationStatus(registration.status)
    decided = event.kind == RegistrationEventKind.STATUS and event.status == status
    update: dict[str, Any] = {
        "client_id": registration.client_id,
        "status": phone_status(status, batch_sent=batch_sent),
        "ref": registration.reference,
        "note": (event.note or "") if decided else "",
    }
    if status == RegistrationStatus.NEEDS_FIX:
        update["payload"] = registration_payload(registration)
    elif status == RegistrationStatus.ENROLLED and registration.kpj_number:
        update["kpj"] = registration.kpj_number
    elif status == RegistrationStatus.DUPLICATE and registration.duplicate_of_id in kept:
        update["duplicate_of"] = kept[registration.duplicate_of_id]
    return update


def record_heartbeat(device: Device, report: Any, *, now: datetime) -> None:
    """What the phone says about itself, for coordinators watching the field."""
    device.last_seen_at = now
    if not isinstance(report, dict):
        return
    version = report.get("app_version")
    if isinstance(version, str | int) and not isinstance(version, bool):
        device.app_version = storable(version, 32)
    for key, column in (
        ("pending", "pending_count"),
        ("needs_fix", "needs_fix_count"),
        ("discarded", "discarded_count"),  # discarded before they were ever sent
    ):
        value = report.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            setattr(device, column, min(value, MAX_REPORTED_COUNT))


def read_discards(report: Any) -> dict[str, tuple[str, str]]:
    """The discards a sync request reports: by canonical client id, the id as the phone
    wrote it and the volunteer's reason (cleaned). Entries that cannot be read are
    skipped; only the first MAX_DISCARDS entries are looked at."""
    if not isinstance(report, list):
        return {}
    found: dict[str, tuple[str, str]] = {}
    for entry in report[:MAX_DISCARDS]:
        if not isinstance(entry, dict):
            continue
        sent_id = entry.get("client_id")
        if not isinstance(sent_id, str) or len(sent_id) > MAX_CLIENT_ID_CHARS:
            continue
        client_id = parse_client_id(sent_id)
        if client_id is None or client_id in found:
            continue
        reason = entry.get("reason")
        found[client_id] = (
            sent_id,
            storable(reason, DISCARD_REASON_MAX) if isinstance(reason, str) else "",
        )
    return found


def discard_note(reason: str) -> str:
    return f"{DISCARD_NOTE_PREFIX}: {reason}" if reason.strip() else DISCARD_NOTE_PREFIX


def record_discards(device: Device, report: Any, *, now: datetime) -> list[str]:
    """A note in the history of each of this volunteer's records the phone says it
    discarded; returns the client ids acknowledged (as the phone wrote them), so that
    it can forget them.

    Another volunteer's record, or an unknown id, changes nothing and is acknowledged
    all the same (there is nothing to record, ever). A record's discard is noted once:
    sent again (a lost answer, a second phone), it is only acknowledged.
    """
    discards = read_discards(report)
    if not discards:
        return []
    records = dict(
        db.session.execute(
            select(Registration.client_id, Registration.id).where(
                Registration.client_id.in_(sorted(discards)),
                Registration.collected_by_id == device.user_id,
            )
        ).all()
    )
    noted = (
        set(
            db.session.scalars(
                select(RegistrationEvent.registration_id).where(
                    RegistrationEvent.registration_id.in_(sorted(records.values())),
                    RegistrationEvent.kind == RegistrationEventKind.NOTE,
                    RegistrationEvent.device_id.is_not(None),
                    RegistrationEvent.note.startswith(DISCARD_NOTE_PREFIX, autoescape=True),
                )
            )
        )
        if records
        else set()
    )
    rows = [
        {
            "registration_id": registration_id,
            "kind": RegistrationEventKind.NOTE.value,
            "note": discard_note(discards[client_id][1]),
            "actor_id": device.user_id,
            "device_id": device.id,
            "at": now,
        }
        for client_id, registration_id in sorted(records.items())
        if registration_id not in noted
    ]
    if rows:
        db.session.execute(insert(RegistrationEvent), rows)
    return [sent_id for sent_id, _reason in discards.values()]
