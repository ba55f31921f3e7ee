from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from ..extensions import db
from ..models import Registration, RegistrationStatus, Role
from ..security import role_required
from . import bp

LATEST_COUNT = 50


@bp.get("")
@role_required(Role.COORDINATOR)
def queue():
    counts = dict(
        db.session.execute(
            select(Registration.status, func.count()).group_by(Registration.status)
        ).all()
    )
    latest = db.session.scalars(
        select(Registration).order_by(Registration.received_at.desc()).limit(LATEST_COUNT)
    ).all()
    return render_template(
        "review/queue.html", counts=counts, latest=latest, statuses=list(RegistrationStatus)
    )
