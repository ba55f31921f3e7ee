"""PIJAR SEMAR field registration: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, jsonify, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, security, uploads
from .config import LANGUAGE_COOKIE
from .extensions import babel, csrf, db, limiter, login_manager, migrate

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the app: settings, extensions, blueprints, error pages and commands."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    config.load(app, test_config)

    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    security.init_app(app)  # before the blueprints: their <int:...> ids use its converter
    uploads.init_app(app)

    from . import (
        admin,
        auth,
        dashboard,
        enrollment,
        field,
        filters,
        health,
        labels,
        lookup,
        pwa,
        review,
        sync,
    )
    from .cli import register_commands

    filters.init_app(app)
    labels.init_app(app)
    blueprints = (auth, field, review, enrollment, dashboard, admin, health, sync, pwa, lookup)
    for blueprint in (module.bp for module in blueprints):
        app.register_blueprint(blueprint)
    register_commands(app)
    _register_error_handlers(app)
    return app


def _select_locale() -> str:
    if not has_request_context():  # commands speak the default language
        return "id"
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in current_app.config["LANGUAGES"] else "id"


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if _wants_json():
            return jsonify(
                error=err.name.lower().replace(" ", "_"), message=err.description
            ), err.code
        return render_template("errors/error.html", error=err), err.code

    @app.errorhandler(Exception)
    def unexpected_error(err: Exception):
        # The stack trace goes to the server log only; the user gets a plain page.
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if _wants_json():
            return jsonify(error="internal_error", message="Internal server error"), 500
        return render_template("errors/error.html", error=None), 500

    @app.context_processor
    def layout_context():
        return {
            "current_user": current_user,
            "languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
        }
