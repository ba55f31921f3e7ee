"""Accounts: create them (with a one-time password), deactivate, reactivate, reset."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain.accounts import AccountError, create_user, generate_password
from ..domain.audit import record_event
from ..domain.devices import revoke_device
from ..extensions import db
from ..models import Device, Role, User
from ..security import role_required
from . import bp, rules

ROLES = [role.value for role in Role]


def _users_page(
    *,
    errors: rules.Errors | None = None,
    values: dict[str, str] | None = None,
    row_errors: dict[int, str] | None = None,
    status: int = 200,
):
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.username)).all()
    return render_template(
        "admin/users.html",
        users=users,
        roles=ROLES,
        errors=errors or {},
        values=values or {"role": Role.VOLUNTEER.value},
        row_errors=row_errors or {},
    ), status


def _revoke_devices(user: User) -> int:
    """Revoke every device still usable by ``user``; how many were revoked."""
    devices = db.session.scalars(
        select(Device).where(Device.user_id == user.id, Device.revoked_at.is_(None))
    ).all()
    for device in devices:
        revoke_device(device, by=current_user)
    return len(devices)


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    return _users_page()


@bp.post("/users")
@role_required(Role.ADMIN)
def create_account():
    typed = {key: request.form.get(key, "") for key in ("username", "full_name", "role")}
    new, errors = rules.check_new_user(typed, roles=ROLES)
    password = generate_password()
    if not errors:
        try:
            user = create_user(
                new.username,
                password,
                new.role,
                full_name=new.full_name,
                must_change_password=True,
            )
            record_event(
                "user.created",
                actor=current_user,
                target=user,
                details={"username": user.username, "role": user.role},
            )
            db.session.commit()
        except AccountError as err:
            errors["username"] = [str(err)]
        except IntegrityError:  # the same username created a moment ago
            errors["username"] = [_("Nama pengguna %(u)s sudah dipakai.", u=new.username)]
    if errors:
        db.session.rollback()
        return _users_page(errors=errors, values=typed, status=422)
    return render_template("admin/one_time_password.html", user=user, password=password, new=True)


@bp.post("/users/<int:user_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    problem = rules.deactivation_problem(actor_id=current_user.id, user_id=user.id)
    if problem:
        return _users_page(row_errors={user.id: problem}, status=422)
    if not user.active:
        flash(_("Akun %(u)s sudah nonaktif.", u=user.username), "info")
        return redirect(url_for("admin.users"))
    user.active = False
    revoked = _revoke_devices(user)
    record_event(
        "user.deactivated",
        actor=current_user,
        target=user,
        details={"username": user.username, "devices_revoked": revoked},
    )
    db.session.commit()
    flash(
        ngettext(
            "Akun %(u)s dinonaktifkan; %(num)d perangkatnya dicabut.",
            "Akun %(u)s dinonaktifkan; %(num)d perangkatnya dicabut.",
            revoked,
            u=user.username,
        ),
        "success",
    )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if user.active:
        flash(_("Akun %(u)s sudah aktif.", u=user.username), "info")
        return redirect(url_for("admin.users"))
    user.active = True
    record_event(
        "user.reactivated", actor=current_user, target=user, details={"username": user.username}
    )
    db.session.commit()
    flash(_("Akun %(u)s aktif lagi.", u=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset-password")
@role_required(Role.ADMIN)
def reset_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    revoked = _revoke_devices(user)
    record_event(
        "user.password_reset",
        actor=current_user,
        target=user,
        details={"username": user.username, "devices_revoked": revoked},
    )
    db.session.commit()
    # Shown in this response only: never stored, never put in a cookie or a URL.
    return render_template("admin/one_time_password.html", user=user, password=password, new=False)
