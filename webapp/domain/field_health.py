"""The field's health: what each phone last said it still holds, and which have gone silent.

Phones report with every sync how many records wait on them, how many need a fix, and
how many the volunteer discarded before they were ever sent (the heartbeat,
``Device.pending_count``, ``needs_fix_count`` and ``discarded_count``). A phone with
records waiting that has not been heard from for two days needs someone to look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Device, User, utcnow

SILENT_AFTER = timedelta(days=2)


def is_silent(pending: int, last_seen_at: datetime | None, now: datetime) -> bool:
    """Records are waiting on the phone, and it has not been heard from for SILENT_AFTER."""
    return pending > 0 and (last_seen_at is None or now - last_seen_at > SILENT_AFTER)


@dataclass(frozen=True)
class DeviceHealth:
    volunteer: str
    label: str
    last_seen_at: datetime | None
    pending: int
    needs_fix: int
    silent: bool
    discarded: int = 0


@dataclass(frozen=True)
class FieldHealth:
    devices: list[DeviceHealth]  # phones with something on them, silent ones first
    # Records discarded on phones before they were ever sent (every phone not revoked).
    discarded: int = 0

    @property
    def waiting(self) -> int:
        return sum(d.pending for d in self.devices)

    @property
    def needs_fix(self) -> int:
        return sum(d.needs_fix for d in self.devices)

    @property
    def silent(self) -> list[DeviceHealth]:
        return [d for d in self.devices if d.silent]


def field_health(now: datetime | None = None) -> FieldHealth:
    """The phones (not revoked) still holding records, silent ones first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            User.username,
            User.full_name,
            Device.label,
            Device.last_seen_at,
            Device.pending_count,
            Device.needs_fix_count,
            Device.discarded_count,
        )
        .join(User, Device.user_id == User.id)
        .where(
            Device.revoked_at.is_(None),
            (Device.pending_count > 0) | (Device.needs_fix_count > 0),
        )
    ).all()
    devices = [
        DeviceHealth(
            volunteer=r.full_name or r.username,
            label=r.label,
            last_seen_at=r.last_seen_at,
            pending=r.pending_count,
            needs_fix=r.needs_fix_count,
            silent=is_silent(r.pending_count, r.last_seen_at, now),
            discarded=r.discarded_count,
        )
        for r in rows
    ]
    never = datetime.min.replace(tzinfo=UTC)
    devices.sort(key=lambda d: (not d.silent, d.last_seen_at or never, d.volunteer))
    discarded = db.session.scalar(
        select(func.coalesce(func.sum(Device.discarded_count), 0)).where(
            Device.revoked_at.is_(None)
        )
    )
    return FieldHealth(devices, discarded=int(discarded))


@dataclass(frozen=True)
class PhonesInUse:
    """Every phone not revoked, least recently heard from first, for the field page."""

    devices: list[Device]
    silent: set[int]  # ids of the silent ones

    @property
    def waiting(self) -> int:
        return sum(d.pending_count for d in self.devices)

    @property
    def discarded(self) -> int:
        return sum(d.discarded_count for d in self.devices)


def phones_in_use(now: datetime | None = None) -> PhonesInUse:
    now = now or utcnow()
    devices = list(
        db.session.scalars(
            select(Device).where(Device.revoked_at.is_(None)).order_by(Device.last_seen_at)
        )
    )
    silent = {d.id for d in devices if is_silent(d.pending_count, d.last_seen_at, now)}
    return PhonesInUse(devices, silent)
