from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from ..clock import today_in_semarang
from ..domain.audit import record_event
from ..domain.choices import registration_choices
from ..domain.field_health import phones_in_use
from ..domain.funding import load_quotas
from ..domain.outbox_upload import MAX_FILE_BYTES, OutboxFileError, upload_outbox
from ..domain.parsing import parse_row_id
from ..domain.registrations import count_by_status
from ..domain.versions import StaleRecord, expected_version
from ..extensions import db
from ..htmx import is_fragment_request, render
from ..lifecycle import RegistrationStatus
from ..models import Registration, Role, User, utcnow
from ..security import local_path, role_required
from ..uploads import upload_limit
from . import bp
from .blk import (
    INTERESTS,
    blk_csv,
    blk_page,
    interest_names,
    local_phone,
    parse_blk_filters,
)
from .decisions import (
    REJECT_REASONS,
    Decision,
    DecisionError,
    bulk_approvable,
    bulk_approve,
    clear_duplicate_flag,
    decide,
    find_possible_duplicates,
    mark_duplicate,
)
from .queue import parse_filters, queue_page


def _filter_choices() -> dict[str, Any]:
    volunteers = db.session.execute(
        select(User.id, User.username).where(User.role == Role.VOLUNTEER).order_by(User.username)
    ).all()
    return {"volunteers": volunteers, **registration_choices()}


@bp.get("")
@role_required(Role.COORDINATOR)
def queue():
    filters = parse_filters(request.args)
    page: dict[str, Any] = {"filters": filters, "results": queue_page(filters)}
    if not is_fragment_request():  # the results alone need no counts or filter lists
        page |= {
            "counts": count_by_status(),
            "statuses": list(RegistrationStatus),
            **_filter_choices(),
        }
    return render(
        "review/queue.html", "review/_results.html", bulk_approvable=bulk_approvable, **page
    )


@bp.post("/approve")
@role_required(Role.COORDINATOR)
def approve_selected():
    ids = [i for i in map(parse_row_id, request.form.getlist("selected")) if i is not None]
    if not ids:
        flash(_("Pilih pendaftaran yang akan disetujui."), "error")
    else:
        approved, skipped = bulk_approve(ids, actor=current_user)
        db.session.commit()
        flash(
            _(
                "%(a)d disetujui, %(s)d dilewati (bertanda atau sudah diputuskan).",
                a=approved,
                s=skipped,
            ),
            "success",
        )
    return redirect(local_path(request.form.get("back")) or url_for("review.queue"))


def _registration(registration_id: int) -> Registration:
    return db.session.get(Registration, registration_id) or abort(404)


def _detail(
    registration: Registration,
    *,
    error: str | None = None,
    show_nik: bool = False,
    status: int = 200,
):
    approved = registration.status == RegistrationStatus.APPROVED
    return render_template(
        "review/detail.html",
        r=registration,
        # The funding sources to choose from, while the choice may still change.
        quotas=load_quotas(registration.funding_year or today_in_semarang().year)
        if approved
        else {},
        duplicates=find_possible_duplicates(registration),
        reject_reasons=REJECT_REASONS,
        error=error,
        show_nik=show_nik,
    ), status


@bp.get("/<int:registration_id>")
@role_required(Role.COORDINATOR)
def detail(registration_id: int):
    return _detail(_registration(registration_id))


def _apply(registration: Registration, change) -> Any:
    """Run a decision; on a refused or stale one, show the record as it now is."""
    try:
        change()
        db.session.commit()
    except (DecisionError, StaleRecord) as err:
        db.session.rollback()
        return _detail(_registration(registration.id), error=str(err), status=409)
    except StaleDataError:
        db.session.rollback()
        message = _(
            "Pendaftaran ini baru saja diubah oleh koordinator lain. "
            "Periksa keadaannya sekarang, lalu putuskan lagi."
        )
        return _detail(_registration(registration.id), error=message, status=409)
    return None


@bp.post("/<int:registration_id>/decide")
@role_required(Role.COORDINATOR)
def decide_one(registration_id: int):
    registration = _registration(registration_id)
    decision = Decision(
        action=request.form.get("action", ""),
        reason=request.form.get("reason", ""),
        note=request.form.get("note", "")[:1000],
    )
    refused = _apply(
        registration,
        lambda: decide(
            registration,
            decision,
            actor=current_user,
            expected_version=expected_version(request.form.get("version")),
        ),
    )
    if refused:
        return refused
    flash(_("Keputusan untuk %(ref)s disimpan.", ref=registration.reference), "success")
    if registration.status == RegistrationStatus.APPROVED and not registration.funding_source_code:
        flash(
            _(
                "Kuota sumber dana yang diusulkan sudah penuh: pilih sumber dananya di bagian "
                "Kepesertaan."
            ),
            "error",
        )
    return redirect(url_for("review.detail", registration_id=registration.id))


@bp.post("/<int:registration_id>/duplicate")
@role_required(Role.COORDINATOR)
def resolve_duplicate(registration_id: int):
    registration = _registration(registration_id)
    other_id = parse_row_id(request.form.get("other"))
    other = _registration(other_id) if other_id is not None else abort(400)
    keep, drop = (
        (registration, other) if request.form.get("keep") == "this" else (other, registration)
    )
    refused = _apply(
        registration,
        lambda: mark_duplicate(
            keep,
            drop,
            actor=current_user,
            expected_version=expected_version(request.form.get("version"))
            if drop is registration
            else None,
        ),
    )
    if refused:
        return refused
    flash(
        _("%(drop)s ditandai ganda dari %(keep)s.", drop=drop.reference, keep=keep.reference),
        "success",
    )
    return redirect(url_for("review.detail", registration_id=keep.id))


@bp.post("/<int:registration_id>/not-duplicate")
@role_required(Role.COORDINATOR)
def not_duplicate(registration_id: int):
    registration = _registration(registration_id)
    refused = _apply(
        registration,
        lambda: clear_duplicate_flag(
            registration,
            request.form.get("note", "")[:1000],
            actor=current_user,
            expected_version=expected_version(request.form.get("version")),
        ),
    )
    if refused:
        return refused
    flash(_("Tanda mungkin ganda dihapus."), "success")
    return redirect(url_for("review.detail", registration_id=registration.id))


@bp.post("/<int:registration_id>/nik")
@role_required(Role.COORDINATOR)
def show_nik(registration_id: int):
    """The full NIK, shown on request and audited (a POST: never in a URL or a link)."""
    registration = _registration(registration_id)
    record_event(
        "registration.nik_viewed",
        actor=current_user,
        target=registration,
        details={"reference": registration.reference},
    )
    db.session.commit()
    if request.headers.get("HX-Request") == "true":
        return render_template("review/_nik.html", r=registration, show_nik=True)
    return _detail(registration, show_nik=True)


@bp.get("/field")
@role_required(Role.COORDINATOR)
def field_health():
    now = utcnow()
    phones = phones_in_use(now)
    return render_template(
        "review/field.html",
        devices=phones.devices,
        silent=phones.silent,
        now=now,
        waiting=phones.waiting,
        discarded=phones.discarded,
    )


@bp.get("/blk")
@role_required(Role.COORDINATOR)
def blk():
    """The workers interested in the BLK's training or job fairs."""
    filters = parse_blk_filters(request.args)
    return render_template(
        "review/blk.html",
        filters=filters,
        results=blk_page(filters),
        interests=INTERESTS,
        interest_names=interest_names,
        local_phone=local_phone,
        **registration_choices(),
    )


@bp.get("/blk.csv")
@role_required(Role.COORDINATOR)
def blk_download():
    """The same list, every page, as CSV for the BLK unit; every download audited."""
    filters = parse_blk_filters(request.args)
    text, rows = blk_csv(filters)
    record_event(
        "blk.download", actor=current_user, details={**filters.as_params(after=""), "rows": rows}
    )
    db.session.commit()
    response = Response(text, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="pijar-semar-minat-blk-{today_in_semarang().isoformat()}.csv"'
    )
    return response


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(err: RequestEntityTooLarge):
    if request.endpoint != "review.upload":
        return render_template("errors/error.html", error=err), err.code
    message = _(
        "Berkas lebih dari %(mb)d MB. Simpan antrean HP ke beberapa berkas yang lebih kecil.",
        mb=MAX_FILE_BYTES // (1024 * 1024),
    )
    return render_template("review/upload.html", summary=None, error=message), 413


@bp.route("/upload", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
@upload_limit(MAX_FILE_BYTES)
def upload():
    if request.method == "GET":
        return render_template("review/upload.html", summary=None, error=None)
    sent = request.files.get("outbox_file")
    if sent is None or not sent.filename:
        return render_template(
            "review/upload.html", summary=None, error=_("Pilih berkas antrean dulu.")
        ), 422
    try:
        summary = upload_outbox(sent.read(), actor=current_user, today=today_in_semarang())
    except OutboxFileError as err:
        return render_template("review/upload.html", summary=None, error=str(err)), 422
    db.session.commit()
    return render_template("review/upload.html", summary=summary, error=None)
