from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..audit import record_event
from ..auth.devices import revoke_device
from ..extensions import db
from ..models import Device, FundingTarget, ProgrammeSetting, Role, User
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
    devices = db.session.scalars(
        select(Device).order_by(Device.revoked_at.is_not(None), Device.last_seen_at.desc())
    ).all()
    return render_template(
        "admin/home.html", users=users, settings=settings, targets=targets, devices=devices
    )


@bp.post("/devices/<int:device_id>/revoke")
@role_required(Role.ADMIN)
def revoke(device_id: int):
    device = db.session.get(Device, device_id) or abort(404)
    revoke_device(device, by=current_user)
    record_event("device.revoked", actor=current_user, target=device, details={"by": "admin"})
    db.session.commit()
    flash(
        _("Perangkat %(label)s dicabut; ponsel itu perlu masuk lagi.", label=device.label),
        "success",
    )
    return redirect(url_for("admin.home"))
