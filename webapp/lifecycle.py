"""A registration's lifecycle: its statuses, their groups, and the moves between them.

Defined once, here, next to the model. Code asks these names ("is it open for a
decision?", "does it hold a quota place?") instead of listing statuses, and every
status change goes through ``check_transition``: a move not in ``TRANSITIONS`` raises.
The phone's words for each status (``phone_status``, the sync API's contract) and the
office's (``STATUS_LABELS``) are here too, so a new status is added in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l


class RegistrationStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # arrived from the field, waiting for a coordinator
    NEEDS_FIX = "needs_fix"  # sent back to the volunteer with a note
    APPROVED = "approved"  # accepted; holds a place in a funding source's quota
    REJECTED = "rejected"  # turned away, with a reason
    DUPLICATE = "duplicate"  # the same worker as another registration, which is kept
    EXPORTED = "exported"  # in an enrollment batch for BPJS Ketenagakerjaan
    ENROLLED = "enrolled"  # BPJS sent back a KPJ number: the worker is covered


S = RegistrationStatus

# The moves a registration may make, from each status. A status change not listed here
# is a bug, and raises. Editing from the phone is the move back to ``submitted``.
TRANSITIONS: Mapping[S, frozenset[S]] = {
    S.SUBMITTED: frozenset({S.SUBMITTED, S.APPROVED, S.REJECTED, S.NEEDS_FIX, S.DUPLICATE}),
    S.NEEDS_FIX: frozenset({S.SUBMITTED, S.APPROVED, S.REJECTED, S.NEEDS_FIX, S.DUPLICATE}),
    S.APPROVED: frozenset({S.EXPORTED, S.DUPLICATE}),
    S.REJECTED: frozenset({S.DUPLICATE}),
    S.EXPORTED: frozenset({S.ENROLLED, S.APPROVED}),  # back to approved: its batch cancelled
    S.ENROLLED: frozenset(),
    S.DUPLICATE: frozenset(),
}

# The groups the rules speak of. Tuples, in the enum's order, so that SQL built from
# them is the same every time.


def _group(*statuses: S) -> tuple[S, ...]:
    return tuple(s for s in S if s in statuses)


# A coordinator may still approve, reject or send it back.
OPEN_FOR_DECISION = _group(S.SUBMITTED, S.NEEDS_FIX)
# The volunteer may still send new content for it (an edit, not a conflict).
EDITABLE_FROM_PHONE = _group(S.SUBMITTED, S.NEEDS_FIX)
# Approved, and on its way to cover or covered: holds a place in its source's quota.
HOLDS_QUOTA_PLACE = _group(S.APPROVED, S.EXPORTED, S.ENROLLED)
# In an enrollment batch: sent to BPJS Ketenagakerjaan, or enrolled since.
IN_BATCH = _group(S.EXPORTED, S.ENROLLED)
# Covered by BPJS Ketenagakerjaan.
COVERED = _group(S.ENROLLED)
# May be merged away as the duplicate of another registration (not once sent to BPJS).
MERGEABLE = _group(S.SUBMITTED, S.NEEDS_FIX, S.APPROVED, S.REJECTED)
# Turned away, or the same worker again: left out of the counts of workers reached.
TURNED_AWAY = _group(S.REJECTED, S.DUPLICATE)
# An earlier registration of the same NIK counts as "already registered" unless rejected.
REGISTERS_THE_NIK = tuple(s for s in S if s != S.REJECTED)

# The order statuses are shown in: the way forward, then the ways out.
PIPELINE = (S.SUBMITTED, S.NEEDS_FIX, S.APPROVED, S.EXPORTED, S.ENROLLED, S.REJECTED, S.DUPLICATE)

# What the phone is told about a record (the sync API's ``updates[].status``), by its
# status on the server. One status needs more than itself: an exported record is
# ``in_batch`` until its batch is marked sent, then ``sent_to_bpjs`` (``phone_status``).
PHONE_STATUS: Mapping[S, str] = {
    S.SUBMITTED: "in_review",
    S.NEEDS_FIX: "needs_fix",
    S.APPROVED: "approved",
    S.EXPORTED: "in_batch",  # or SENT_TO_BPJS once its batch is sent
    S.ENROLLED: "enrolled",
    S.REJECTED: "rejected",
    S.DUPLICATE: "duplicate",
}
SENT_TO_BPJS = "sent_to_bpjs"
# Every word the server may send a phone today.
PHONE_WORDS = frozenset({*PHONE_STATUS.values(), SENT_TO_BPJS})


def phone_status(status: str, *, batch_sent: bool = False) -> str:
    """The phone's word for a record in ``status`` (``batch_sent``: its batch went to BPJS)."""
    if S(status) == S.EXPORTED and batch_sent:
        return SENT_TO_BPJS
    return PHONE_STATUS[S(status)]


# What the office pages call each status.
STATUS_LABELS: Mapping[S, object] = {
    S.SUBMITTED: _l("Menunggu tinjauan"),
    S.NEEDS_FIX: _l("Perlu diperbaiki"),
    S.APPROVED: _l("Disetujui"),
    S.REJECTED: _l("Ditolak"),
    S.DUPLICATE: _l("Ganda"),
    S.EXPORTED: _l("Dikirim ke BPJS"),
    S.ENROLLED: _l("Terdaftar di BPJS"),
}


class TransitionNotAllowed(RuntimeError):
    """A status change the lifecycle does not allow: a bug in the caller, never user input."""


def can_move(old: str, new: str) -> bool:
    return S(new) in TRANSITIONS[S(old)]


def check_transition(old: str, new: str) -> None:
    """Raise TransitionNotAllowed unless a registration may move from ``old`` to ``new``."""
    if not can_move(old, new):
        raise TransitionNotAllowed(f"a registration cannot move from {old} to {new}")


class StatusGroups:
    """The groups by name, for templates: ``r.status in status_groups.open_for_decision``."""

    open_for_decision = OPEN_FOR_DECISION
    editable_from_phone = EDITABLE_FROM_PHONE
    holds_quota_place = HOLDS_QUOTA_PLACE
    in_batch = IN_BATCH
    covered = COVERED
    mergeable = MERGEABLE
    turned_away = TURNED_AWAY
    pipeline = PIPELINE
