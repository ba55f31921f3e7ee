"""/healthz for load balancers and monitoring."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import db, limiter
from .security import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", never a stack trace
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
