"""A registration's reference comes from its client id (DESIGN.md, References): the
server gives every case of tests/vectors/references.json, as the phone does, and reads
a reference back however a person types it."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from webapp.domain.registrations import (
    REFERENCE_ALPHABET,
    new_reference,
    parse_reference,
    reference_for,
)

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "references.json").read_text())
CASES = VECTORS["cases"]
REFERENCE = re.compile(r"PS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def test_the_vectors_are_all_there():
    assert len(CASES) == 30
    assert len({c["client_id"] for c in CASES}) == 30


@pytest.mark.parametrize("case", CASES, ids=[c["reference"] for c in CASES])
def test_each_vector_gives_the_phones_reference(case):
    assert reference_for(case["client_id"]) == case["reference"]


def test_the_reference_is_the_first_40_bits_big_endian_in_crockford_base32():
    assert reference_for("00000000-0000-4000-8000-000000000000") == "PS-0000-0000"
    assert reference_for("ffffffff-ffff-4fff-bfff-ffffffffffff") == "PS-ZZZZ-ZZZZ"
    # Only the first 5 bytes count: the rest of the UUID changes nothing.
    assert reference_for("00000000-00ff-4fff-bfff-ffffffffffff") == "PS-0000-0000"
    # The last of the 40 bits is the last character's lowest bit; the first, the first's.
    assert reference_for("00000000-0100-4000-8000-000000000000") == "PS-0000-0001"
    assert reference_for("80000000-0000-4000-8000-000000000000") == "PS-G000-0000"


@given(st.uuids())
@example(uuid.UUID("cced9a06-3be8-9352-710b-df9d23b6fb19"))  # PS-SKPS-M1HV: 'PS-' inside
def test_any_client_id_gives_a_reference_that_reads_back_to_its_first_five_bytes(client_id):
    reference = reference_for(str(client_id))
    assert REFERENCE.fullmatch(reference)
    assert reference_for(str(client_id).upper()) == reference
    bits = 0
    for char in reference[len("PS-") :].replace("-", ""):
        bits = bits * 32 + REFERENCE_ALPHABET.index(char)
    assert bits.to_bytes(5, "big") == client_id.bytes[:5]
    assert parse_reference(reference) == reference


@pytest.mark.parametrize(
    "typed",
    [
        "PS-28T5-CY4T",
        "ps-28t5-cy4t",
        "PS28T5CY4T",
        "ps 28t5 cy4t",
        " PS-28T5-CY4T ",
        "28T5-CY4T",
        "28t5cy4t",
        "PS–28T5–CY4T",  # en dashes, as some keyboards make them
        "PS.28T5.CY4T",
    ],
)
def test_a_reference_is_read_with_or_without_prefix_and_dashes_in_any_case(typed):
    assert parse_reference(typed) == "PS-28T5-CY4T"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("PS-O0I1-L0Oi", "PS-0011-1001"),  # O as 0, I and L as 1
        ("ps-oooo-llll", "PS-0000-1111"),
        ("PSPS12-3456", "PS-PS12-3456"),  # a reference that itself starts with PS
        ("PS12-3456", "PS-PS12-3456"),  # eight characters: the reference without its PS
        ("PS12-345", None),
    ],
)
def test_crockfords_look_alikes_are_read_as_what_they_look_like(typed, read):
    assert parse_reference(typed) == read


@pytest.mark.parametrize(
    "typed",
    ["", "PS-", "PS-28T5-CY4", "PS-28T5-CY4TT", "PS-28U5-CY4T", "PS-28T5-CY4*", "Budi Santoso"],
)
def test_what_cannot_be_a_reference_is_none(typed):
    assert parse_reference(typed) is None


def test_random_references_for_collisions_use_the_same_alphabet():
    refs = {new_reference() for _ in range(300)}
    assert len(refs) == 300
    assert all(REFERENCE.fullmatch(ref) for ref in refs)


def test_a_uuid_object_and_its_text_agree():
    client_id = uuid.uuid4()
    assert reference_for(str(client_id)) == reference_for(client_id.hex)
