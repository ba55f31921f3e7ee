"""The programme dashboard: progress against the year's target, and the field's health."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

from . import views  # noqa: E402, F401  (registers the routes on bp)
