"""The audit log: who did what, when, filtered and paged newest first."""

from __future__ import annotations

from datetime import datetime

from flask import abort, request, url_for
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from ..clock import semarang_days
from ..extensions import db
from ..htmx import render
from ..models import AuditEvent, Role, User
from ..security import role_required
from . import bp, rules

AUDIT_PAGE_SIZE = 50


def _audit_events(
    found: rules.AuditFilter, after: tuple[datetime, int] | None
) -> tuple[list[AuditEvent], str | None]:
    """One page of events, newest first, and the cursor of the next page (None at the end).

    Keyset pagination on (at, id): a deep page costs the same as the first.
    """
    query = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if (prefix := found.action_prefix) is not None:
        query = query.where(AuditEvent.action.startswith(prefix, autoescape=True))
    elif found.action:
        query = query.where(AuditEvent.action == found.action)
    if found.actor:
        query = query.where(
            AuditEvent.actor_id.in_(
                select(User.id).where(func.lower(User.username) == found.actor.lower())
            )
        )
    start, end = semarang_days(found.date_from, found.date_to)
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end)
    if after is not None:
        at, event_id = after
        query = query.where(
            or_(AuditEvent.at < at, and_(AuditEvent.at == at, AuditEvent.id < event_id))
        )
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(AUDIT_PAGE_SIZE + 1)
    events = list(db.session.scalars(query))
    if len(events) <= AUDIT_PAGE_SIZE:
        return events, None
    events = events[:AUDIT_PAGE_SIZE]
    return events, rules.encode_cursor(events[-1].at, events[-1].id)


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit():
    found, errors = rules.check_audit_filter(request.args)
    after = None
    if cursor := request.args.get("after"):
        after = rules.decode_cursor(cursor) or abort(400)
    events, next_cursor = ([], None) if errors else _audit_events(found, after)
    next_url = (
        url_for("admin.audit", **found.query_args(), after=next_cursor) if next_cursor else None
    )
    actions = db.session.scalars(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    ).all()
    return render(
        "admin/audit.html",
        "admin/_audit_rows.html",
        status=422 if errors else 200,
        events=events,
        describe=rules.describe_details,
        next_url=next_url,
        first_page=after is None,
        filters=found,
        values={
            "action": found.action,
            "actor": found.actor,
            "from": request.args.get("from", ""),
            "to": request.args.get("to", ""),
        },
        errors=errors,
        actions=actions,
    )
