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
MAX_ID = 2**31 - 1  # ids are INTEGER columns


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


def renewable_device(user: User, device_id: object) -> Device | None:
    """The device ``device_id`` names if ``user`` may carry on with it at a new login.

    It must be one of ``user``'s own devices and not revoked: a device an admin revoked
    (or the volunteer gave up at logout) is never revived. An expired one may be: its
    token ran out, nothing more. Anything else (no id, not a number, another user's
    device) is None, and the caller makes a new device.
    """
    if not isinstance(device_id, int) or isinstance(device_id, bool):
        return None
    if not 0 < device_id <= MAX_ID:  # a larger number is no id (and PostgreSQL refuses it)
        return None
    device = db.session.get(Device, device_id)
    if device is None or device.user_id != user.id or device.revoked_at is not None:
        return None
    return device


def renew_device(device: Device, *, lifetime: timedelta) -> str:
    """A new token for ``device``, shown once; the old one stops working at once.

    The device keeps its id, label and what its phone last reported. The caller commits.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    device.token_hash = hash_token(token)
    device.expires_at = now + lifetime
    device.last_seen_at = now
    db.session.flush()
    return token


def device_holding(token: str) -> Device | None:
    """The device ``token`` was issued to, usable or not (None for an unknown token)."""
    if not token:
        return None
    return db.session.scalar(select(Device).where(Device.token_hash == hash_token(token)))


def device_for_token(token: str, *, now: datetime | None = None) -> Device | None:
    """The usable device holding ``token``: not revoked, not expired, its user active."""
    device = device_holding(token)
    if device is None or not device.is_usable(now or utcnow()):
        return None
    return device


def revoke_device(device: Device, *, by: User | None) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.revoked_by_id = by.id if by else None
