"""Admin pages: accounts, drives, programme settings."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import audit, drives, home, settings, users  # noqa: E402, F401  (registers the routes)
