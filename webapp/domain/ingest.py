"""Storing what phones send: the decisions of ``ingest_rules`` applied to the database.

Used by the sync API and by the office's upload of a phone's saved outbox. One call
takes a batch of items and returns one result per item, in order; an invalid item never
fails the batch. The caller commits the whole batch once, before it answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Device, Registration, User, utcnow
from .choices import FormChoices
from .ingest_rules import RESULT_STATUS, Envelope, Item, Outcome, Stored, decide_item, read_envelope
from .reference import ProgrammeSettings
from .registrations import (
    apply_edit,
    assess_flags,
    content_hash,
    insert_registrations,
    new_references,
    registered_niks,
    registration_row,
)
from .schemas import RegistrationSchema, validate_with

Result = dict[str, Any]
Errors = dict[str, list[str]]


def ingest(
    items: list[Any],
    *,
    user: User,
    device: Device | None,
    settings: ProgrammeSettings,
    choices: FormChoices,
    today: date,
) -> list[Result]:
    """Apply a batch of items sent by ``user``; one result per item, in order.

    ``device`` is the phone it came from (None for a saved outbox uploaded at the
    office). Does not commit.
    """
    now = utcnow()
    envelopes = [read_envelope(item, now=now) for item in items]
    ids = {e.client_id for e in envelopes if e.client_id}
    stored = {
        r.client_id: r
        for r in db.session.scalars(select(Registration).where(Registration.client_id.in_(ids)))
    }
    schema = RegistrationSchema(choices=choices, today=today)
    validated = [
        validate_with(schema, e.payload) if not e.errors else ({}, e.errors) for e in envelopes
    ]
    batch = _Batch(
        user=user,
        device=device,
        settings=settings,
        today=today,
        now=now,
        references=iter(new_references(len(ids - stored.keys()))),
        registered=registered_niks(data["nik"] for data, errors in validated if not errors),
    )
    results = []
    for envelope, (data, errors) in zip(envelopes, validated, strict=True):
        digest = content_hash(envelope.payload, envelope.form_version or 0)
        record = stored.get(envelope.client_id) if envelope.client_id else None
        earlier = batch.new_rows.get(envelope.client_id) if envelope.client_id else None
        outcome = decide_item(
            Item(envelope.client_id, digest, valid=not errors),
            sender_id=user.id,
            stored=Stored(record.collected_by_id, record.content_hash, record.status)
            if record
            else None,
            earlier_hash=earlier["content_hash"] if earlier else None,
        )
        applied = batch.apply(outcome, envelope, data, errors, digest, record)
        results.append(
            {"client_id": envelope.client_id, "status": RESULT_STATUS[outcome], **applied}
        )
    insert_registrations(batch.new_rows.values())
    return results


class _Batch:
    """One batch being applied: the new rows so far and what they need in common."""

    def __init__(
        self,
        *,
        user: User,
        device: Device | None,
        settings: ProgrammeSettings,
        today: date,
        now: datetime,
        references: Iterator[str],
        registered: set[str],
    ) -> None:
        self.user = user
        self.device = device
        self.settings = settings
        self.today = today
        self.now = now
        self.references = references
        self.registered = registered  # NIKs already registered, this batch's new ones too
        self.new_rows: dict[str, dict[str, Any]] = {}  # by client_id, inserted at the end

    def apply(
        self,
        outcome: Outcome,
        envelope: Envelope,
        data: dict[str, Any],
        errors: Errors,
        digest: str,
        record: Registration | None,
    ) -> Result:
        """Carry out one decision; the rest of the item's result (ref, flags, errors)."""
        match outcome:
            case Outcome.NEW | Outcome.REPLACES_EARLIER:
                return self._store_new(envelope, data, digest)
            case Outcome.EDIT:
                assert record is not None
                return self._edit(record, envelope, data, digest)
            case Outcome.ALREADY_RECEIVED if record is not None:
                if self.device is not None and record.device_id is None:
                    record.device = self.device  # it came first by file; updates now reach it
                return {"ref": record.reference, "flags": record.flags}
            case Outcome.ALREADY_RECEIVED:
                row = self.new_rows[str(envelope.client_id)]
                return {"ref": row["reference"], "flags": row["flags"]}
            case Outcome.NOT_THEIRS:
                return {"errors": {"client_id": [_("Nomor ini dipakai pendaftaran lain.")]}}
            case Outcome.DECIDED:
                assert record is not None
                message = _("Pendaftaran ini sudah diputuskan koordinator dan tidak dapat diubah.")
                return {"ref": record.reference, "errors": {"client_id": [message]}}
            case Outcome.INVALID if record is not None:
                return {"ref": record.reference, "errors": errors}
            case Outcome.INVALID:
                return {"errors": errors}
        raise AssertionError(f"no way to apply {outcome}")

    def _flags(self, data: dict[str, Any], *, registered: set[str]) -> list[str]:
        return assess_flags(
            data,
            settings=self.settings,
            today=self.today,
            nik_already_registered=data["nik"] in registered,
        )

    def _store_new(self, envelope: Envelope, data: dict[str, Any], digest: str) -> Result:
        client_id = str(envelope.client_id)
        earlier = self.new_rows.get(client_id)  # new content for an item earlier in this batch
        registered = self.registered - {earlier["nik"]} if earlier else self.registered
        assert envelope.captured_at is not None and envelope.form_version is not None
        row = registration_row(
            data,
            reference=earlier["reference"] if earlier else next(self.references),
            flags=self._flags(data, registered=registered),
            collected_by=self.user,
            client_id=client_id,
            content_hash=digest,
            captured_at=envelope.captured_at,
            form_version=envelope.form_version,
            device=self.device,
            now=self.now,
        )
        self.new_rows[client_id] = row
        self.registered.add(data["nik"])
        return {"ref": row["reference"], "flags": row["flags"]}

    def _edit(
        self, record: Registration, envelope: Envelope, data: dict[str, Any], digest: str
    ) -> Result:
        assert envelope.form_version is not None
        flags = self._flags(data, registered=registered_niks([data["nik"]], excluding_id=record.id))
        apply_edit(
            record,
            data,
            flags=flags,
            content_hash=digest,
            form_version=envelope.form_version,
            device=self.device,
            now=self.now,
        )
        return {"ref": record.reference, "flags": flags}
