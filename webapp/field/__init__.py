"""The volunteer's pages: home, the registration form, receipts."""

from flask import Blueprint

bp = Blueprint("field", __name__, url_prefix="/app")

from . import views  # noqa: E402, F401  (registers the routes on bp)
