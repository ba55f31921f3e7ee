"""Enrollment: funding allocation, batches for BPJS Ketenagakerjaan, and KPJ numbers."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__, url_prefix="/enrollment")

from . import kpj_views, views  # noqa: E402, F401  (registers the routes on bp)
