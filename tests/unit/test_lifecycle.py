"""The registration lifecycle, row by row: which moves are allowed, and the named groups.

The expected table is written out here by hand, from the programme's rules, so that a
change to ``webapp/lifecycle.py`` has to be made twice on purpose.
"""

from __future__ import annotations

import itertools

import pytest

from webapp.domain.registrations import change_status
from webapp.lifecycle import (
    COVERED,
    EDITABLE_FROM_PHONE,
    HOLDS_QUOTA_PLACE,
    IN_BATCH,
    MERGEABLE,
    OPEN_FOR_DECISION,
    PHONE_STATUS,
    PHONE_WORDS,
    PIPELINE,
    REGISTERS_THE_NIK,
    STATUS_LABELS,
    TURNED_AWAY,
    RegistrationStatus,
    TransitionNotAllowed,
    can_move,
    check_transition,
    phone_status,
)
from webapp.models import Registration, User

ALL = [s.value for s in RegistrationStatus]

# (from, to) -> why it is allowed. Every pair not listed must be refused.
ALLOWED = {
    ("submitted", "submitted"): "the volunteer edits it again",
    ("submitted", "approved"): "a coordinator approves",
    ("submitted", "rejected"): "a coordinator rejects",
    ("submitted", "needs_fix"): "sent back to the volunteer",
    ("submitted", "duplicate"): "merged into another registration",
    ("needs_fix", "submitted"): "the volunteer sends the fix",
    ("needs_fix", "approved"): "approved as it is",
    ("needs_fix", "rejected"): "rejected instead",
    ("needs_fix", "needs_fix"): "sent back again with another note",
    ("needs_fix", "duplicate"): "merged into another registration",
    ("approved", "exported"): "put in an enrollment batch",
    ("approved", "duplicate"): "found to be a duplicate before any batch",
    ("rejected", "duplicate"): "a rejected record merged into the one kept",
    ("exported", "enrolled"): "BPJS sent its KPJ number",
    ("exported", "approved"): "its batch was cancelled before sending",
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(ALL, ALL)))
def test_each_move_is_allowed_only_if_the_table_says_so(old, new):
    if (old, new) in ALLOWED:
        check_transition(old, new)  # does not raise
        assert can_move(old, new)
    else:
        assert not can_move(old, new)
        with pytest.raises(TransitionNotAllowed, match=f"from {old} to {new}"):
            check_transition(old, new)


def test_final_statuses_lead_nowhere():
    for final in ("enrolled", "duplicate"):
        assert not any(can_move(final, other) for other in ALL)


@pytest.mark.parametrize(
    ("group", "members"),
    [
        (OPEN_FOR_DECISION, {"submitted", "needs_fix"}),
        (EDITABLE_FROM_PHONE, {"submitted", "needs_fix"}),
        (HOLDS_QUOTA_PLACE, {"approved", "exported", "enrolled"}),
        (IN_BATCH, {"exported", "enrolled"}),
        (COVERED, {"enrolled"}),
        (MERGEABLE, {"submitted", "needs_fix", "approved", "rejected"}),
        (TURNED_AWAY, {"rejected", "duplicate"}),
        (REGISTERS_THE_NIK, set(ALL) - {"rejected"}),
    ],
)
def test_each_group_holds_exactly_its_statuses(group, members):
    assert {str(s) for s in group} == members
    assert len(group) == len(members)  # no status twice


def test_a_mergeable_record_can_become_a_duplicate_and_others_cannot():
    for status in ALL:
        assert can_move(status, "duplicate") == (status in MERGEABLE)


def test_what_is_open_for_decision_can_take_every_decision():
    for status in OPEN_FOR_DECISION:
        for decision in ("approved", "rejected", "needs_fix"):
            assert can_move(status, decision)


def test_the_phone_and_the_office_have_words_for_every_status():
    assert set(PHONE_STATUS) == set(RegistrationStatus)
    # The words the sync API's contract allows (DESIGN.md, updates[].status).
    assert PHONE_WORDS.issubset(
        {
            "in_review",
            "needs_fix",
            "approved",
            "in_batch",
            "sent_to_bpjs",
            "enrolled",
            "refused",
            "rejected",
            "duplicate",
            "exited",
        }
    )
    assert set(STATUS_LABELS) == set(RegistrationStatus)
    assert sorted(PIPELINE) == sorted(RegistrationStatus)


# What the phone is told, written out by hand: (status, its batch sent) -> word.
PHONE_TABLE = {
    ("submitted", False): "in_review",
    ("needs_fix", False): "needs_fix",
    ("approved", False): "approved",
    ("exported", False): "in_batch",
    ("exported", True): "sent_to_bpjs",
    ("enrolled", False): "enrolled",
    ("enrolled", True): "enrolled",
    ("rejected", False): "rejected",
    ("duplicate", False): "duplicate",
}


@pytest.mark.parametrize(("status", "batch_sent"), sorted(PHONE_TABLE))
def test_the_phone_is_told_in_plain_words(status, batch_sent):
    assert phone_status(status, batch_sent=batch_sent) == PHONE_TABLE[status, batch_sent]


def test_every_word_the_phone_may_be_told_is_one_of_the_words():
    told = {phone_status(s, batch_sent=sent) for s in RegistrationStatus for sent in (False, True)}
    assert told == PHONE_WORDS
    # A duplicate is no longer "rejected": the phone says which record is kept.
    assert phone_status("duplicate") != phone_status("rejected")


def test_a_status_change_outside_the_table_raises_and_changes_nothing():
    registration = Registration(status="enrolled", events=[])
    with pytest.raises(TransitionNotAllowed):
        change_status(registration, "rejected", actor=User(username="dewi"))
    assert registration.status == "enrolled"
    assert registration.events == []
