"""Reading a phone's outbox saved to a file, the volunteer's last resort when sync fails."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

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
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
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
