"""The exactly-once rule: what one item a phone sends becomes, as a decision table.

Pure functions, no database: ``read_envelope`` checks an item's envelope, and
``decide_item`` decides from the item, the registration already stored under its
``client_id`` (if any), an item with the same ``client_id`` earlier in the same batch
(if any), and who sends it. ``ingest.ingest`` applies the decisions to the database.

The table, row by row (first match wins)::

    client_id  stored under it          earlier in batch   payload  ->  outcome
    missing    -                        -                  -            INVALID
    ok         another volunteer's      -                  -            NOT_THEIRS (conflict)
    ok         the sender's, same       -                  -            ALREADY_RECEIVED
    ok         the sender's, decided    -                  -            DECIDED (conflict)
    ok         the sender's, open, file -                  -            NO_EDIT_BY_FILE (conflict)
    ok         the sender's, open       -                  invalid      INVALID
    ok         the sender's, open       -                  valid        EDIT (accepted)
    ok         none                     same content       -            ALREADY_RECEIVED
    ok         none                     -                  invalid      INVALID
    ok         none                     other content      valid        REPLACES_EARLIER (accepted)
    ok         none                     none               valid        NEW (accepted)

"Same" is the same content hash (payload and form version); "open" is a status still
editable from the phone (``lifecycle.EDITABLE_FROM_PHONE``). "file": the items come from a
saved outbox uploaded at the office, which may add records but never change one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from ..lifecycle import EDITABLE_FROM_PHONE, RegistrationStatus
from .json_input import depth
from .registrations import parse_client_id

FORM_VERSIONS = (1,)
# An item is 2 deep (item, payload); its fields hold no structure at all.
MAX_ITEM_DEPTH = 8
# A phone's clock may be wrong, but a capture time further ahead than this, or before
# the first year any phone could have held the app, is not a time.
CLOCK_AHEAD_AT_MOST = timedelta(days=365)
EARLIEST_CAPTURE_YEAR = 2020


class Outcome(enum.StrEnum):
    NEW = "new"  # never seen: store it
    REPLACES_EARLIER = "replaces_earlier"  # new content for an item earlier in this batch
    EDIT = "edit"  # new content for the sender's stored record, still open to edits
    ALREADY_RECEIVED = "already_received"  # the same content again: the original answer
    NOT_THEIRS = "not_theirs"  # the client_id belongs to another volunteer's record
    DECIDED = "decided"  # new content for a record a coordinator has decided on
    NO_EDIT_BY_FILE = "no_edit_by_file"  # new content for a stored record, from a file
    INVALID = "invalid"  # the envelope or the payload does not pass the checks


# The status the phone is told for each outcome (the sync API's ``results[].status``).
RESULT_STATUS = {
    Outcome.NEW: "accepted",
    Outcome.REPLACES_EARLIER: "accepted",
    Outcome.EDIT: "accepted",
    Outcome.ALREADY_RECEIVED: "already_received",
    Outcome.NOT_THEIRS: "conflict",
    Outcome.DECIDED: "conflict",
    Outcome.NO_EDIT_BY_FILE: "conflict",
    Outcome.INVALID: "invalid",
}


@dataclass(frozen=True)
class Stored:
    """What matters of the registration stored under an item's client_id."""

    collected_by_id: int
    content_hash: str | None
    status: RegistrationStatus | str


@dataclass(frozen=True)
class Item:
    """What matters of one item: its client_id, its content hash, and whether it passed."""

    client_id: str | None
    content_hash: str
    valid: bool


def decide_item(
    item: Item,
    *,
    sender_id: int,
    stored: Stored | None,
    earlier_hash: str | None,
    edits_allowed: bool = True,
) -> Outcome:
    """What ``item`` becomes (see the table above).

    ``stored``: the registration already under its client_id, as it is now (after any
    earlier item of this batch was applied). ``earlier_hash``: the content hash of a new
    registration earlier in this batch under the same client_id, if any.
    ``edits_allowed``: False for items from a file, which may not change a record.
    """
    if item.client_id is None:
        return Outcome.INVALID
    if stored is not None:
        if stored.collected_by_id != sender_id:
            return Outcome.NOT_THEIRS
        if stored.content_hash == item.content_hash:
            return Outcome.ALREADY_RECEIVED
        if stored.status not in EDITABLE_FROM_PHONE:
            return Outcome.DECIDED
        if not edits_allowed:
            return Outcome.NO_EDIT_BY_FILE
        return Outcome.EDIT if item.valid else Outcome.INVALID
    if earlier_hash is not None and earlier_hash == item.content_hash:
        return Outcome.ALREADY_RECEIVED
    if not item.valid:
        return Outcome.INVALID
    return Outcome.NEW if earlier_hash is None else Outcome.REPLACES_EARLIER


@dataclass
class Envelope:
    """One item of a sync request, its envelope checked."""

    client_id: str | None
    form_version: int | None = None
    captured_at: datetime | None = None
    payload: dict[str, Any] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def read_envelope(item: Any, *, now: datetime) -> Envelope:
    """The envelope of one item (anything JSON can hold), with a message per bad part."""
    if not isinstance(item, dict):
        return Envelope(None, errors={"item": [_("Bukan objek JSON.")]})
    if depth(item) > MAX_ITEM_DEPTH:  # nothing of it is read, or written back out
        return Envelope(None, errors={"item": [_("Isinya bersarang terlalu dalam.")]})
    envelope = Envelope(parse_client_id(item.get("client_id")))
    if envelope.client_id is None:
        envelope.errors["client_id"] = [_("client_id harus UUID.")]
    version = item.get("form_version")
    if isinstance(version, int) and not isinstance(version, bool) and version in FORM_VERSIONS:
        envelope.form_version = version
    else:
        envelope.errors["form_version"] = [_("Versi formulir tidak dikenal.")]
    envelope.captured_at = _parse_time(item.get("captured_at"))
    if (
        envelope.captured_at is None
        or envelope.captured_at.year < EARLIEST_CAPTURE_YEAR
        or envelope.captured_at > now + CLOCK_AHEAD_AT_MOST
    ):
        envelope.errors["captured_at"] = [_("Waktu pencatatan harus ISO 8601 dengan zona waktu.")]
    payload = item.get("payload")
    if isinstance(payload, dict):
        envelope.payload = payload
    else:
        envelope.errors["payload"] = [_("Isi pendaftaran tidak ada.")]
    return envelope


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
