"""Funding allocation: which source pays for an approved worker, within its yearly quota.

The rule is a plain function (``propose_source``): the source the registration's drive
is tied to while it has room, then APBD while it has room, else nothing, and a
coordinator decides. A coordinator may choose another source; going over a source's
quota needs a written reason, which is kept in the registration's history and the
audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..lifecycle import COVERED, HOLDS_QUOTA_PLACE, RegistrationStatus
from ..models import (
    Drive,
    FundingSource,
    FundingTarget,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
    User,
)
from .audit import record_event

DEFAULT_SOURCE = "APBD"
REASON_MAX = 300


class AllocationError(ValueError):
    """The allocation cannot be made; the message is for the coordinator."""


@dataclass(frozen=True)
class Quota:
    """A funding source's quota for a year and how much of it is taken."""

    source: str
    name: str
    workers: int  # the year's quota (its target), 0 when none is set
    allocated: int  # approved, exported and enrolled workers paid by this source
    enrolled: int = 0  # of those, covered by BPJS Ketenagakerjaan

    @property
    def room(self) -> int:
        return max(self.workers - self.allocated, 0)

    @property
    def over(self) -> int:
        return max(self.allocated - self.workers, 0)


def propose_source(drive_source: str | None, quotas: Mapping[str, Quota]) -> str | None:
    """The source that should pay for one more worker, or None when none has room.

    The drive's own source first (a sponsor or DBHCHT drive fills its own quota), then
    APBD. Other sources are never chosen silently: they are a coordinator's decision.
    """
    for code in (drive_source, DEFAULT_SOURCE):
        if code and code in quotas and quotas[code].room > 0:
            return code
    return None


def check_allocation(source: str, quotas: Mapping[str, Quota], *, reason: str) -> str:
    """The cleaned override reason; AllocationError if the choice is not allowed.

    A reason is required when the source has no room left; it is optional otherwise.
    """
    reason = " ".join(reason.split())
    if source not in quotas:
        raise AllocationError(_l("Pilih sumber dana dari daftar."))
    if len(reason) > REASON_MAX:
        raise AllocationError(_l("Alasan paling banyak %(n)d karakter.", n=REASON_MAX))
    quota = quotas[source]
    if quota.room <= 0 and not reason:
        raise AllocationError(
            _l(
                "Kuota %(source)s sudah penuh (%(allocated)s dari %(workers)s). Tuliskan "
                "alasan untuk melampaui kuota.",
                source=source,
                allocated=f"{quota.allocated:,}".replace(",", "."),
                workers=f"{quota.workers:,}".replace(",", "."),
            )
        )
    return reason


def active_funding_sources() -> list[FundingSource]:
    """The funding sources that may pay for workers: APBD and DBHCHT first, then sponsors."""
    return list(
        db.session.scalars(
            select(FundingSource)
            .where(FundingSource.active.is_(True))
            .order_by(FundingSource.is_sponsor, FundingSource.code)
        )
    )


def load_quotas(year: int, *, lock: bool = False) -> dict[str, Quota]:
    """Every active funding source's quota for ``year`` and how much of it is taken.

    With ``lock`` (before allocating), the year's targets are locked until the caller
    commits, so two coordinators allocating at once cannot both take the last place
    (PostgreSQL; SQLite writes one at a time anyway).
    """
    sources = [(s.code, s.name) for s in active_funding_sources()]
    targets_query = select(FundingTarget.funding_source_code, FundingTarget.workers).where(
        FundingTarget.year == year
    )
    if lock:
        targets_query = targets_query.with_for_update()
    targets = dict(db.session.execute(targets_query).all())
    counts: dict[str, dict[str, int]] = {}
    for code, status, n in db.session.execute(
        select(Registration.funding_source_code, Registration.status, func.count())
        .where(
            Registration.funding_year == year,
            Registration.status.in_(HOLDS_QUOTA_PLACE),
        )
        .group_by(Registration.funding_source_code, Registration.status)
    ):
        counts.setdefault(code, {})[status] = n
    return {
        code: Quota(
            source=code,
            name=name,
            workers=targets.get(code, 0),
            allocated=sum(counts.get(code, {}).values()),
            enrolled=sum(counts.get(code, {}).get(status, 0) for status in COVERED),
        )
        for code, name in sources
    }


def target_years(*also: int) -> list[int]:
    """The years with a funding target, and ``also`` (e.g. this year), in order."""
    years = set(db.session.scalars(select(FundingTarget.year).distinct()))
    years.update(also)
    return sorted(years)


def _count(quotas: dict[str, Quota], source: str, change: int) -> None:
    """Keep the in-memory quotas right while allocating several registrations."""
    if source in quotas:
        q = quotas[source]
        quotas[source] = Quota(q.source, q.name, q.workers, q.allocated + change, q.enrolled)


def allocate(
    registration: Registration,
    source: str,
    *,
    quotas: dict[str, Quota],
    year: int,
    actor: User,
    reason: str = "",
) -> None:
    """A coordinator's choice of funding source for an approved registration.

    Raises AllocationError when it is not allowed. The caller commits.
    """
    if registration.status != RegistrationStatus.APPROVED:
        raise AllocationError(
            _l("Sumber dana hanya bisa diubah selama pendaftaran disetujui dan belum diekspor.")
        )
    counted = registration.funding_year == year
    old = registration.funding_source_code if counted else None
    if old == source:
        return
    if old is not None:  # moving within the year frees its place in the old source first
        _count(quotas, old, -1)
    try:
        reason = check_allocation(source, quotas, reason=reason)
    except AllocationError:
        if old is not None:
            _count(quotas, old, +1)
        raise
    over_quota = quotas[source].room <= 0
    _count(quotas, source, +1)
    registration.funding_source_code = source
    registration.funding_year = year
    note = f"Sumber dana: {source}"
    if reason:
        note += f" (melampaui kuota: {reason})" if over_quota else f" ({reason})"
    registration.events.append(
        RegistrationEvent(kind=RegistrationEventKind.NOTE, note=note, actor=actor)
    )
    record_event(
        "funding.override" if over_quota else "funding.allocate",
        actor=actor,
        target=registration,
        details={
            "reference": registration.reference,
            "from": old,
            "to": source,
            "year": year,
            "reason": reason or None,
        },
    )


def allocate_approved(
    registrations: Iterable[Registration], *, year: int, quotas: dict[str, Quota] | None = None
) -> int:
    """Give each just-approved registration the proposed source, where one has room.

    Returns how many were left without a source (every proposed source is full): those
    wait on the enrollment page for a coordinator's decision.
    """
    quotas = load_quotas(year, lock=True) if quotas is None else quotas
    drive_sources: dict[int, str | None] = {}
    left = 0
    for registration in registrations:
        if registration.funding_source_code is not None and registration.funding_year == year:
            continue
        drive_source = None
        if registration.drive_id is not None:
            if registration.drive_id not in drive_sources:
                drive_sources[registration.drive_id] = db.session.scalar(
                    select(Drive.funding_source_code).where(Drive.id == registration.drive_id)
                )
            drive_source = drive_sources[registration.drive_id]
        source = propose_source(drive_source, quotas)
        if source is None:
            left += 1
            continue
        _count(quotas, source, +1)
        registration.funding_source_code = source
        registration.funding_year = year
    return left
