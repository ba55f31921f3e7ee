"""Which funding source pays for a worker, and what a batch request may ask for."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from tests.conftest import TEST_SECRET
from webapp import create_app
from webapp.domain.funding import AllocationError, Quota, check_allocation, propose_source
from webapp.enrollment.batches import check_batch_request


@pytest.fixture(scope="module")
def plain_app() -> Flask:
    return create_app({"SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture
def request_context(plain_app):
    with plain_app.test_request_context("/"):
        yield


def quotas(apbd_room: int, dbhcht_room: int, sponsor_room: int = 0) -> dict[str, Quota]:
    return {
        "APBD": Quota("APBD", "APBD", 7_500, 7_500 - apbd_room),
        "DBHCHT": Quota("DBHCHT", "DBHCHT", 1_000, 1_000 - dbhcht_room),
        "CSR-BANK": Quota("CSR-BANK", "Bank Jateng", 50, 50 - sponsor_room),
    }


@pytest.mark.parametrize(
    ("drive_source", "rooms", "expected"),
    [
        (None, (10, 10), "APBD"),  # no drive: the city budget
        ("DBHCHT", (10, 10), "DBHCHT"),  # the drive's own source first
        ("DBHCHT", (10, 0), "APBD"),  # then APBD when the drive's source is full
        ("CSR-BANK", (10, 10, 5), "CSR-BANK"),  # a sponsor's drive fills the sponsor
        ("CSR-BANK", (0, 10, 0), None),  # never silently another source
        (None, (0, 10), None),  # APBD full and no drive: a coordinator decides
        ("GONE", (3, 3), "APBD"),  # a drive source no longer active is skipped
    ],
)
def test_propose_source(drive_source, rooms, expected):
    assert propose_source(drive_source, quotas(*rooms)) == expected


def test_room_and_over():
    quota = Quota("APBD", "APBD", workers=10, allocated=12)
    assert (quota.room, quota.over) == (0, 2)


def test_a_source_with_room_needs_no_reason(request_context):
    assert check_allocation("DBHCHT", quotas(0, 1), reason="") == ""


def test_a_full_source_needs_a_reason(request_context):
    with pytest.raises(AllocationError, match=r"Kuota APBD sudah penuh \(7\.500 dari 7\.500\)"):
        check_allocation("APBD", quotas(0, 1), reason="   ")
    assert check_allocation("APBD", quotas(0, 1), reason=" APBD  Perubahan ") == "APBD Perubahan"


def test_an_unknown_source_is_refused(request_context):
    with pytest.raises(AllocationError, match="Pilih sumber dana dari daftar"):
        check_allocation("LAINNYA", quotas(5, 5), reason="x")


CHOICES = {
    "funding_sources": {"APBD", "DBHCHT"},
    "years": {2026, 2027},
    "kecamatan_codes": {"33.74.02"},
    "occupation_codes": {"nelayan"},
    "drive_ids": {7},
}


def test_a_batch_request_covers_whole_months(request_context):
    typed = {
        "funding_source_code": "APBD",
        "year": "2026",
        "start_month": "2",
        "end_month": "2",
        "kecamatan_code": "33.74.02",
        "drive_id": "7",
        "limit": "1.000",
    }
    wanted, errors = check_batch_request(typed, **CHOICES)
    assert errors == {}
    assert (wanted.period_start, wanted.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert wanted.filters() == {"kecamatan_code": "33.74.02", "drive_id": 7, "limit": 1000}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"funding_source_code": ""}, "funding_source_code"),
        ({"year": "2030"}, "year"),
        ({"start_month": "13"}, "start_month"),
        ({"end_month": ""}, "end_month"),
        ({"start_month": "6", "end_month": "5"}, "end_month"),
        ({"occupation": "pilot"}, "occupation"),
        ({"drive_id": "8"}, "drive_id"),
        ({"limit": "-5"}, "limit"),
    ],
)
def test_a_bad_batch_request_names_the_field(request_context, changes, field):
    typed = {"funding_source_code": "APBD", "year": "2026", "start_month": "1", "end_month": "12"}
    wanted, errors = check_batch_request({**typed, **changes}, **CHOICES)
    assert wanted is None
    assert list(errors) == [field]
