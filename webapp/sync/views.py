"""``/api/v1``: thin views over the device and sync rules. JSON in, JSON out."""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from ..clock import today_in_semarang
from ..domain.accounts import DEACTIVATED_MESSAGE, AccountDeactivated, authenticate
from ..domain.audit import record_event
from ..domain.choices import load_form_choices
from ..domain.devices import (
    device_for_token,
    device_holding,
    issue_device,
    renew_device,
    renewable_device,
    revoke_device,
)
from ..domain.ingest import IngestConflict, Sender, ingest
from ..domain.json_input import UnreadableJson, read_json
from ..domain.reference import load_settings
from ..extensions import csrf, db, limiter
from ..models import utcnow
from ..security import public
from . import bp
from .updates import record_discards, record_heartbeat, updates_for

MAX_ITEMS = 200
MAX_BYTES = 1024 * 1024
ATTEMPTS = 5
RETRY_PAUSE_S = 0.02  # doubled each attempt, with jitter
BUSY_RETRY_AFTER_S = 5
# What other senders at the same moment can cause; anything else is a bug and a 500.
RETRYABLE = (IntegrityError, OperationalError, StaleDataError, IngestConflict)

log = logging.getLogger(__name__)

csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request can carry them


def api_error(status: int, code: str, message: str, **headers: str):
    return jsonify(error=code, message=message), status, headers


def read_body(*, max_bytes: int) -> Any:
    """The request's JSON body, or None when it is not JSON we can read (see json_input).

    A body over ``max_bytes`` raises RequestEntityTooLarge (not a BadRequest), which
    the blueprint answers with a JSON 413.
    """
    request.max_content_length = max_bytes
    try:
        return read_json(request.get_data(cache=False))
    except UnreadableJson:
        return None


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticated_device():
    return device_for_token(bearer_token())


def device_token_required(view):
    """Only a request with a usable device token passes; the device is ``g.device``."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.device = authenticated_device()
        if g.device is None:
            return unauthorized()
        return view(*args, **kwargs)

    wrapped.required_roles = ("device",)  # read by the route audit in the tests
    return wrapped


def unauthorized():
    """401 for a token that cannot sync; ``deactivated`` when its volunteer's account is
    (the phone then says so instead of asking for a login that cannot succeed)."""
    headers = {"WWW-Authenticate": 'Bearer realm="pijar-semar"'}
    holder = device_holding(bearer_token())
    if holder is not None and not holder.user.active:
        return api_error(401, "deactivated", str(DEACTIVATED_MESSAGE), **headers)
    return api_error(
        401,
        "unauthorized",
        _("Token perangkat tidak berlaku. Masuk lagi untuk melanjutkan pengiriman."),
        **headers,
    )


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.post("/devices")
@limiter.limit(_login_limit)
@public
def create_device():
    body = read_body(max_bytes=16 * 1024)
    if not isinstance(body, dict):
        return api_error(400, "bad_request", _("Kirim JSON dengan username dan password."))
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return api_error(400, "bad_request", _("Kirim JSON dengan username dan password."))
    try:
        user = authenticate(username, password)
    except AccountDeactivated as refused:
        record_event("device.login_deactivated", actor=None, target=refused.user)
        db.session.commit()
        return api_error(401, "deactivated", str(DEACTIVATED_MESSAGE))
    if user is None:
        record_event("device.login_failed", actor=None, details={"username": username[:64]})
        db.session.commit()
        return api_error(401, "unauthorized", _("Nama pengguna atau kata sandi salah."))
    lifetime = timedelta(days=current_app.config["DEVICE_TOKEN_DAYS"])
    # A phone that logs in again names the device it already is: it stays that device.
    device = renewable_device(user, body.get("device_id"))
    renewed = device is not None
    if device is not None:
        token = renew_device(device, lifetime=lifetime)
        record_event("device.renewed", actor=user, target=device, details={"label": device.label})
    else:
        label = body.get("label") if isinstance(body.get("label"), str) else ""
        device, token = issue_device(user, label, lifetime=lifetime)
        record_event("device.created", actor=user, target=device, details={"label": device.label})
    db.session.commit()
    return jsonify(device_id=device.id, token=token, renewed=renewed), 201


@bp.delete("/devices/current")
@device_token_required
def revoke_current_device():
    device = g.device
    revoke_device(device, by=device.user)
    record_event("device.revoked", actor=device.user, target=device, details={"by": "self"})
    db.session.commit()
    return "", 204


@bp.post("/sync")
@limiter.exempt
@device_token_required
def sync():
    device = g.device
    if request.content_length is not None and request.content_length > MAX_BYTES:
        return too_large()
    body = read_body(max_bytes=MAX_BYTES)
    if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
        return api_error(400, "bad_request", _("Badan permintaan harus JSON dengan daftar items."))
    items = body.get("items", [])
    if len(items) > MAX_ITEMS:
        return too_large()

    # One transaction per batch, committed before the answer. Other senders racing this
    # one (a twin insert, a lock the database gave up waiting for, a deadlock) make it
    # start again, a few times, after a short random wait; then the phone is told to
    # come back later, which it does, with nothing lost.
    for attempt in range(ATTEMPTS):
        try:
            results = ingest(
                items,
                sender=Sender(device.user, device),
                settings=load_settings(),
                choices=load_form_choices(),
                today=today_in_semarang(),
            )
            now = utcnow()
            discarded = record_discards(device, body.get("discarded"), now=now)
            record_heartbeat(device, body.get("device"), now=now)
            updates, cursor = updates_for(device, body.get("cursor"))
            db.session.commit()
            return jsonify(results=results, updates=updates, cursor=cursor, discarded=discarded)
        except RETRYABLE as err:
            db.session.rollback()
            log.info("sync batch retried (%s), attempt %d", type(err).__name__, attempt + 1)
            time.sleep(random.uniform(0.5, 1.5) * RETRY_PAUSE_S * 2**attempt)  # noqa: S311
            device = authenticated_device()
            if device is None:
                return unauthorized()
    return api_error(
        503,
        "busy",
        _("Server sedang sibuk. Data aman di HP dan akan dikirim lagi otomatis."),
        **{"Retry-After": str(BUSY_RETRY_AFTER_S)},
    )


def too_large():
    return api_error(
        413,
        "too_large",
        _("Terlalu banyak data sekaligus: paling banyak %(n)d item dan 1 MiB.", n=MAX_ITEMS),
    )


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(_err):
    return too_large()
