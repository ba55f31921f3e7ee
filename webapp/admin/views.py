from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..models import FundingTarget, ProgrammeSetting, Role, User
from ..security import role_required
from . import bp


@bp.get("")
@role_required(Role.ADMIN)
def home():
    users = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    settings = db.session.scalars(select(ProgrammeSetting).order_by(ProgrammeSetting.key)).all()
    targets = db.session.scalars(
        select(FundingTarget).order_by(FundingTarget.year.desc(), FundingTarget.funding_source_code)
    ).all()
    return render_template("admin/home.html", users=users, settings=settings, targets=targets)
