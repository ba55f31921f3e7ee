"""Device tokens: what a phone uses to sync. Only a hash of each token is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Device, User, utcnow
from .text import storable

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode()).hexdigest()


def issue_device(user: User, label: str, *, lifetime: timedelta) -> tuple[Device, str]:
    """A new device for ``user`` and its token, shown once; the caller commits."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    device = Device(
        user=user,
        label=storable(label, 100),
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + lifetime,
        last_seen_at=now,
    )
    db.session.add(device)
    db.session.flush()
    return device, token


def device_for_token(token: str, *, now: datetime | None = None) -> Device | None:
    """The usable device holding ``token``: not revoked, not expired, its user active."""
    if not token:
        return None
    device = db.session.scalar(select(Device).where(Device.token_hash == hash_token(token)))
    if device is None or not device.is_usable(now or utcnow()):
        return None
    return device


def revoke_device(device: Device, *, by: User | None) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.revoked_by_id = by.id if by else None
