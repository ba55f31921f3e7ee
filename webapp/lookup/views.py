"""``/cek``: no login. The reference from the worker's card and the worker's birth date
give where the registration stands, in plain words, and nothing else personal.

The lookup is a POST (a birth date never goes into a URL), limited per address and per
reference (a birth date is few guesses away once a reference is known), and every
answer to it takes at least ``LOOKUP_MIN_SECONDS``: an unknown reference and a wrong
birth date give the same page in the same time.
"""

from __future__ import annotations

import time

from flask import current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from ..domain.parsing import REQUIRED
from ..domain.public_status import find_for_lookup, public_status, read_birth_date
from ..domain.registrations import parse_reference
from ..extensions import limiter
from ..security import public
from . import bp

# Overridable in the app's settings (e.g. WEBAPP_LOOKUP_RATE_LIMIT).
ADDRESS_LIMIT = "10 per minute;50 per hour"
REFERENCE_LIMIT = "20 per day"
MIN_SECONDS = 0.3
MAX_TYPED = 40  # more than any reference or date needs


def _address_limit() -> str:
    return current_app.config.get("LOOKUP_RATE_LIMIT", ADDRESS_LIMIT)


def _reference_limit() -> str:
    return current_app.config.get("LOOKUP_REFERENCE_RATE_LIMIT", REFERENCE_LIMIT)


def _typed_reference() -> str | None:
    return parse_reference(request.form.get("reference", "")[:MAX_TYPED])


def _reference_key() -> str:
    return _typed_reference() or ""


def _not_a_reference() -> bool:
    """What cannot be a reference finds nothing: it counts only against the address."""
    return _typed_reference() is None


@bp.get("/cek")
@public
def cek():
    return render_template("lookup/cek.html", typed={}, errors={}, answered=False)


@bp.post("/cek")
@limiter.limit(_address_limit)
@limiter.limit(_reference_limit, key_func=_reference_key, exempt_when=_not_a_reference)
@public
def answer():
    started = time.monotonic()
    typed = {
        "reference": request.form.get("reference", "")[:MAX_TYPED].strip(),
        "birth_date": request.form.get("birth_date", "")[:MAX_TYPED].strip(),
    }
    reference, birth_date = _typed_reference(), read_birth_date(typed["birth_date"])
    errors: dict[str, list[str]] = {}
    if reference is None:
        errors["reference"] = [
            _("Tulis nomor referensi seperti di kartu, mis. PS-28T5-CY4T.")
            if typed["reference"]
            else str(REQUIRED)
        ]
    if birth_date is None:
        errors["birth_date"] = [
            _("Tulis tanggal lahir seperti di KTP: HH-BB-TTTT, mis. 17-08-1985.")
            if typed["birth_date"]
            else str(REQUIRED)
        ]
    if errors:
        return render_template("lookup/cek.html", typed=typed, errors=errors, answered=False), 422
    assert reference is not None and birth_date is not None
    registration = find_for_lookup(reference, birth_date)
    page = render_template(
        "lookup/cek.html",
        typed={"reference": reference},  # never the birth date back: a shared phone
        errors={},
        answered=True,
        reference=reference,
        status=public_status(registration) if registration is not None else None,
    )
    _answer_no_sooner_than(started + current_app.config.get("LOOKUP_MIN_SECONDS", MIN_SECONDS))
    return page


def _answer_no_sooner_than(deadline: float) -> None:
    """Wait until ``deadline`` (time.monotonic): whatever was found, the same time."""
    left = deadline - time.monotonic()
    if left > 0:
        time.sleep(left)


@bp.errorhandler(TooManyRequests)
def too_many(_err: TooManyRequests):
    """The limit's answer: the lookup page with a plain message, in the page's language."""
    return render_template(
        "lookup/cek.html", typed={}, errors={}, answered=False, limited=True
    ), 429
