"""The exactly-once rule as a decision table, walked row by row without a database.

Each row is one situation a phone's item can be in (see ``webapp/domain/ingest_rules.py``);
the database-backed tests in tests/api/test_sync.py check the same rules end to end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.ingest_rules import (
    RESULT_STATUS,
    Item,
    Outcome,
    Stored,
    decide_item,
    read_envelope,
)
from webapp.lifecycle import RegistrationStatus

SENDER, OTHER = 7, 8
CLIENT_ID = "6f1c2a3b-0d4e-4f5a-8b6c-7d8e9f0a1b2c"
SAME, NEW = "a" * 64, "b" * 64


def stored(owner=SENDER, content=SAME, status="submitted") -> Stored:
    return Stored(collected_by_id=owner, content_hash=content, status=status)


# (what is known, the item's content, valid?, earlier in batch) -> outcome, result status
ROWS = [
    # No client_id: nothing else matters.
    ("no client id", None, None, SAME, True, None, Outcome.INVALID, "invalid"),
    # A registration is stored under this client_id.
    ("another volunteer's id", CLIENT_ID, stored(owner=OTHER), SAME, True, None,
     Outcome.NOT_THEIRS, "conflict"),
    ("another volunteer's id, bad payload", CLIENT_ID, stored(owner=OTHER), NEW, False, None,
     Outcome.NOT_THEIRS, "conflict"),
    ("resend of the same content", CLIENT_ID, stored(), SAME, True, None,
     Outcome.ALREADY_RECEIVED, "already_received"),
    ("resend after a coordinator decided", CLIENT_ID, stored(status="approved"), SAME, True,
     None, Outcome.ALREADY_RECEIVED, "already_received"),
    ("resend of content that no longer passes", CLIENT_ID, stored(), SAME, False, None,
     Outcome.ALREADY_RECEIVED, "already_received"),
    ("new content, already approved", CLIENT_ID, stored(status="approved"), NEW, True, None,
     Outcome.DECIDED, "conflict"),
    ("new content, already rejected", CLIENT_ID, stored(status="rejected"), NEW, True, None,
     Outcome.DECIDED, "conflict"),
    ("new content, enrolled", CLIENT_ID, stored(status="enrolled"), NEW, False, None,
     Outcome.DECIDED, "conflict"),
    ("fix of a record sent back, invalid", CLIENT_ID, stored(status="needs_fix"), NEW, False,
     None, Outcome.INVALID, "invalid"),
    ("fix of a record sent back", CLIENT_ID, stored(status="needs_fix"), NEW, True, None,
     Outcome.EDIT, "accepted"),
    ("edit before review", CLIENT_ID, stored(status="submitted"), NEW, True, None,
     Outcome.EDIT, "accepted"),
    # Nothing stored yet.
    ("same item twice in one batch", CLIENT_ID, None, SAME, True, SAME,
     Outcome.ALREADY_RECEIVED, "already_received"),
    ("new, invalid", CLIENT_ID, None, NEW, False, None, Outcome.INVALID, "invalid"),
    ("new content for an earlier item, invalid", CLIENT_ID, None, NEW, False, SAME,
     Outcome.INVALID, "invalid"),
    ("new content for an earlier item", CLIENT_ID, None, NEW, True, SAME,
     Outcome.REPLACES_EARLIER, "accepted"),
    ("new", CLIENT_ID, None, NEW, True, None, Outcome.NEW, "accepted"),
]  # fmt: skip
# From a saved outbox uploaded at the office: records may be added, never changed.
FILE_ROWS = [
    ("file: new content for an open record", CLIENT_ID, stored(status="needs_fix"), NEW, True,
     None, Outcome.NO_EDIT_BY_FILE, "conflict"),
    ("file: new content, invalid too", CLIENT_ID, stored(), NEW, False, None,
     Outcome.NO_EDIT_BY_FILE, "conflict"),
    ("file: the same content again", CLIENT_ID, stored(), SAME, True, None,
     Outcome.ALREADY_RECEIVED, "already_received"),
    ("file: a decided record", CLIENT_ID, stored(status="approved"), NEW, True, None,
     Outcome.DECIDED, "conflict"),
    ("file: another volunteer's id", CLIENT_ID, stored(owner=OTHER), NEW, True, None,
     Outcome.NOT_THEIRS, "conflict"),
    ("file: new", CLIENT_ID, None, NEW, True, None, Outcome.NEW, "accepted"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("client_id", "known", "content", "valid", "earlier", "outcome", "status", "by_file"),
    [(*row[1:], False) for row in ROWS] + [(*row[1:], True) for row in FILE_ROWS],
    ids=[row[0] for row in ROWS + FILE_ROWS],
)
def test_each_row_of_the_table(client_id, known, content, valid, earlier, outcome, status, by_file):
    decided = decide_item(
        Item(client_id, content, valid=valid),
        sender_id=SENDER,
        stored=known,
        earlier_hash=earlier,
        edits_allowed=not by_file,
    )
    assert decided == outcome
    assert RESULT_STATUS[decided] == status


def test_every_outcome_has_a_row_and_a_status_the_phone_knows():
    assert {row[6] for row in ROWS + FILE_ROWS} == set(Outcome)
    assert set(RESULT_STATUS) == set(Outcome)
    assert set(RESULT_STATUS.values()) <= {"accepted", "already_received", "invalid", "conflict"}


statuses = st.sampled_from(list(RegistrationStatus))
hashes = st.sampled_from([SAME, NEW, "c" * 64])
stored_records = st.none() | st.builds(
    Stored, collected_by_id=st.sampled_from([SENDER, OTHER]), content_hash=hashes, status=statuses
)
items = st.builds(
    Item, client_id=st.sampled_from([CLIENT_ID, None]), content_hash=hashes, valid=st.booleans()
)


@given(item=items, known=stored_records, earlier=st.none() | hashes, by_file=st.booleans())
def test_no_item_is_ever_stored_twice_or_lands_in_someone_elses_record(
    item, known, earlier, by_file
):
    outcome = decide_item(
        item, sender_id=SENDER, stored=known, earlier_hash=earlier, edits_allowed=not by_file
    )
    if known is not None:
        assert outcome not in (Outcome.NEW, Outcome.REPLACES_EARLIER)  # exactly once
        if known.collected_by_id != SENDER and item.client_id is not None:
            assert outcome == Outcome.NOT_THEIRS
        elif item.client_id is not None and known.content_hash == item.content_hash:
            assert outcome == Outcome.ALREADY_RECEIVED  # a resend, however often
    if outcome in (Outcome.NEW, Outcome.REPLACES_EARLIER, Outcome.EDIT):
        assert item.valid and item.client_id is not None
    if outcome == Outcome.EDIT:
        assert known is not None and known.status in ("submitted", "needs_fix")
        assert not by_file  # a file never changes a record


NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
GOOD = {
    "client_id": CLIENT_ID.upper(),
    "form_version": 1,
    "captured_at": "2026-11-06T09:12:00+07:00",
    "payload": {"nik": "3374011205900012"},
}


def test_a_good_envelope_is_read_and_its_client_id_made_canonical():
    envelope = read_envelope(GOOD, now=NOW)
    assert envelope.errors == {}
    assert envelope.client_id == CLIENT_ID
    assert envelope.captured_at == datetime(2026, 11, 6, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"client_id": "\x00"}, "client_id"),
        ({"client_id": "\ud800"}, "client_id"),
        ({"client_id": 12345678901234567890}, "client_id"),
        ({"form_version": True}, "form_version"),
        ({"form_version": "1"}, "form_version"),
        ({"form_version": 2}, "form_version"),
        ({"captured_at": "2026-11-06T09:12:00"}, "captured_at"),  # no time zone
        ({"captured_at": "kemarin"}, "captured_at"),
        ({"captured_at": "2028-11-06T09:12:00+07:00"}, "captured_at"),  # two years ahead
        ({"payload": ["nik"]}, "payload"),
        ({"payload": None}, "payload"),
    ],
)
def test_a_bad_part_of_the_envelope_is_named(change, field):
    envelope = read_envelope({**GOOD, **change}, now=NOW)
    assert set(envelope.errors) == {field}


def test_anything_that_is_not_an_object_is_one_error():
    for item in (None, 1, "x", [GOOD], True):
        assert set(read_envelope(item, now=NOW).errors) == {"item"}


def test_the_capture_time_bound_works_on_a_leap_day():
    leap_day = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    envelope = read_envelope({**GOOD, "captured_at": "2028-02-29T19:00:00+07:00"}, now=leap_day)
    assert envelope.errors == {}
    too_far = (leap_day + timedelta(days=400)).isoformat()
    assert "captured_at" in read_envelope({**GOOD, "captured_at": too_far}, now=leap_day).errors
