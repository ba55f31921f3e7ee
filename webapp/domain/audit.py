"""The audit trail: who did what, when. Never put personal data in ``details``."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from ..extensions import db
from ..models import AuditEvent, User
from .text import storable

MAX_DETAIL_LENGTH = 300


def record_event(
    action: str,
    *,
    actor: User | None,
    target: db.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it is committed with the change it records."""
    event = AuditEvent(
        action=action,
        actor=actor,
        target_type=target.__tablename__ if target is not None else None,
        target_id=str(_primary_key(target)) if target is not None else None,
        details={key: _storable(value) for key, value in (details or {}).items()},
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def _storable(value: Any) -> Any:
    """Text in the details (a username someone typed, say) as the database can store it."""
    if isinstance(value, str):
        return storable(value, MAX_DETAIL_LENGTH)
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def _primary_key(target: db.Model) -> Any:
    mapper = target.__mapper__
    values = mapper.primary_key_from_instance(target)
    return values[0] if len(values) == 1 else values
