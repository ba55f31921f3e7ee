"""The worker's own lookup: where a registration stands, by reference and birth date."""

from flask import Blueprint

bp = Blueprint("lookup", __name__)

from . import views  # noqa: E402, F401  (registers the routes on bp)
