"""Generated sync requests, from plausible to hostile, and what must hold for every one.

Shared by tests/api/test_sync_fuzz.py (a bounded sample on each database) and
bench/fuzz_sync.py (thousands of requests, counting answers). A request is raw bytes:
most are JSON with a batch of items, each item a valid registration with a few of its
fields replaced by odd values (control characters, lone surrogates, ``²``, 20-digit and
huge numbers, fractions, nesting, wrong types); some batches repeat client ids; some
bodies are not JSON at all.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

from hypothesis import strategies as st

from tests.conftest import valid_registration

RESULT_STATUSES = {"accepted", "already_received", "invalid", "conflict"}

ODD_TEXT = st.sampled_from(
    [
        "\x00",
        "Budi\x00Santoso",
        "\ud800",
        "Budi \udfff",
        "1500000²",
        "²",
        "１５０００００",
        "\u202eosotnaS",
        "\ufeff",
        "x" * 5000,
        "Rp 1.500.000,-",
        "1.500.000,50",
        "1500000.0",
        "1e309",
        "NaN",
        "0001-01-01",
        "9999-12-31T23:59:59+14:00",
        "-1",
        "",
        " ",
        "🐟" * 50,
    ]
)
ODD_NUMBER = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**20, 2**31, 2**63, -(2**63), 10**300, 0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1500000.0, 1500000.5, 1e308, -0.0]),
)
ODD_VALUE = st.recursive(
    st.one_of(ODD_TEXT, ODD_NUMBER, st.booleans(), st.none(), st.text(max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = [*valid_registration(), "drive_id", "client_id", "unknown_field"]


@st.composite
def deep(draw, values: st.SearchStrategy) -> Any:
    """A value wrapped in lists, from a little to absurdly deep."""
    value = draw(values)
    for _ in range(draw(st.sampled_from([1, 2, 5, 40, 200]))):
        value = [value]
    return value


@st.composite
def payloads(draw) -> Any:
    if draw(st.integers(0, 9)) == 0:  # not an object at all
        return draw(st.one_of(ODD_VALUE, deep(ODD_VALUE)))
    payload: dict[str, Any] = valid_registration()
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        payload[field] = draw(ODD_VALUE if draw(st.integers(0, 5)) else deep(ODD_VALUE))
    return payload


@st.composite
def items(draw, client_ids: list[str]) -> Any:
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(ODD_VALUE)
    item = {
        "client_id": draw(st.sampled_from(client_ids)),
        "form_version": 1,
        "captured_at": "2026-11-06T09:12:00+07:00",
        "payload": draw(payloads()),
    }
    if kind == 1:
        item["client_id"] = draw(st.one_of(ODD_VALUE, st.just(client_ids[0].upper())))
    if kind == 2:
        item["form_version"] = draw(ODD_VALUE)
    if kind == 3:
        item["captured_at"] = draw(st.one_of(ODD_TEXT, ODD_VALUE))
    return item


@st.composite
def bodies(draw) -> bytes:
    """One request body, as bytes."""
    kind = draw(st.integers(0, 29))
    if kind == 0:
        return draw(st.sampled_from([b"", b"{", b"\xff\xfe{}", b"[]", b"null", b"NaN"]))
    if kind == 1:
        return b'{"items": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    client_ids = [str(uuid.uuid4()) for _ in range(draw(st.integers(1, 4)))]
    body: dict[str, Any] = {
        "device": draw(
            st.one_of(
                st.just({"app_version": "1", "pending": 1, "needs_fix": 0}),
                st.fixed_dictionaries(
                    {"app_version": ODD_VALUE, "pending": ODD_VALUE, "needs_fix": ODD_VALUE}
                ),
            )
        ),
        "cursor": draw(st.one_of(st.none(), ODD_TEXT, st.just("e" + "9" * 30))),
        "items": draw(st.lists(items(client_ids), max_size=8)),
    }
    if kind == 2:
        body["items"] = draw(ODD_VALUE)
    return json.dumps(body, ensure_ascii=True).encode()


def problems(body: bytes, status: int, answer: Any, rows_by_client_id: Counter) -> list[str]:
    """What went wrong with one answer (empty when all held).

    ``rows_by_client_id``: how many registrations the database holds under each client id
    of the batch, after the answer.
    """
    found = []
    if status >= 500:
        found.append(f"answered {status}")
    if status != 200:
        return found
    sent = json.loads(body)["items"]
    results = answer.get("results", [])
    if len(results) != len(sent):
        found.append(f"{len(results)} results for {len(sent)} items")
    for result in results:
        if result.get("status") not in RESULT_STATUSES:
            found.append(f"result status {result.get('status')!r}")
        stored = rows_by_client_id[result.get("client_id")]
        if result.get("status") in ("accepted", "already_received") and stored != 1:
            found.append(f"{result['client_id']} stored {stored} times")
    for client_id, count in rows_by_client_id.items():
        if count > 1:
            found.append(f"{client_id} stored {count} times")
    return found


def client_ids_in(body: bytes) -> list[str]:
    """The client ids a body's items name, as the server would read them (canonical)."""
    try:
        sent = json.loads(body).get("items")
    except (ValueError, AttributeError, RecursionError):
        return []
    found = []
    for item in sent if isinstance(sent, list) else []:
        value = item.get("client_id") if isinstance(item, dict) else None
        try:
            found.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return found


def stored_rows(client_ids: list[str]) -> Counter:
    """How many registrations the database holds under each of ``client_ids`` (needs an
    app context)."""
    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.models import Registration

    query = (
        select(Registration.client_id, func.count())
        .where(Registration.client_id.in_(client_ids))
        .group_by(Registration.client_id)
    )
    return Counter(dict(db.session.execute(query).all()))
