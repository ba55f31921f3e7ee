"""Enrollment pages: quotas and budget, funding allocation, batches and their downloads."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from ..clock import today_in_semarang
from ..domain.audit import record_event
from ..domain.budget import source_budgets
from ..domain.choices import registration_choices
from ..domain.funding import (
    AllocationError,
    active_funding_sources,
    allocate,
    allocate_approved,
    load_quotas,
    target_years,
)
from ..domain.parsing import parse_row_id, year_asked
from ..domain.reference import load_settings
from ..domain.versions import StaleRecord, check_version, expected_version
from ..extensions import db
from ..lifecycle import RegistrationStatus
from ..models import BatchStatus, Drive, EnrollmentBatch, Registration, Role
from ..security import role_required
from . import bp
from .batches import (
    BatchError,
    batch_counts,
    cancel_batch,
    check_batch_request,
    count_eligible,
    create_batch,
    mark_sent,
)
from .export import batch_rows, csv_chunks, export_filename, xlsx_chunks

ALLOCATION_PAGE_ROWS = 200
BATCHES_SHOWN = 50
BATCH_ROWS_SHOWN = 100
BATCH_FIELDS = (
    "funding_source_code",
    "year",
    "start_month",
    "end_month",
    "kecamatan_code",
    "occupation",
    "drive_id",
    "limit",
)


def _years(*also: int) -> list[int]:
    """Years with a funding target, this year, and ``also``."""
    return target_years(today_in_semarang().year, *also)


def _year() -> tuple[int, bool]:
    """The year asked for in ``?year=`` (this year if none), and whether it was a year.

    Anything else shows this year with a message saying so, as the dashboard does.
    """
    year, problem = year_asked(request.args.get("year"), this_year=today_in_semarang().year)
    if problem:
        flash(problem, "error")
    return year, problem is None


def _unallocated(year: int):
    """Approved registrations not yet in a batch that no source pays for this year."""
    return (
        Registration.status == RegistrationStatus.APPROVED,
        Registration.batch_id.is_(None),
        or_(Registration.funding_source_code.is_(None), Registration.funding_year != year),
    )


def _count(*where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(Registration).where(*where))


@bp.get("")
@role_required(Role.COORDINATOR)
def home():
    year, known = _year()
    today = today_in_semarang()
    quotas = load_quotas(year)
    ready = dict(
        db.session.execute(
            select(Registration.funding_source_code, func.count())
            .where(
                Registration.status == RegistrationStatus.APPROVED,
                Registration.batch_id.is_(None),
                Registration.funding_year == year,
            )
            .group_by(Registration.funding_source_code)
        ).all()
    )
    batches = db.session.scalars(
        select(EnrollmentBatch)
        .where(EnrollmentBatch.year == year)
        .order_by(EnrollmentBatch.id.desc())
        .limit(BATCHES_SHOWN)
    ).all()
    return render_template(
        "enrollment/home.html",
        year=year,
        years=_years(year),
        quotas=quotas,
        budgets=source_budgets(load_settings(), quotas, year=year, today=today),
        ready=ready,
        unallocated=_count(*_unallocated(year)),
        batches=batches,
        today=today,
    ), (200 if known else 400)


# ---------------------------------------------------------------------------
# Funding allocation


def _allocation_page(year: int, status: int = 200, **context: Any):
    shown = request.values.get("source", "")
    where = list(_unallocated(year))
    if shown:
        where = [
            Registration.status == RegistrationStatus.APPROVED,
            Registration.batch_id.is_(None),
            Registration.funding_source_code == shown,
            Registration.funding_year == year,
        ]
    registrations = db.session.scalars(
        select(Registration).where(*where).order_by(Registration.id).limit(ALLOCATION_PAGE_ROWS)
    ).all()
    context.setdefault("errors", {})
    context.setdefault("typed", {})
    return (
        render_template(
            "enrollment/allocation.html",
            year=year,
            years=_years(year),
            shown=shown,
            quotas=load_quotas(year),
            registrations=registrations,
            total=_count(*where),
            drives=dict(db.session.execute(select(Drive.id, Drive.name)).all()),
            **context,
        ),
        status,
    )


@bp.get("/allocation")
@role_required(Role.COORDINATOR)
def allocation():
    year, known = _year()
    return _allocation_page(year, 200 if known else 400)


@bp.post("/allocation")
@role_required(Role.COORDINATOR)
def allocate_chosen():
    year, known = _year()
    if not known:  # nothing is allocated into a year that was not asked for
        return _allocation_page(year, 400)
    typed = {key: request.form.get(key, "") for key in ("funding_source_code", "reason")}
    ids = [i for i in map(parse_row_id, request.form.getlist("registration_id")) if i is not None]
    if not ids:
        return _allocation_page(
            year, 422, typed=typed, errors={"registration_id": [_("Pilih pendaftarannya.")]}
        )
    chosen = db.session.scalars(
        select(Registration).where(Registration.id.in_(ids)).order_by(Registration.id)
    ).all()
    quotas = load_quotas(year, lock=True)
    try:
        for registration in chosen:
            allocate(
                registration,
                typed["funding_source_code"],
                quotas=quotas,
                year=year,
                actor=current_user,
                reason=typed["reason"],
            )
    except AllocationError as error:
        db.session.rollback()  # all of the chosen or none
        return _allocation_page(
            year, 422, typed=typed, errors={"funding_source_code": [str(error)]}
        )
    db.session.commit()
    flash(
        ngettext(
            "%(num)d pendaftaran dibayar oleh %(source)s.",
            "%(num)d pendaftaran dibayar oleh %(source)s.",
            len(chosen),
            source=typed["funding_source_code"],
        ),
        "success",
    )
    return redirect(url_for(".allocation", year=year))


@bp.post("/allocation/auto")
@role_required(Role.COORDINATOR)
def allocate_automatically():
    year, known = _year()
    if not known:
        return _allocation_page(year, 400)
    waiting = db.session.scalars(
        select(Registration).where(*_unallocated(year)).order_by(Registration.id)
    ).all()
    left = allocate_approved(waiting, year=year)
    done = len(waiting) - left
    record_event(
        "funding.auto", actor=current_user, details={"year": year, "allocated": done, "left": left}
    )
    db.session.commit()
    flash(
        _(
            "%(done)s pendaftaran mendapat sumber dana; %(left)s masih menunggu karena "
            "kuotanya penuh.",
            done=done,
            left=left,
        ),
        "success" if not left else "info",
    )
    return redirect(url_for(".allocation", year=year))


@bp.post("/registrations/<int:registration_id>/funding")
@role_required(Role.COORDINATOR)
def change_funding(registration_id: int):
    registration = db.session.get(Registration, registration_id) or abort(404)
    year = registration.funding_year or today_in_semarang().year
    try:
        check_version(registration, expected_version(request.form.get("version")))
        allocate(
            registration,
            request.form.get("funding_source_code", ""),
            quotas=load_quotas(year, lock=True),
            year=year,
            actor=current_user,
            reason=request.form.get("reason", ""),
        )
        db.session.commit()
    except (AllocationError, StaleRecord) as error:
        db.session.rollback()
        flash(str(error), "error")
    except StaleDataError:
        db.session.rollback()
        flash(_("Pendaftaran ini baru saja diubah orang lain. Periksa lalu coba lagi."), "error")
    else:
        flash(_("Sumber dana disimpan."), "success")
    return redirect(url_for("review.detail", registration_id=registration_id))


# ---------------------------------------------------------------------------
# Batches


def _batch_choices() -> dict[str, Any]:
    return {
        "funding_sources": [(s.code, s.name) for s in active_funding_sources()],
        "years": _years(),
        **registration_choices(),
    }


def _check(typed: dict[str, str], choices: dict[str, Any]):
    return check_batch_request(
        typed,
        funding_sources={code for code, _name in choices["funding_sources"]},
        years=choices["years"],
        kecamatan_codes={code for code, _name in choices["kecamatan"]},
        occupation_codes={code for code, _name in choices["occupations"]},
        drive_ids={drive_id for drive_id, _name in choices["drives"]},
    )


def _batch_form(
    typed: dict[str, str], status: int = 200, choices: dict[str, Any] | None = None, **context: Any
):
    context.setdefault("errors", {})
    context.setdefault("matching", None)
    choices = choices or _batch_choices()
    return render_template("enrollment/new_batch.html", typed=typed, **context, **choices), status


@bp.get("/batches/new")
@role_required(Role.COORDINATOR)
def new_batch():
    """The form, filled from the link that led here (e.g. a source on the home page)."""
    today = today_in_semarang()
    typed = {key: request.args.get(key, "") for key in BATCH_FIELDS}
    typed["year"] = typed["year"] or str(today.year)
    typed["start_month"] = typed["start_month"] or str(today.month)
    typed["end_month"] = typed["end_month"] or "12"
    return _batch_form(typed)


@bp.post("/batches/new")
@role_required(Role.COORDINATOR)
def create():
    """ "Hitung dulu" says how many would go in; "Buat batch" makes it."""
    typed = {key: request.form.get(key, "") for key in BATCH_FIELDS}
    choices = _batch_choices()
    wanted, errors = _check(typed, choices)
    if wanted is None:
        return _batch_form(typed, 422, choices, errors=errors)
    if request.form.get("action") == "check":
        return _batch_form(typed, 200, choices, matching=count_eligible(wanted))
    try:
        batch = create_batch(wanted, actor=current_user)
    except BatchError as error:
        db.session.rollback()
        return _batch_form(
            typed, 422, choices, errors={"funding_source_code": [str(error)]}, matching=0
        )
    db.session.commit()
    flash(
        _(
            "Batch %(label)s dibuat dengan %(n)s pendaftaran. Unduh berkasnya lalu kirim ke "
            "BPJS Ketenagakerjaan.",
            label=batch.label,
            n=batch.row_count,
        ),
        "success",
    )
    return redirect(url_for(".batch", batch_id=batch.id))


def _get_batch(batch_id: int) -> EnrollmentBatch:
    return db.session.get(EnrollmentBatch, batch_id) or abort(404)


@bp.get("/batches/<int:batch_id>")
@role_required(Role.COORDINATOR)
def batch(batch_id: int):
    found = _get_batch(batch_id)
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.batch_id == found.id)
        .order_by(Registration.id)
        .limit(BATCH_ROWS_SHOWN)
    ).all()
    return render_template(
        "enrollment/batch.html",
        batch=found,
        registrations=registrations,
        counts=batch_counts(found),
        shown=BATCH_ROWS_SHOWN,
    )


EXPORT_FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_chunks),
    "csv": ("text/csv; charset=utf-8", csv_chunks),
}


@bp.get("/batches/<int:batch_id>/export.<fmt>")
@role_required(Role.COORDINATOR)
def download(batch_id: int, fmt: str):
    """The batch as a spreadsheet for BPJS Ketenagakerjaan, streamed; every download audited."""
    found = _get_batch(batch_id)
    if fmt not in EXPORT_FORMATS or found.status == BatchStatus.CANCELLED:
        abort(404)
    mimetype, chunks = EXPORT_FORMATS[fmt]
    record_event(
        "batch.download",
        actor=current_user,
        target=found,
        details={"batch": found.label, "format": fmt, "rows": found.row_count},
    )
    db.session.commit()
    response = Response(stream_with_context(chunks(batch_rows(found))), mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export_filename(found, fmt)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/batches/<int:batch_id>/sent")
@role_required(Role.COORDINATOR)
def sent(batch_id: int):
    found = _get_batch(batch_id)
    try:
        mark_sent(found, actor=current_user)
    except BatchError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Batch %(label)s ditandai terkirim ke BPJS.", label=found.label), "success")
    return redirect(url_for(".batch", batch_id=batch_id))


@bp.post("/batches/<int:batch_id>/cancel")
@role_required(Role.COORDINATOR)
def cancel(batch_id: int):
    found = _get_batch(batch_id)
    try:
        returned = cancel_batch(found, actor=current_user, reason=request.form.get("reason", ""))
    except BatchError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(
            _(
                "Batch %(label)s dibatalkan; %(n)s pendaftaran kembali disetujui dan bisa "
                "masuk batch lain.",
                label=found.label,
                n=returned,
            ),
            "success",
        )
    return redirect(url_for(".batch", batch_id=batch_id))
