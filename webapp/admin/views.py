"""Admin pages: accounts, devices, outreach drives, programme settings and the audit log.

Views parse the form, ask ``rules`` whether the change may be made, make it with an
audit event in the same commit, and redirect. Bad input re-renders the page with the
messages next to the fields (422) and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..audit import record_event
from ..auth.accounts import AccountError, create_user, generate_password
from ..auth.devices import revoke_device
from ..clock import WIB, today_in_semarang
from ..contributions import monthly_contribution
from ..extensions import db
from ..htmx import render
from ..models import (
    AuditEvent,
    Device,
    Drive,
    FundingSource,
    FundingTarget,
    ProgrammeSetting,
    Registration,
    Role,
    User,
    utcnow,
)
from ..reference import DEFAULT_SETTINGS, load_form_choices, load_settings
from ..security import role_required
from . import bp, rules

AUDIT_PAGE_SIZE = 50
ROLES = [role.value for role in Role]

# What the settings are called on screen; the seeded description is the fallback.
SETTING_LABELS = {
    "jkk_rate_bp": _l("Tarif iuran JKK"),
    "jkk_income_floor": _l("Penghasilan terendah untuk dasar iuran JKK"),
    "jkm_monthly": _l("Iuran JKM per bulan"),
    "min_age": _l("Usia terendah tanpa tanda"),
    "max_age": _l("Usia tertinggi tanpa tanda"),
}
UNIT_HINTS = {
    "basis_points": _l("Dalam basis poin: 100 berarti 1 persen dari penghasilan."),
    "rupiah": _l("Dalam rupiah, tanpa titik atau koma."),
    "years": _l("Dalam tahun."),
}


@bp.get("")
@role_required(Role.ADMIN)
def home():
    users = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    settings = _settings_rows()
    targets = _targets()
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


# ---------------------------------------------------------------------------
# Accounts


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


# ---------------------------------------------------------------------------
# Outreach drives


def _funding_sources() -> list[FundingSource]:
    return list(
        db.session.scalars(
            select(FundingSource)
            .where(FundingSource.active)
            .order_by(FundingSource.is_sponsor, FundingSource.code)
        )
    )


def _drives_page(
    *, errors: rules.Errors | None = None, values: dict[str, str] | None = None, status: int = 200
):
    drives = db.session.scalars(
        select(Drive).order_by(
            Drive.closed_at.is_not(None), Drive.starts_on.desc(), Drive.id.desc()
        )
    ).all()
    registrations = dict(
        db.session.execute(
            select(Registration.drive_id, func.count())
            .where(Registration.drive_id.is_not(None))
            .group_by(Registration.drive_id)
        ).all()
    )
    choices = load_form_choices()
    kecamatan_names = dict(choices.kecamatan)
    places = {
        code: f"{name}, {kecamatan_names[kecamatan]}"
        for kecamatan, rows in choices.kelurahan.items()
        if kecamatan in kecamatan_names
        for code, name in rows
    }
    sources = _funding_sources()
    return render_template(
        "admin/drives.html",
        drives=drives,
        registrations=registrations,
        choices=choices,
        places=places,
        sources=sources,
        source_names={s.code: s.name for s in sources},
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/drives")
@role_required(Role.ADMIN)
def drives():
    return _drives_page()


@bp.post("/drives")
@role_required(Role.ADMIN)
def create_drive():
    fields = ("name", "place", "kelurahan_code", "funding_source_code", "starts_on", "ends_on")
    typed = {key: request.form.get(key, "") for key in fields}
    new, errors = rules.check_new_drive(
        typed,
        kelurahan_codes=load_form_choices().kelurahan_codes,
        funding_sources={s.code for s in _funding_sources()},
    )
    if new is None:
        return _drives_page(errors=errors, values=typed, status=422)
    drive = Drive(
        name=new.name,
        place=new.place,
        kelurahan_code=new.kelurahan_code,
        funding_source_code=new.funding_source_code,
        starts_on=new.starts_on,
        ends_on=new.ends_on,
        created_by_id=current_user.id,
    )
    db.session.add(drive)
    db.session.flush()
    record_event(
        "drive.created",
        actor=current_user,
        target=drive,
        details={
            "name": drive.name,
            "kelurahan_code": drive.kelurahan_code,
            "funding_source": drive.funding_source_code,
            "starts_on": drive.starts_on.isoformat(),
            "ends_on": drive.ends_on.isoformat(),
        },
    )
    db.session.commit()
    flash(_("Kegiatan %(name)s dibuat.", name=drive.name), "success")
    return redirect(url_for("admin.drives"))


@bp.post("/drives/<int:drive_id>/close")
@role_required(Role.ADMIN)
def close_drive(drive_id: int):
    drive = db.session.get(Drive, drive_id) or abort(404)
    if drive.closed_at is not None:
        flash(_("Kegiatan %(name)s sudah ditutup.", name=drive.name), "info")
        return redirect(url_for("admin.drives"))
    drive.closed_at = utcnow()
    record_event("drive.closed", actor=current_user, target=drive, details={"name": drive.name})
    db.session.commit()
    flash(
        _("Kegiatan %(name)s ditutup; tidak lagi muncul di formulir pendaftaran.", name=drive.name),
        "success",
    )
    return redirect(url_for("admin.drives"))


# ---------------------------------------------------------------------------
# Programme settings and yearly targets


def _settings_rows() -> list[ProgrammeSetting]:
    order = list(DEFAULT_SETTINGS)
    rows = db.session.scalars(select(ProgrammeSetting)).all()
    return sorted(rows, key=lambda s: (order.index(s.key) if s.key in order else len(order), s.key))


def _targets() -> list[FundingTarget]:
    return list(
        db.session.scalars(
            select(FundingTarget)
            .options(selectinload(FundingTarget.funding_source))
            .order_by(FundingTarget.year.desc(), FundingTarget.funding_source_code)
        )
    )


def _settings_page(status: int = 200, **forms: Any):
    """The settings page; ``forms`` holds the values and errors of the form sent, if any."""
    settings = _settings_rows()
    stored = load_settings()
    targets = _targets()
    years = [t.year for t in targets]
    context: dict[str, Any] = {
        "setting_values": {s.key: str(s.value) for s in settings},
        "setting_errors": {},
        "target_values": {f"target-{t.id}": str(t.workers) for t in targets},
        "target_errors": {},
        "new_target_values": {"year": str(max(years, default=today_in_semarang().year - 1) + 1)},
        "new_target_errors": {},
        "new_sponsor_values": {},
        "new_sponsor_errors": {},
    }
    context.update(forms)
    return render_template(
        "admin/settings.html",
        settings=settings,
        setting_labels=SETTING_LABELS,
        unit_hints=UNIT_HINTS,
        contribution=monthly_contribution(stored, stored.jkk_income_floor).total,
        income_floor=stored.jkk_income_floor,
        targets=targets,
        sources=_funding_sources(),
        **context,
    ), status


@bp.get("/settings")
@role_required(Role.ADMIN)
def settings():
    return _settings_page()


@bp.post("/settings")
@role_required(Role.ADMIN)
def save_settings():
    rows = {s.key: s for s in _settings_rows()}
    typed = {key: request.form.get(key, "") for key in rows}
    values, errors = rules.check_settings(typed, rows.keys())
    if errors:
        return _settings_page(422, setting_values=typed, setting_errors=errors)
    changes = rules.changed_values({key: s.value for key, s in rows.items()}, values)
    for key, (old, new) in changes.items():
        rows[key].value = new
        record_event(
            "setting.changed",
            actor=current_user,
            target=rows[key],
            details={"key": key, "old": old, "new": new},
        )
    db.session.commit()
    if changes:
        flash(
            ngettext("%(num)d pengaturan diubah.", "%(num)d pengaturan diubah.", len(changes)),
            "success",
        )
    else:
        flash(_("Tidak ada pengaturan yang berubah."), "info")
    return redirect(url_for("admin.settings"))


@bp.post("/settings/targets")
@role_required(Role.ADMIN)
def save_targets():
    targets = {f"target-{t.id}": t for t in _targets()}
    typed = {field: request.form[field] for field in targets if field in request.form}
    values, errors = rules.check_target_workers(typed)
    if errors:
        shown = {field: str(t.workers) for field, t in targets.items()} | typed
        return _settings_page(422, target_values=shown, target_errors=errors)
    changed = 0
    for field, workers in values.items():
        target = targets[field]
        if target.workers == workers:
            continue
        record_event(
            "target.changed",
            actor=current_user,
            target=target,
            details={
                "year": target.year,
                "funding_source": target.funding_source_code,
                "old": target.workers,
                "new": workers,
            },
        )
        target.workers = workers
        changed += 1
    db.session.commit()
    if changed:
        flash(ngettext("%(num)d target diubah.", "%(num)d target diubah.", changed), "success")
    else:
        flash(_("Tidak ada target yang berubah."), "info")
    return redirect(url_for("admin.settings"))


@bp.post("/settings/targets/new")
@role_required(Role.ADMIN)
def add_target():
    typed = {key: request.form.get(key, "") for key in ("year", "funding_source_code", "workers")}
    existing = set(
        db.session.execute(select(FundingTarget.year, FundingTarget.funding_source_code)).all()
    )
    new, errors = rules.check_new_target(
        typed, funding_sources={s.code for s in _funding_sources()}, existing=existing
    )
    if new is not None:
        target = FundingTarget(
            year=new.year, funding_source_code=new.funding_source_code, workers=new.workers
        )
        db.session.add(target)
        try:
            db.session.flush()
        except IntegrityError:  # added by another admin a moment ago
            db.session.rollback()
            errors = {"year": [_("Target tahun ini untuk sumber dana itu sudah ada.")]}
    if new is None or errors:
        return _settings_page(422, new_target_values=typed, new_target_errors=errors)
    record_event(
        "target.created",
        actor=current_user,
        target=target,
        details={"year": new.year, "funding_source": new.funding_source_code, "new": new.workers},
    )
    db.session.commit()
    flash(
        _(
            "Target %(year)d untuk %(source)s ditambahkan.",
            year=new.year,
            source=new.funding_source_code,
        ),
        "success",
    )
    return redirect(url_for("admin.settings"))


@bp.post("/settings/sponsors")
@role_required(Role.ADMIN)
def add_sponsor():
    """A named sponsor becomes a funding source; its quota is a target like any other."""
    typed = {key: request.form.get(key, "") for key in ("code", "name")}
    existing = set(db.session.scalars(select(FundingSource.code)))
    new, errors = rules.check_new_sponsor(typed, existing_codes=existing)
    if new is None:
        return _settings_page(422, new_sponsor_values=typed, new_sponsor_errors=errors)
    source = FundingSource(code=new.code, name=new.name, is_sponsor=True)
    db.session.add(source)
    record_event(
        "funding_source.created",
        actor=current_user,
        target=source,
        details={"code": new.code, "name": new.name},
    )
    db.session.commit()
    flash(
        _(
            "Sponsor %(name)s ditambahkan sebagai sumber dana %(code)s. Tambahkan targetnya "
            "untuk tahun ini.",
            name=new.name,
            code=new.code,
        ),
        "success",
    )
    return redirect(url_for("admin.settings", _anchor="new-target"))


# ---------------------------------------------------------------------------
# The audit log


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
    start, end = rules.day_bounds(found.date_from, found.date_to, WIB)
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
