"""Role checks, security headers, cookie settings and the guards on what a request
carries (ids in paths, NUL characters, redirect targets), shared by every blueprint."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

from .domain.parsing import MAX_ROW_ID
from .extensions import login_manager

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def role_required(*roles: str) -> Callable:
    """Only users holding one of ``roles`` (admins hold every role) may pass.

    Anonymous users are sent to the login page; others without the role get 403.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # read by the route audit in the tests
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view as open to anonymous users on purpose."""
    view.required_roles = ()
    return view


def checks_own_characters(view: Callable) -> Callable:
    """Mark a view whose form is checked field by field, NUL included, so that the person
    sees what they typed with a message by the field: the NUL guard leaves its form alone."""
    view.checks_own_characters = True
    return view


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in a URL: an id a row can have, ASCII digits from 1 to MAX_ROW_ID.

    Any other number is a 404, like an id that finds nothing, instead of a number the
    database refuses (SQLite holds 64 bits, PostgreSQL's INTEGER 32).
    """

    regex = r"[0-9]+"  # not \d, which also matches other scripts' digits

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ROW_ID):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


NUL = "\x00"
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class UnusableCharacter(BadRequest):
    """A NUL character in the address or a form: no page needs one, PostgreSQL stores none."""

    # What the error page says (``description`` stays werkzeug's, for JSON answers).
    explanation = _l(
        "Alamat atau isian berisi karakter NUL, yang tidak bisa dipakai. "
        "Periksa isiannya, lalu kirim lagi."
    )


def _has_nul(pairs: Iterable[tuple[str, str | FileStorage]]) -> bool:
    for name, value in pairs:
        text = value.filename if isinstance(value, FileStorage) else value
        if NUL in name or NUL in (text or ""):
            return True
    return False


def refuse_nul_characters() -> None:
    """Answer 400 with the error page for NUL in the path, the query or a form (names,
    values and file names), before any view passes it on to the database."""
    if NUL in request.path or _has_nul(request.args.items(multi=True)):
        raise UnusableCharacter()
    if request.mimetype not in FORM_TYPES:
        return  # a JSON body is its reader's business
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "checks_own_characters", False):
        return
    if _has_nul(request.form.items(multi=True)) or _has_nul(request.files.items(multi=True)):
        raise UnusableCharacter()


MAX_LOCAL_PATH = 2000


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site, for a redirect after a form; else None.

    Never another host ('//host', '/\\host', 'https://host': no open redirect), never a
    control character (a line break would end the Location header), never a huge one.
    """
    if not target or len(target) > MAX_LOCAL_PATH or not target.startswith("/"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        # Pages show personal data: keep them out of shared caches.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Before the blueprints: their ``<int:...>`` rules are built with RowIdConverter."""
    app.session_interface = SessionInterface()
    app.url_map.converters["int"] = RowIdConverter
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
