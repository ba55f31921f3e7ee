"""Storing what phones send: the decisions of ``ingest_rules`` applied to the database.

Used by the sync API and by the office's upload of a phone's saved outbox. One call
takes a batch of items and returns one result per item, in order. Nothing in one item
can fail the batch: the checks refuse it with field messages, and should the database
still refuse one (a savepoint each), only that item comes back ``invalid``.

A new registration gets the reference the phone showed for it, made from its client
id (``registrations.reference_for``). Should another registration hold that reference
already (a 40-bit collision, or two items of the batch sharing it), it gets a random
free one instead, and its result says so: ``"ref_changed": true`` beside the ``ref``
(every result for that record says so, a resend's too; the key is absent otherwise).

Several senders at once (two tabs, two phones of one volunteer, a retry racing its
original): the registrations already stored under the batch's client ids are locked
while the batch is applied (PostgreSQL; SQLite writers take turns anyway), and a new
row whose client id or reference another sender stored a moment ago is skipped (ON
CONFLICT DO NOTHING) and its items decided again: against the row stored under its
client id if there is one (the same record, sent twice), and otherwise as new, away
from the reference it was refused with (another record took it). The caller commits
once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from ..extensions import db
from ..models import Device, Registration, User, utcnow
from .choices import FormChoices
from .ingest_rules import (
    RESULT_STATUS,
    Envelope,
    Item,
    Outcome,
    Stored,
    decide_item,
    read_envelope,
)
from .reference import ProgrammeSettings
from .registrations import (
    apply_edit,
    assess_flags,
    content_hash,
    insert_registrations,
    new_references,
    reference_for,
    registered_niks,
    registration_row,
)
from .schemas import RegistrationSchema, validate_with

Result = dict[str, Any]
Errors = dict[str, list[str]]
MAX_ROUNDS = 5  # a client id taken by another sender needs one more round, rarely two


class IngestConflict(RuntimeError):
    """Other senders kept taking this batch's client ids or references; try again."""


@dataclass(frozen=True)
class Sender:
    """Who sends a batch, and how."""

    user: User  # the volunteer the records are collected by
    device: Device | None  # the phone (None for a saved outbox uploaded at the office)
    received_by: User | None = None  # who handed it in, when not the volunteer themself

    @property
    def by_file(self) -> bool:
        return self.device is None and self.received_by is not None


@dataclass
class _Checked:
    """One item as read: its envelope, the clean data or the field errors, its hash."""

    envelope: Envelope
    data: dict[str, Any]
    errors: Errors
    digest: str


def ingest(
    items: Sequence[Any],
    *,
    sender: Sender,
    settings: ProgrammeSettings,
    choices: FormChoices,
    today: date,
) -> list[Result]:
    """Apply a batch of items; one result per item, in order. Does not commit.

    Raises IngestConflict when other senders kept racing it (the caller retries).
    """
    now = utcnow()
    schema = RegistrationSchema(choices=choices, today=today)
    checked = []
    for item in items:
        envelope = read_envelope(item, now=now)
        data, errors = validate_with(schema, envelope.payload) if not envelope.errors else ({}, {})
        checked.append(
            _Checked(
                envelope,
                data,
                envelope.errors or errors,
                content_hash(envelope.payload, envelope.form_version or 0),
            )
        )
    results: list[Result | None] = [None] * len(checked)
    pending = list(range(len(checked)))
    refused_references: set[str] = set()  # the references skipped rows were stored with
    for _round in range(MAX_ROUNDS):
        batch = _Batch(sender, settings=settings, today=today, now=now, refused=refused_references)
        taken = batch.run([checked[i] for i in pending])
        for position, result in zip(pending, batch.results, strict=True):
            results[position] = result
        # Items whose new row another sender took meanwhile (its client id or its
        # reference) are decided again; the next round tells the two apart.
        refused_references |= {batch.new_rows[client_id]["reference"] for client_id in taken}
        pending = [i for i in pending if checked[i].envelope.client_id in taken]
        if not pending:
            return [r for r in results if r is not None]
    raise IngestConflict("client ids or references kept being taken by other senders")


class _Batch:
    """One round of a batch: decide each item against the database, then store."""

    def __init__(
        self,
        sender: Sender,
        *,
        settings: ProgrammeSettings,
        today: date,
        now: datetime,
        refused: Collection[str] = (),
    ) -> None:
        self.sender = sender
        self.settings = settings
        self.today = today
        self.now = now
        self.refused = refused
        self.taken_references: set[str] = set()
        self.results: list[Result] = []
        self.new_rows: dict[str, dict[str, Any]] = {}  # by client_id, inserted at the end
        self.new_positions: dict[str, list[int]] = {}  # the results each new row answers

    def run(self, items: list[_Checked]) -> set[str]:
        """Decide and apply ``items``; return the client ids another sender took meanwhile."""
        ids = {c.envelope.client_id for c in items if c.envelope.client_id}
        stored = _lock_stored(ids)
        self.taken_references = _references_taken(
            {reference_for(client_id) for client_id in ids - stored.keys()}
        )
        # A row an earlier round inserted with ON CONFLICT DO NOTHING and found skipped:
        # if its client id is stored now, another sender stored the same record (its
        # items are decided against that row above); if not, another record took its
        # reference, which is then avoided here even before that record is visible.
        self.taken_references |= set(self.refused)
        self.registered = registered_niks(c.data["nik"] for c in items if not c.errors)
        for checked in items:
            client_id = checked.envelope.client_id
            record = stored.get(client_id) if client_id else None
            earlier = self.new_rows.get(client_id) if client_id else None
            outcome = decide_item(
                Item(client_id, checked.digest, valid=not checked.errors),
                sender_id=self.sender.user.id,
                stored=Stored(record.collected_by_id, record.content_hash, record.status)
                if record
                else None,
                earlier_hash=earlier["content_hash"] if earlier else None,
                edits_allowed=not self.sender.by_file,
            )
            applied = self.apply(outcome, checked, record)
            self.results.append(
                {"client_id": client_id, "status": RESULT_STATUS[outcome], **applied}
            )
        return self.store_new_rows()

    def apply(self, outcome: Outcome, checked: _Checked, record: Registration | None) -> Result:
        """Carry out one decision; the rest of the item's result (ref, flags, errors)."""
        envelope = checked.envelope
        match outcome:
            case Outcome.NEW | Outcome.REPLACES_EARLIER:
                return self._new_row(checked)
            case Outcome.EDIT:
                assert record is not None
                return self._edit(record, checked)
            case Outcome.ALREADY_RECEIVED if record is not None:
                if self.sender.device is not None and record.device_id is None:
                    record.device = self.sender.device  # came first by file: updates go here
                return {**_ref(record), "flags": record.flags}
            case Outcome.ALREADY_RECEIVED:
                row = self.new_rows[str(envelope.client_id)]
                self.new_positions[str(envelope.client_id)].append(len(self.results))
                return {**_ref(row), "flags": row["flags"]}
            case Outcome.NOT_THEIRS:
                return {"errors": {"client_id": [_("Nomor ini dipakai pendaftaran lain.")]}}
            case Outcome.DECIDED:
                assert record is not None
                message = _("Pendaftaran ini sudah diputuskan koordinator dan tidak dapat diubah.")
                return {**_ref(record), "errors": {"client_id": [message]}}
            case Outcome.NO_EDIT_BY_FILE:
                assert record is not None
                message = _(
                    "Pendaftaran ini sudah diterima dengan isi lain; perubahan tidak diterima "
                    "lewat berkas. Relawan mengirim perbaikannya dari HP."
                )
                return {**_ref(record), "errors": {"client_id": [message]}}
            case Outcome.INVALID if record is not None:
                return {**_ref(record), "errors": checked.errors}
            case Outcome.INVALID:
                return {"errors": checked.errors}
        raise AssertionError(f"no way to apply {outcome}")

    def _flags(self, data: dict[str, Any], *, registered: set[str]) -> list[str]:
        return assess_flags(
            data,
            settings=self.settings,
            today=self.today,
            nik_already_registered=data["nik"] in registered,
        )

    def _new_row(self, checked: _Checked) -> Result:
        envelope, data = checked.envelope, checked.data
        client_id = str(envelope.client_id)
        earlier = self.new_rows.get(client_id)  # new content for an item earlier in this batch
        registered = self.registered - {earlier["nik"]} if earlier else self.registered
        assert envelope.captured_at is not None and envelope.form_version is not None
        row = registration_row(
            data,
            reference=earlier["reference"] if earlier else self._reference(client_id),
            flags=self._flags(data, registered=registered),
            collected_by=self.sender.user,
            client_id=client_id,
            content_hash=checked.digest,
            captured_at=envelope.captured_at,
            form_version=envelope.form_version,
            device=self.sender.device,
            now=self.now,
        )
        if self.sender.received_by is not None:
            row["received_by_id"] = self.sender.received_by.id
        self.new_rows[client_id] = row
        self.new_positions.setdefault(client_id, []).append(len(self.results))
        self.registered.add(data["nik"])
        return {**_ref(row), "flags": row["flags"]}

    def _reference(self, client_id: str) -> str:
        """The reference the phone showed for ``client_id``; a random free one if taken."""
        reference = reference_for(client_id)
        while reference in self.taken_references:
            reference = new_references(1)[0]
        self.taken_references.add(reference)
        return reference

    def _edit(self, record: Registration, checked: _Checked) -> Result:
        envelope, data = checked.envelope, checked.data
        assert envelope.form_version is not None
        flags = self._flags(data, registered=registered_niks([data["nik"]], excluding_id=record.id))
        try:
            with db.session.begin_nested():  # should the database refuse it: this item only
                apply_edit(
                    record,
                    data,
                    flags=flags,
                    content_hash=checked.digest,
                    form_version=envelope.form_version,
                    device=self.sender.device,
                    now=self.now,
                )
                db.session.flush()
        except OperationalError:
            raise  # a lock given up on, a deadlock: the caller retries the whole batch
        except DBAPIError:  # the database refuses what it was given: this item only
            return {**_ref(record), "errors": _unstorable()}
        return {**_ref(record), "flags": flags}

    def store_new_rows(self) -> set[str]:
        """Insert the new rows; return the client ids another sender took meanwhile.

        All at once in a savepoint; should the database refuse, row by row, and an item
        whose row it refuses comes back ``invalid``.
        """
        rows = list(self.new_rows.values())
        if not rows:
            return set()
        try:
            with db.session.begin_nested():
                stored = insert_registrations(rows, skip_taken=True)
            return set(self.new_rows) - set(stored)
        except OperationalError:
            raise  # a lock given up on, a deadlock: the caller retries the whole batch
        except DBAPIError:
            pass  # the database refuses some row (a race is no error: it skips those)
        taken = set()
        for row in rows:
            try:
                with db.session.begin_nested():
                    if not insert_registrations([row], skip_taken=True):
                        taken.add(row["client_id"])
            except OperationalError:
                raise
            except DBAPIError:
                self._refused(row["client_id"])
        return taken

    def _refused(self, client_id: str) -> None:
        """The database would not store this row: its items come back ``invalid``."""
        for position in self.new_positions[client_id]:
            self.results[position] = {
                "client_id": client_id,
                "status": "invalid",
                "errors": _unstorable(),
            }


def _ref(record: Registration | dict[str, Any]) -> Result:
    """A result's reference, saying so when it is not the one the phone made."""
    if isinstance(record, Registration):
        reference, client_id = record.reference, record.client_id
    else:
        reference, client_id = record["reference"], record["client_id"]
    if reference == reference_for(client_id):
        return {"ref": reference}
    return {"ref": reference, "ref_changed": True}


def _references_taken(references: set[str]) -> set[str]:
    """Which of ``references`` a stored registration holds."""
    if not references:
        return set()
    return set(
        db.session.scalars(
            select(Registration.reference).where(Registration.reference.in_(references))
        )
    )


def _lock_stored(client_ids: set[str]) -> dict[str, Registration]:
    """The registrations stored under ``client_ids``, locked until the batch commits
    (in id order, so that two batches sharing records cannot deadlock)."""
    if not client_ids:
        return {}
    return {
        r.client_id: r
        for r in db.session.scalars(
            select(Registration)
            .where(Registration.client_id.in_(client_ids))
            .order_by(Registration.id)
            .with_for_update()
        )
    }


def _unstorable() -> Errors:
    return {
        "item": [
            _(
                "Server tidak dapat menyimpan pendaftaran ini. Periksa isiannya, lalu simpan "
                "lagi; jika tetap gagal, hubungi koordinator."
            )
        ]
    }
