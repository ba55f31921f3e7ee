"""Programme settings (contribution rates, age bounds), yearly targets and sponsors."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..clock import today_in_semarang
from ..domain.audit import record_event
from ..domain.contributions import monthly_contribution
from ..domain.funding import active_funding_sources
from ..domain.reference import DEFAULT_SETTINGS, load_settings
from ..extensions import db
from ..models import FundingSource, FundingTarget, ProgrammeSetting, Role
from ..security import role_required
from . import bp, rules

# What the settings are called on screen; the seeded description is the fallback.
SETTING_LABELS = {
    "jkk_rate_bp": _l("Tarif iuran JKK"),
    "jkk_income_floor": _l("Penghasilan terendah untuk dasar iuran JKK"),
    "jkm_monthly": _l("Iuran JKM per bulan"),
    "min_age": _l("Usia terendah tanpa tanda"),
    "max_age": _l("Usia tertinggi tanpa tanda"),
    "income_usual_min": _l("Penghasilan terendah tanpa tanda"),
    "income_usual_max": _l("Penghasilan tertinggi tanpa tanda"),
}
UNIT_HINTS = {
    "basis_points": _l("Dalam basis poin: 100 berarti 1 persen dari penghasilan."),
    "rupiah": _l("Dalam rupiah, tanpa titik atau koma."),
    "years": _l("Dalam tahun."),
}


def settings_rows() -> list[ProgrammeSetting]:
    order = list(DEFAULT_SETTINGS)
    rows = db.session.scalars(select(ProgrammeSetting)).all()
    return sorted(rows, key=lambda s: (order.index(s.key) if s.key in order else len(order), s.key))


def yearly_targets() -> list[FundingTarget]:
    return list(
        db.session.scalars(
            select(FundingTarget)
            .options(selectinload(FundingTarget.funding_source))
            .order_by(FundingTarget.year.desc(), FundingTarget.funding_source_code)
        )
    )


def _settings_page(status: int = 200, **forms: Any):
    """The settings page; ``forms`` holds the values and errors of the form sent, if any."""
    settings = settings_rows()
    stored = load_settings()
    targets = yearly_targets()
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
        sources=active_funding_sources(),
        **context,
    ), status


@bp.get("/settings")
@role_required(Role.ADMIN)
def settings():
    return _settings_page()


@bp.post("/settings")
@role_required(Role.ADMIN)
def save_settings():
    rows = {s.key: s for s in settings_rows()}
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
    targets = {f"target-{t.id}": t for t in yearly_targets()}
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
        typed, funding_sources={s.code for s in active_funding_sources()}, existing=existing
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
