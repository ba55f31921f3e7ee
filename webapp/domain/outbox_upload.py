"""A phone's outbox saved to a file and uploaded at the office: the volunteer's last
resort when sync fails. The file is read and checked, then its items go through the
same ingest as the sync API, as sent by the volunteer named in the file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Role, User
from .audit import record_event
from .choices import load_form_choices
from .ingest import Sender, ingest
from .json_input import UnreadableJson, read_json
from .reference import load_settings
from .text import storable

FILE_FORMAT = "pijar-semar-outbox"
FILE_VERSIONS = (1,)
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILE_ITEMS = 5_000


class OutboxFileError(ValueError):
    """The file cannot be read as a saved outbox; the message is for the coordinator."""


@dataclass(frozen=True)
class OutboxFile:
    username: str
    exported_at: str
    items: list[Any]


def read_outbox_file(content: bytes) -> OutboxFile:
    """Parse and check a saved outbox; raise OutboxFileError with a plain message."""
    try:
        data = read_json(content)
    except UnreadableJson as err:
        raise OutboxFileError(_l("Berkas ini bukan simpanan antrean dari aplikasi.")) from err
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
        raise OutboxFileError(_l("Berkas ini bukan simpanan antrean dari aplikasi."))
    if data.get("version") not in FILE_VERSIONS:
        raise OutboxFileError(_l("Versi berkas tidak dikenal; perbarui aplikasi di kantor."))
    items = data.get("items")
    username = data.get("username")
    if not isinstance(items, list) or not isinstance(username, str) or not username:
        raise OutboxFileError(
            _l("Berkas tidak lengkap: tidak ada relawan atau daftar pendaftaran.")
        )
    if len(items) > MAX_FILE_ITEMS:
        raise OutboxFileError(
            _l(
                "Berkas berisi lebih dari %(n)d pendaftaran; bagi menjadi beberapa berkas.",
                n=MAX_FILE_ITEMS,
            )
        )
    return OutboxFile(username=username, exported_at=str(data.get("exported_at", "")), items=items)


@dataclass
class UploadSummary:
    """What an upload did: counts by result status, and the items that need a look."""

    username: str
    counts: Counter
    problems: list[dict[str, Any]] = field(default_factory=list)


def upload_outbox(content: bytes, *, actor: User, today: date) -> UploadSummary:
    """Store the new records of a saved outbox, collected by the volunteer named in it and
    received by ``actor``; audit the upload.

    Only an active volunteer's file is taken. It may add records, never change one: a
    record already received with other content comes back as a conflict. Raises
    OutboxFileError, having changed nothing, when the file cannot be used. The caller
    commits.
    """
    saved = read_outbox_file(content)
    username = storable(saved.username, 64)
    volunteer = db.session.scalar(select(User).where(User.username == username))
    if volunteer is None:
        raise OutboxFileError(_l("Relawan %(user)s tidak dikenal.", user=username))
    if volunteer.role != Role.VOLUNTEER or not volunteer.active:
        raise OutboxFileError(
            _l(
                "Berkas ini atas nama %(user)s, yang bukan relawan aktif. Hanya berkas dari HP "
                "relawan yang aktif yang bisa diunggah.",
                user=username,
            )
        )
    results = ingest(
        saved.items,
        sender=Sender(volunteer, device=None, received_by=actor),
        settings=load_settings(),
        choices=load_form_choices(),
        today=today,
    )
    summary = UploadSummary(volunteer.username, Counter(r["status"] for r in results))
    summary.problems = [
        {"position": n, "status": r["status"], "errors": r.get("errors", {})}
        for n, r in enumerate(results, start=1)
        if r["status"] in ("invalid", "conflict")
    ]
    record_event(
        "outbox_file.uploaded",
        actor=actor,
        target=volunteer,
        details={"exported_at": saved.exported_at, **summary.counts},
    )
    return summary
