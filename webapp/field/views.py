from __future__ import annotations

import uuid

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from ..clock import today_in_semarang
from ..domain.choices import load_form_choices
from ..domain.reference import HEIR_RELATIONSHIPS, load_settings
from ..domain.registrations import (
    count_by_status,
    find_registration,
    parse_client_id,
    store_registration,
)
from ..domain.schemas import validate_registration
from ..extensions import db
from ..htmx import is_fragment_request, render
from ..lifecycle import HOLDS_QUOTA_PLACE
from ..models import Registration, Role
from ..security import role_required
from . import bp

RECENT_ON_HOME = 10


@bp.get("")
@role_required(Role.VOLUNTEER)
def home():
    mine = Registration.collected_by_id == current_user.id
    counts = count_by_status(mine)
    recent = db.session.scalars(
        select(Registration)
        .where(mine)
        .order_by(Registration.received_at.desc())
        .limit(RECENT_ON_HOME)
    ).all()
    approved = sum(counts.get(status, 0) for status in HOLDS_QUOTA_PLACE)
    return render_template("field/home.html", counts=counts, approved=approved, recent=recent)


def _render_form(values, errors, status: int = 200, notice: str | None = None, choices=None):
    # Each form carries its own id, so that sending it twice stores it once.
    client_id = parse_client_id(values.get("client_id")) or str(uuid.uuid4())
    return render(
        "field/register.html",
        "field/_register_form.html",
        status=status,
        values=values,
        errors=errors,
        notice=notice,
        client_id=client_id,
        choices=choices or load_form_choices(),
        relationships=HEIR_RELATIONSHIPS,
    )


def _to_receipt(reference: str):
    target = url_for("field.receipt", reference=reference)
    if is_fragment_request():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


@bp.route("/register", methods=["GET", "POST"])
@role_required(Role.VOLUNTEER)
def register():
    if request.method == "GET":
        return _render_form({}, {})
    client_id = parse_client_id(request.form.get("client_id"))
    already = find_registration(client_id, collected_by=current_user) if client_id else None
    if already is not None:  # a second tap, or a resend after a lost response
        return _to_receipt(already.reference)
    today = today_in_semarang()
    choices = load_form_choices()
    data, errors = validate_registration(request.form, choices=choices, today=today)
    if errors:
        return _render_form(request.form, errors, status=422, choices=choices)
    reference = store_registration(
        data,
        collected_by=current_user,
        settings=load_settings(),
        today=today,
        client_id=client_id,
    )
    db.session.commit()
    return _to_receipt(reference)


@bp.errorhandler(CSRFError)
def expired_form(err: CSRFError):
    """Keep what was typed when the form's security token no longer matches the session."""
    if request.endpoint == "field.register" and current_user.is_authenticated:
        notice = _(
            "Formulir perlu dikirim ulang karena sesi berganti. "
            "Periksa lalu tekan Simpan pendaftaran lagi."
        )
        return _render_form(request.form, {}, status=422, notice=notice)
    return render_template("errors/error.html", error=err), 400


@bp.get("/outbox")
@role_required(Role.VOLUNTEER)
def outbox():
    """This phone's records: the page reads them from the phone's own storage."""
    return render_template("field/outbox.html")


@bp.get("/receipt/<reference>")
@role_required(Role.VOLUNTEER)
def receipt(reference: str):
    registration = db.session.scalar(
        select(Registration).where(Registration.reference == reference)
    )
    if registration is None or (
        registration.collected_by_id != current_user.id and current_user.role == Role.VOLUNTEER
    ):
        abort(404)
    return render_template("field/receipt.html", registration=registration)
