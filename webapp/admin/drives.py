"""Outreach drives: a place and dates where volunteers register workers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..domain.audit import record_event
from ..domain.choices import load_form_choices
from ..domain.funding import active_funding_sources
from ..extensions import db
from ..models import Drive, Registration, Role, utcnow
from ..security import role_required
from . import bp, rules


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
    sources = active_funding_sources()
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
        funding_sources={s.code for s in active_funding_sources()},
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
