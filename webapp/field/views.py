from __future__ import annotations

import uuid

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..clock import today_in_semarang
from ..domain.choices import load_form_choices
from ..domain.phone_rules import phone_rules
from ..domain.reference import HEIR_RELATIONSHIPS, load_settings
from ..domain.registrations import count_by_status, parse_client_id, store_registration
from ..domain.schemas import validate_registration
from ..extensions import db
from ..htmx import is_fragment_request, render
from ..lifecycle import HOLDS_QUOTA_PLACE
from ..models import Registration, Role
from ..security import checks_own_characters, role_required
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
    choices = choices or load_form_choices()
    return render(
        "field/register.html",
        "field/_register_form.html",
        status=status,
        values=values,
        errors=errors,
        notice=notice,
        client_id=client_id,
        choices=choices,
        relationships=HEIR_RELATIONSHIPS,
        # The page (not the htmx fragment) carries the rules made with the same choices.
        phone_rules=lambda: phone_rules(choices, load_settings()),
    )


def _to_receipt(reference: str):
    target = url_for("field.receipt", reference=reference)
    if is_fragment_request():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


def _stored_under(client_id: str | None) -> Registration | None:
    """The registration already stored under this form's id, whoever sent it."""
    if client_id is None:
        return None
    return db.session.scalar(select(Registration).where(Registration.client_id == client_id))


def _sent_again(stored: Registration):
    """A form whose id is taken: its receipt when this volunteer sent it (a second tap,
    or a resend after a lost response). When another account sent it (the same browser,
    someone else logged in since), the same form again, with what was typed, a new id and
    a notice: storing it under this name is a choice, never a silent duplicate."""
    if stored.collected_by_id == current_user.id:
        return _to_receipt(stored.reference)
    values = request.form.copy()
    values.pop("client_id", None)  # _render_form gives the form a new id
    notice = _(
        "Formulir ini sudah pernah dikirim dari akun lain. Isiannya masih di sini: "
        "periksa, lalu tekan Simpan pendaftaran untuk menyimpannya atas nama Anda."
    )
    return _render_form(values, {}, status=422, notice=notice)


@bp.route("/register", methods=["GET", "POST"])
@role_required(Role.VOLUNTEER)
@checks_own_characters  # the schema refuses NUL by the field, keeping what was typed
def register():
    if request.method == "GET":
        return _render_form({}, {})
    client_id = parse_client_id(request.form.get("client_id"))
    if (stored := _stored_under(client_id)) is not None:
        return _sent_again(stored)
    today = today_in_semarang()
    choices = load_form_choices()
    data, errors = validate_registration(request.form, choices=choices, today=today)
    if errors:
        return _render_form(request.form, errors, status=422, choices=choices)
    try:
        reference = store_registration(
            data,
            collected_by=current_user,
            settings=load_settings(),
            today=today,
            client_id=client_id,
        )
        db.session.commit()
    except IntegrityError:  # the same form stored by another request a moment ago
        db.session.rollback()
        if (stored := _stored_under(client_id)) is None:
            raise
        return _sent_again(stored)
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


@bp.get("/rules.json")
@role_required(Role.VOLUNTEER)
def rules():
    """The registration rules the phone applies before saving, in the volunteer's language
    (``domain.phone_rules``). Precached by the service worker; the form page carries the
    same document too, fresh with each page."""
    response = jsonify(phone_rules(load_form_choices(), load_settings()))
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")  # the language
    return response


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
