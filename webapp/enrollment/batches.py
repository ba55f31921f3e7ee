"""Enrollment batches: approved registrations of one funding source, sent to BPJS together.

A batch takes every approved registration of its source and year that is in no batch
yet (narrowed by optional filters and a maximum size), and they become ``exported``.
Until the batch is marked sent it can be cancelled, which returns them to ``approved``.
Each of these moves, and the sending, is a status event on every registration it
touches: that is what tells the volunteers' phones.
Rows move with set-based statements, so a batch of 100,000 costs a few statements.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, insert, literal, select, update

from ..domain.audit import record_event
from ..domain.parsing import (
    REQUIRED,
    Errors,
    add_error,
    clean_text,
    is_digits,
    parse_id,
    parse_whole_number,
)
from ..domain.registrations import count_by_status
from ..extensions import db
from ..lifecycle import RegistrationStatus, check_transition
from ..models import (
    BatchStatus,
    EnrollmentBatch,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
    User,
    utcnow,
)

MAX_BATCH_ROWS = 1_000_000
CANCEL_REASON_MAX = 300


class BatchError(ValueError):
    """The batch cannot be made or changed; the message is for the coordinator."""


@dataclass(frozen=True)
class BatchRequest:
    """What a coordinator asks for: a source's approved registrations of a year."""

    funding_source_code: str
    year: int
    period_start: date
    period_end: date
    kecamatan_code: str | None = None
    occupation: str | None = None
    drive_id: int | None = None
    limit: int | None = None

    def filters(self) -> dict[str, object]:
        """The optional filters that were set, for the batch's record and the audit log."""
        return {
            key: value
            for key, value in asdict(self).items()
            if key in ("kecamatan_code", "occupation", "drive_id", "limit") and value is not None
        }


def _month(typed: Mapping[str, str], field: str, errors: Errors) -> int | None:
    raw = (typed.get(field) or "").strip()
    if not raw:
        add_error(errors, field, REQUIRED)
        return None
    if not is_digits(raw) or not 1 <= int(raw) <= 12:
        add_error(errors, field, _l("Pilih bulan dari daftar."))
        return None
    return int(raw)


def check_batch_request(
    typed: Mapping[str, str],
    *,
    funding_sources: Collection[str],
    years: Collection[int],
    kecamatan_codes: Collection[str],
    occupation_codes: Collection[str],
    drive_ids: Collection[int],
) -> tuple[BatchRequest | None, Errors]:
    """The batch asked for in a form, and the problems per field."""
    errors: Errors = {}
    source = (typed.get("funding_source_code") or "").strip()
    if not source:
        add_error(errors, "funding_source_code", REQUIRED)
    elif source not in funding_sources:
        add_error(errors, "funding_source_code", _l("Pilih sumber dana dari daftar."))
    year_text = (typed.get("year") or "").strip()
    year = int(year_text) if is_digits(year_text) and int(year_text) in years else None
    if year is None:
        add_error(errors, "year", _l("Pilih tahun dari daftar."))
    first = _month(typed, "start_month", errors)
    last = _month(typed, "end_month", errors)
    if first and last and last < first:
        add_error(errors, "end_month", _l("Bulan akhir tidak boleh sebelum bulan awal."))
    kecamatan = (typed.get("kecamatan_code") or "").strip() or None
    if kecamatan is not None and kecamatan not in kecamatan_codes:
        add_error(errors, "kecamatan_code", _l("Pilih kecamatan dari daftar."))
    occupation = (typed.get("occupation") or "").strip() or None
    if occupation is not None and occupation not in occupation_codes:
        add_error(errors, "occupation", _l("Pilih pekerjaan dari daftar."))
    drive_text = (typed.get("drive_id") or "").strip()
    drive_id = parse_id(drive_text)
    if drive_text and drive_id not in drive_ids:
        add_error(errors, "drive_id", _l("Pilih kegiatan dari daftar."))
    limit_text = (typed.get("limit") or "").strip()
    limit = parse_whole_number(limit_text) if limit_text else None
    if limit_text and (limit is None or not 1 <= limit <= MAX_BATCH_ROWS):
        add_error(errors, "limit", _l("Isi jumlah baris paling sedikit 1, atau kosongkan."))
    if errors or year is None or first is None or last is None:
        return None, errors
    return (
        BatchRequest(
            funding_source_code=source,
            year=year,
            period_start=date(year, first, 1),
            period_end=date(year, last, calendar.monthrange(year, last)[1]),
            kecamatan_code=kecamatan,
            occupation=occupation,
            drive_id=drive_id,
            limit=limit,
        ),
        errors,
    )


def eligible(request: BatchRequest) -> Select:
    """The ids of the registrations a batch made from ``request`` would take, oldest first."""
    query = select(Registration.id).where(
        Registration.status == RegistrationStatus.APPROVED,
        Registration.funding_source_code == request.funding_source_code,
        Registration.funding_year == request.year,
        Registration.batch_id.is_(None),
    )
    if request.kecamatan_code:
        query = query.where(Registration.kecamatan_code == request.kecamatan_code)
    if request.occupation:
        query = query.where(Registration.occupation == request.occupation)
    if request.drive_id is not None:
        query = query.where(Registration.drive_id == request.drive_id)
    query = query.order_by(Registration.id)
    return query.limit(request.limit) if request.limit else query


def count_eligible(request: BatchRequest) -> int:
    return db.session.scalar(select(func.count()).select_from(eligible(request).subquery()))


def _move(
    where: list, *, old: RegistrationStatus, new: RegistrationStatus, batch_id: int | None
) -> int:
    """Move the matching registrations still in ``old`` to ``new`` and set their batch;
    returns how many moved. A move the lifecycle does not allow raises."""
    check_transition(old, new)
    return db.session.execute(
        update(Registration)
        .where(*where, Registration.status == old)
        .values(
            status=new,
            batch_id=batch_id,
            version=Registration.version + 1,  # open pages see the change
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def _record_status(
    where: list,
    status: RegistrationStatus,
    *,
    actor: User,
    note: str,
    at: datetime | None = None,
) -> None:
    """A status event on each matching registration: its history, and its volunteer's phone."""
    db.session.execute(
        insert(RegistrationEvent).from_select(
            ["registration_id", "kind", "status", "note", "actor_id", "at"],
            select(
                Registration.id,
                literal(RegistrationEventKind.STATUS.value),
                literal(status.value),
                literal(note),
                literal(actor.id),
                literal(at or utcnow(), type_=RegistrationEvent.__table__.c.at.type),
            ).where(*where),
        )
    )


def create_batch(request: BatchRequest, *, actor: User) -> EnrollmentBatch:
    """Make the batch: its registrations become ``exported``. The caller commits.

    Raises BatchError when no registration matches. Two coordinators making batches at
    once cannot take the same registration: each is moved only while still approved.
    """
    batch = EnrollmentBatch(
        funding_source_code=request.funding_source_code,
        year=request.year,
        period_start=request.period_start,
        period_end=request.period_end,
        status=BatchStatus.READY,
        filters=request.filters(),
        created_by=actor,
    )
    db.session.add(batch)
    db.session.flush()
    chosen = eligible(request).scalar_subquery()
    rows = _move(
        [Registration.id.in_(chosen)],
        old=RegistrationStatus.APPROVED,
        new=RegistrationStatus.EXPORTED,
        batch_id=batch.id,
    )
    if not rows:
        raise BatchError(_l("Tidak ada pendaftaran disetujui yang cocok dan belum masuk batch."))
    batch.row_count = rows
    _record_status(
        [Registration.batch_id == batch.id],
        RegistrationStatus.EXPORTED,
        actor=actor,
        note=f"Masuk batch {batch.label}",
    )
    record_event(
        "batch.create",
        actor=actor,
        target=batch,
        details={
            "batch": batch.label,
            "funding_source": batch.funding_source_code,
            "year": batch.year,
            "rows": rows,
            **request.filters(),
        },
    )
    return batch


def mark_sent(
    batch: EnrollmentBatch, *, actor: User, now: datetime | None = None, by_kpj_import: bool = False
) -> int:
    """The batch went to BPJS Ketenagakerjaan: it can no longer be cancelled.

    Marked by a coordinator, or by a KPJ import (numbers came back for it, so BPJS had
    it). Each of its registrations still waiting for a KPJ number gets a status event,
    so that the volunteer's phone says "sent to BPJS". Returns how many; the caller
    commits.
    """
    if batch.status != BatchStatus.READY:
        raise BatchError(_l("Hanya batch yang siap yang bisa ditandai terkirim."))
    now = now or utcnow()
    batch.status = BatchStatus.SENT
    batch.sent_at = now
    batch.sent_by = actor
    db.session.flush()  # registrations enrolled just now are no longer waiting
    waiting = [
        Registration.batch_id == batch.id,
        Registration.status == RegistrationStatus.EXPORTED,
    ]
    told = db.session.scalar(select(func.count()).select_from(Registration).where(*waiting))
    note = f"Batch {batch.label} dikirim ke BPJS"
    _record_status(waiting, RegistrationStatus.EXPORTED, actor=actor, note=note, at=now)
    details: dict[str, object] = {"batch": batch.label, "rows": told}
    if by_kpj_import:
        details["by"] = "kpj_import"
    record_event("batch.sent", actor=actor, target=batch, details=details)
    return told


def cancel_batch(batch: EnrollmentBatch, *, actor: User, reason: str) -> int:
    """Cancel a batch not yet sent: its registrations return to ``approved``.

    Returns how many returned. The caller commits.
    """
    reason = clean_text(reason)
    if batch.status != BatchStatus.READY:
        raise BatchError(_l("Batch yang sudah dikirim atau dibatalkan tidak bisa dibatalkan."))
    if not reason:
        raise BatchError(_l("Tuliskan alasan pembatalan."))
    if len(reason) > CANCEL_REASON_MAX:
        raise BatchError(_l("Alasan paling banyak %(n)d karakter.", n=CANCEL_REASON_MAX))
    note = f"Batch {batch.label} dibatalkan: {reason}"
    in_batch = [
        Registration.batch_id == batch.id,
        Registration.status == RegistrationStatus.EXPORTED,
    ]
    # The events first, while the registrations still point at the batch.
    _record_status(in_batch, RegistrationStatus.APPROVED, actor=actor, note=note)
    returned = _move(
        [Registration.batch_id == batch.id],
        old=RegistrationStatus.EXPORTED,
        new=RegistrationStatus.APPROVED,
        batch_id=None,
    )
    batch.status = BatchStatus.CANCELLED
    batch.cancelled_at = utcnow()
    batch.cancelled_by = actor
    batch.cancel_reason = reason
    record_event(
        "batch.cancel",
        actor=actor,
        target=batch,
        details={"batch": batch.label, "rows": returned, "reason": reason},
    )
    return returned


def batch_counts(batch: EnrollmentBatch) -> dict[str, int]:
    """How many of the batch's registrations are in each status now."""
    return count_by_status(Registration.batch_id == batch.id)
