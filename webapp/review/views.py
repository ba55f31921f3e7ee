from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..audit import record_event
from ..clock import today_in_semarang
from ..extensions import db
from ..models import Registration, RegistrationStatus, Role, User
from ..reference import load_form_choices, load_settings
from ..security import role_required
from ..sync.ingest import ingest
from ..sync.outbox_file import MAX_FILE_BYTES, OutboxFileError, read_outbox_file
from . import bp

LATEST_COUNT = 50


@bp.get("")
@role_required(Role.COORDINATOR)
def queue():
    counts = dict(
        db.session.execute(
            select(Registration.status, func.count()).group_by(Registration.status)
        ).all()
    )
    latest = db.session.scalars(
        select(Registration).order_by(Registration.received_at.desc()).limit(LATEST_COUNT)
    ).all()
    return render_template(
        "review/queue.html", counts=counts, latest=latest, statuses=list(RegistrationStatus)
    )


@dataclass
class UploadSummary:
    username: str
    counts: Counter
    problems: list[dict[str, Any]] = field(default_factory=list)


@bp.route("/upload", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def upload():
    if request.method == "GET":
        return render_template("review/upload.html", summary=None, error=None)
    request.max_content_length = MAX_FILE_BYTES
    sent = request.files.get("outbox_file")
    if sent is None or not sent.filename:
        return render_template(
            "review/upload.html", summary=None, error=_("Pilih berkas antrean dulu.")
        ), 422
    try:
        saved = read_outbox_file(sent.read())
    except OutboxFileError as err:
        return render_template("review/upload.html", summary=None, error=str(err)), 422
    volunteer = db.session.scalar(select(User).where(User.username == saved.username))
    if volunteer is None:
        message = _("Relawan %(user)s tidak dikenal.", user=saved.username)
        return render_template("review/upload.html", summary=None, error=message), 422
    results = ingest(
        saved.items,
        user=volunteer,
        device=None,
        settings=load_settings(),
        choices=load_form_choices(),
        today=today_in_semarang(),
    )
    summary = UploadSummary(volunteer.username, Counter(r["status"] for r in results))
    summary.problems = [
        {"position": n, "status": r["status"], "errors": r.get("errors", {})}
        for n, r in enumerate(results, start=1)
        if r["status"] in ("invalid", "conflict")
    ]
    record_event(
        "outbox_file.uploaded",
        actor=current_user,
        target=volunteer,
        details={"exported_at": saved.exported_at, **summary.counts},
    )
    db.session.commit()
    return render_template("review/upload.html", summary=summary, error=None)
