"""Coordinators' decisions on registrations, and resolving people registered twice.

Each decision is a status change recorded in the registration's history (which the
volunteer's phone receives with its next sync) and in the audit log. A decision made
from a page that is out of date is refused: the coordinator sees what changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from ..clock import today_in_semarang
from ..domain.audit import record_event
from ..domain.funding import Quota, allocate_approved, load_quotas
from ..domain.registrations import change_status
from ..domain.versions import check_version
from ..extensions import db
from ..lifecycle import MERGEABLE, OPEN_FOR_DECISION, RegistrationStatus
from ..models import Flag, Registration, RegistrationEvent, RegistrationEventKind, User, utcnow

REJECT_REASONS = {
    "not_eligible": _l("Bukan pekerja rentan sasaran program"),
    "already_covered": _l("Sudah menjadi peserta BPJS Ketenagakerjaan"),
    "not_resident": _l("Bukan warga / tidak bekerja di Kota Semarang"),
    "false_data": _l("Data tidak benar"),
    "no_consent": _l("Pekerja menarik persetujuannya"),
    "other": _l("Alasan lain"),
}


class DecisionError(ValueError):
    """The decision cannot be made; the message is for the coordinator."""


@dataclass(frozen=True)
class Decision:
    action: str  # approve | reject | request_fix
    reason: str = ""
    note: str = ""


def bulk_approvable(registration: Registration) -> bool:
    """May be approved with others from the queue: waiting for review and carrying no flag.

    Flagged records need a coordinator to look at them one by one.
    """
    return registration.status == RegistrationStatus.SUBMITTED and not registration.flags


def decide(
    registration: Registration,
    decision: Decision,
    *,
    actor: User,
    expected_version: int | None,
    quotas: dict[str, Quota] | None = None,
) -> None:
    """Apply a decision; raise DecisionError (or StaleRecord) if it is not allowed.
    The caller commits.

    An approved registration gets the proposed funding source for this year, if one has
    room (``quotas``, when given, is kept up to date across several decisions).
    """
    check_version(registration, expected_version)
    if registration.status not in OPEN_FOR_DECISION:
        raise DecisionError(_l("Pendaftaran ini sudah diputuskan."))
    note = decision.note.strip()
    if decision.action == "approve":
        change_status(registration, RegistrationStatus.APPROVED, actor=actor, note=note or None)
        allocate_approved([registration], year=today_in_semarang().year, quotas=quotas)
    elif decision.action == "reject":
        if decision.reason not in REJECT_REASONS:
            raise DecisionError(_l("Pilih alasan penolakan."))
        if decision.reason == "other" and not note:
            raise DecisionError(_l("Tuliskan alasan penolakannya."))
        text = str(REJECT_REASONS[decision.reason]) + (f": {note}" if note else "")
        change_status(registration, RegistrationStatus.REJECTED, actor=actor, note=text)
    elif decision.action == "request_fix":
        if not note:
            raise DecisionError(_l("Tuliskan apa yang harus diperbaiki relawan."))
        change_status(registration, RegistrationStatus.NEEDS_FIX, actor=actor, note=note)
    else:
        raise DecisionError(_l("Keputusan tidak dikenal."))
    record_event(
        f"registration.{decision.action}",
        actor=actor,
        target=registration,
        details={"reference": registration.reference, "reason": decision.reason or None},
    )


def bulk_approve(ids: list[int], *, actor: User) -> tuple[int, int]:
    """Approve the chosen records that are submitted and carry no flag.

    Returns (approved, skipped): flagged or already decided records are left alone. The
    chosen records are locked while they are decided (in id order, as a sync locks them),
    so that a phone's edit arriving meanwhile waits rather than being approved unseen.
    The quotas are locked first, as every decision locks them, so that two coordinators
    never wait for each other in a circle.
    """
    quotas = load_quotas(today_in_semarang().year, lock=True)
    chosen = db.session.scalars(
        select(Registration)
        .where(Registration.id.in_(ids))
        .order_by(Registration.id)
        .with_for_update()
    ).all()
    approved = 0
    for registration in chosen:
        if bulk_approvable(registration):
            decide(
                registration,
                Decision("approve"),
                actor=actor,
                expected_version=None,
                quotas=quotas,
            )
            approved += 1
    return approved, len(ids) - approved


def find_possible_duplicates(registration: Registration) -> list[Registration]:
    """Other records of the same person: the same NIK, or the same name and birth date
    with another NIK (which catches a NIK typed wrong)."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.id != registration.id,
                Registration.status != RegistrationStatus.DUPLICATE,
                or_(
                    Registration.nik == registration.nik,
                    and_(
                        Registration.name_key == registration.name_key,
                        Registration.birth_date == registration.birth_date,
                    ),
                ),
            )
            .order_by(Registration.received_at)
        )
    )


def _clear_duplicate_flag_if_resolved(registration: Registration) -> None:
    if Flag.POSSIBLE_DUPLICATE in registration.flags and not find_possible_duplicates(registration):
        registration.set_flags([f for f in registration.flags if f != Flag.POSSIBLE_DUPLICATE])


def mark_duplicate(
    keep: Registration, drop: Registration, *, actor: User, expected_version: int | None
) -> None:
    """Keep one record; the other becomes ``duplicate``, linked to the one kept."""
    check_version(drop, expected_version)
    if keep.id == drop.id:
        raise DecisionError(_l("Pilih dua pendaftaran yang berbeda."))
    if drop.status not in MERGEABLE:
        raise DecisionError(_l("Pendaftaran ini sudah dikirim ke BPJS atau sudah digabung."))
    if keep.status == RegistrationStatus.DUPLICATE:
        raise DecisionError(_l("Pendaftaran yang dipertahankan sendiri sudah ditandai ganda."))
    drop.duplicate_of_id = keep.id
    change_status(
        drop, RegistrationStatus.DUPLICATE, actor=actor, note=f"Ganda dari {keep.reference}"
    )
    db.session.flush()
    drop.set_flags([f for f in drop.flags if f != Flag.POSSIBLE_DUPLICATE])  # resolved
    _clear_duplicate_flag_if_resolved(keep)
    record_event(
        "registration.duplicate",
        actor=actor,
        target=drop,
        details={"reference": drop.reference, "kept": keep.reference},
    )


def clear_duplicate_flag(
    registration: Registration, reason: str, *, actor: User, expected_version: int | None
) -> None:
    """Not the same person after all: the flag goes, with the reason in the history."""
    check_version(registration, expected_version)
    reason = reason.strip()
    if not reason:
        raise DecisionError(_l("Tuliskan mengapa ini bukan pendaftaran ganda."))
    if Flag.POSSIBLE_DUPLICATE not in registration.flags:
        raise DecisionError(_l("Pendaftaran ini tidak bertanda mungkin ganda."))
    registration.set_flags([f for f in registration.flags if f != Flag.POSSIBLE_DUPLICATE])
    registration.updated_at = utcnow()  # bumps the version: open pages see the change
    registration.events.append(
        RegistrationEvent(
            kind=RegistrationEventKind.NOTE, note=f"Bukan ganda: {reason}", actor=actor
        )
    )
    record_event(
        "registration.duplicate_cleared",
        actor=actor,
        target=registration,
        details={"reference": registration.reference},
    )
