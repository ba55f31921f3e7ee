"""The coordinator's side: what has arrived from the field."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from . import views  # noqa: E402, F401  (registers the routes on bp)
