"""The optimistic version check: a change made from a page that is out of date is refused.

Each registration carries a version that every change raises (SQLAlchemy's
``version_id_col``). A form sends the version its page showed; if the record has
changed since, the coordinator is told who changed it and looks again, instead of
silently overwriting what someone else decided.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..models import Registration
from .parsing import parse_id


class StaleRecord(ValueError):
    """The record changed since the page was shown; the message is for the coordinator."""


def check_version(registration: Registration, expected: int | None) -> None:
    """Raise StaleRecord if the page's version (None: not sent) is not the record's now."""
    if expected is not None and registration.version != expected:
        last = registration.events[-1] if registration.events else None
        who = last.actor.username if last is not None and last.actor else "?"
        raise StaleRecord(
            _l(
                "Pendaftaran ini baru saja diubah oleh %(who)s. Periksa keadaannya sekarang, "
                "lalu putuskan lagi.",
                who=who,
            )
        )


def expected_version(text: str | None) -> int | None:
    """The version a form sent, or None when it sent none (or not a number)."""
    return parse_id(text)
