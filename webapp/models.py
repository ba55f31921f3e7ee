"""The data model: people who use the system, reference data, and registrations."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .lifecycle import RegistrationStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every database (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Role(enum.StrEnum):
    VOLUNTEER = "volunteer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class BatchStatus(enum.StrEnum):
    READY = "ready"  # made and downloadable; may still be cancelled
    SENT = "sent"  # handed to BPJS Ketenagakerjaan; KPJ numbers are awaited
    CANCELLED = "cancelled"  # never sent; its registrations went back to approved


class Flag(enum.StrEnum):
    POSSIBLE_DUPLICATE = "possible_duplicate"
    NIK_OUTSIDE_SEMARANG = "nik_outside_semarang"
    NIK_BIRTH_MISMATCH = "nik_birth_mismatch"
    AGE_OUT_OF_RANGE = "age_out_of_range"
    INCOME_UNUSUAL = "income_unusual"  # outside the settings' usual range


def _enum_check(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_enum_check("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def set_password(self, password: str) -> None:
        # scrypt by default (config.PASSWORD_HASH_METHOD): memory-hard, salted, with its
        # parameters in the hash, so a hash made with other parameters still checks.
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # read by Flask-Login
        return self.active

    def has_role(self, *roles: str) -> bool:
        """Admins may do everything coordinators may; everyone may do what volunteers may."""
        if self.role == Role.ADMIN:
            return True
        if self.role == Role.COORDINATOR:
            return Role.ADMIN not in roles
        return Role.VOLUNTEER in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class Region(db.Model):
    """Kota Semarang and its kecamatan and kelurahan, keyed on the Kemendagri code."""

    __tablename__ = "regions"
    __table_args__ = (CheckConstraint("level IN ('kota', 'kecamatan', 'kelurahan')", name="level"),)

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(13), index=True)


class Occupation(db.Model):
    __tablename__ = "occupations"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_id: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class FundingSource(db.Model):
    """Who pays the contributions: APBD, DBHCHT, or a named sponsor."""

    __tablename__ = "funding_sources"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    is_sponsor: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class FundingTarget(db.Model):
    """How many workers a funding source pays for in a year (its quota)."""

    __tablename__ = "funding_targets"
    __table_args__ = (
        UniqueConstraint("year", "funding_source_code", name="uq_funding_targets_year_source"),
        CheckConstraint("workers >= 0", name="workers_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    funding_source_code: Mapped[str] = mapped_column(ForeignKey("funding_sources.code"))
    workers: Mapped[int]

    funding_source: Mapped[FundingSource] = relationship()


class ProgrammeSetting(db.Model):
    """A whole-number programme setting that an admin may change (rates, floors, bounds)."""

    __tablename__ = "programme_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Drive(db.Model):
    """An outreach drive: a day or days of registering workers at one place."""

    __tablename__ = "drives"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    place: Mapped[str] = mapped_column(String(200), default="")
    kelurahan_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    funding_source_code: Mapped[str | None] = mapped_column(ForeignKey("funding_sources.code"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Device(db.Model):
    """A phone a volunteer signed in on; it syncs with a bearer token stored only as a hash."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The heartbeat the phone sends with every sync, for coordinators watching the field.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    app_version: Mapped[str | None] = mapped_column(String(32))
    pending_count: Mapped[int] = mapped_column(default=0)
    needs_fix_count: Mapped[int] = mapped_column(default=0)
    # Records the volunteer discarded on this phone before they were ever sent (a
    # discard of a record the office has is an event on that record instead).
    discarded_count: Mapped[int] = mapped_column(default=0, server_default="0")

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now and self.user.active


class Registration(db.Model):
    """One worker's registration as collected in the field, and where it stands."""

    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint(_enum_check("status", RegistrationStatus), name="status"),
        CheckConstraint("sex IN ('L', 'P')", name="sex"),
        CheckConstraint("monthly_income >= 0", name="income_not_negative"),
        Index("ix_registrations_status_received", "status", "received_at"),
        Index("ix_registrations_name_key_birth_date", "name_key", "birth_date"),
        Index("ix_registrations_phone", "phone"),  # the office finds a worker by phone
        Index("ix_registrations_status_name_key", "status", "name_key"),
        Index("ix_registrations_kecamatan_received", "kecamatan_code", "received_at"),
        Index("ix_registrations_funding", "funding_year", "funding_source_code", "status"),
        # The dashboard's breakdowns: read in GROUP BY order, without touching the table.
        Index(
            "ix_registrations_breakdown",
            "collected_by_id",
            "drive_id",
            "kecamatan_code",
            "occupation",
            "received_at",
            "status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    # Hash of what the phone sent (payload and form version): same id + same hash = a resend.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    form_version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.SUBMITTED)
    # Optimistic lock: a change made from a stale page is refused, never silently applied.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), index=True)
    __mapper_args__ = {"version_id_col": version}

    nik: Mapped[str] = mapped_column(String(16), index=True)
    full_name: Mapped[str] = mapped_column(String(100))
    # Lower-case name with single spaces, for search and for spotting NIK typos.
    name_key: Mapped[str] = mapped_column(String(100), default="", server_default="")
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(300))
    kelurahan_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    # The kelurahan's kecamatan (its code's first 8 characters), kept for fast filtering.
    kecamatan_code: Mapped[str] = mapped_column(String(8), default="", server_default="")
    occupation: Mapped[str] = mapped_column(ForeignKey("occupations.code"))
    occupation_other: Mapped[str | None] = mapped_column(String(100))
    workplace: Mapped[str | None] = mapped_column(String(150))
    monthly_income: Mapped[int] = mapped_column(BigInteger)
    heir_name: Mapped[str] = mapped_column(String(100))
    heir_relationship: Mapped[str] = mapped_column(String(16))
    heir_phone: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drive_id: Mapped[int | None] = mapped_column(ForeignKey("drives.id"), index=True)
    # Interest in the Disnaker's BLK: training, and news of job fairs (optional answers).
    blk_training: Mapped[bool] = mapped_column(default=False, server_default="0")
    blk_job_fair: Mapped[bool] = mapped_column(default=False, server_default="0")
    blk_trade: Mapped[str | None] = mapped_column(String(100))  # the trade of interest

    # Enrollment: who pays (within that source's quota for the year), the batch sent to
    # BPJS Ketenagakerjaan, and the membership number (KPJ) that came back.
    funding_source_code: Mapped[str | None] = mapped_column(ForeignKey("funding_sources.code"))
    funding_year: Mapped[int | None]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment_batches.id"), index=True)
    kpj_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    coverage_starts_on: Mapped[date | None] = mapped_column(Date)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    collected_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    collected_by: Mapped[User] = relationship()
    kelurahan: Mapped[Region] = relationship()
    drive: Mapped[Drive | None] = relationship()
    device: Mapped[Device | None] = relationship()
    funding_source: Mapped[FundingSource | None] = relationship()
    batch: Mapped[EnrollmentBatch | None] = relationship()
    events: Mapped[list[RegistrationEvent]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="RegistrationEvent.id"
    )
    flag_rows: Mapped[list[RegistrationFlag]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def flags(self) -> list[str]:
        return sorted(f.flag for f in self.flag_rows)

    def set_flags(self, flags: list[str]) -> None:
        keep = set(flags)
        self.flag_rows = [f for f in self.flag_rows if f.flag in keep]
        have = {f.flag for f in self.flag_rows}
        self.flag_rows.extend(RegistrationFlag(flag=f) for f in sorted(keep - have))


class EnrollmentBatch(db.Model):
    """Approved registrations of one funding source, exported together for BPJS enrollment."""

    __tablename__ = "enrollment_batches"
    __table_args__ = (
        CheckConstraint(_enum_check("status", BatchStatus), name="status"),
        CheckConstraint("period_end >= period_start", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    funding_source_code: Mapped[str] = mapped_column(ForeignKey("funding_sources.code"))
    year: Mapped[int]
    # The months of cover the programme pays for (first day to last day).
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.READY)
    row_count: Mapped[int] = mapped_column(default=0)
    # The filters it was made with, as shown to coordinators (codes and ids, no personal data).
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    funding_source: Mapped[FundingSource] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])

    @property
    def label(self) -> str:
        return f"B-{self.year}-{self.id:04d}"


class RegistrationFlag(db.Model):
    """A warning on a registration for a coordinator to look at; never blocks storing it."""

    __tablename__ = "registration_flags"
    __table_args__ = (CheckConstraint(_enum_check("flag", Flag), name="flag"),)

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True
    )
    flag: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)

    registration: Mapped[Registration] = relationship(back_populates="flag_rows")


class RegistrationEventKind(enum.StrEnum):
    RECEIVED = "received"
    EDITED = "edited"
    STATUS = "status"
    NOTE = "note"  # a coordinator's note without a status change (e.g. "not a duplicate")


class RegistrationEvent(db.Model):
    """A registration's history: received, edited by the volunteer, a coordinator's decision.

    Status events on a device's records are what the sync API sends back to that phone;
    the event id is the cursor.
    """

    __tablename__ = "registration_events"
    __table_args__ = (CheckConstraint(_enum_check("kind", RegistrationEventKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    device: Mapped[Device | None] = relationship()


class AuditEvent(db.Model):
    """Who did what, when. Details never hold personal data (no NIK, phone or heir)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at_id", "at", "id"),)  # the audit log's keyset

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()
