"""The admin home: accounts, settings and targets at a glance, and the phones signed in."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain.audit import record_event
from ..domain.devices import revoke_device
from ..extensions import db
from ..models import Device, Role, User
from ..security import role_required
from . import bp
from .settings import settings_rows, yearly_targets


@bp.get("")
@role_required(Role.ADMIN)
def home():
    users = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    settings = settings_rows()
    targets = yearly_targets()
    devices = db.session.scalars(
        select(Device)
        .options(selectinload(Device.user))
        .order_by(Device.revoked_at.is_not(None), Device.last_seen_at.desc())
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
