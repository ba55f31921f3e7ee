"""The workers interested in the BLK (training, job fairs): a coordinator's list and the
CSV file for the Disnaker's BLK unit."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import login
from webapp.domain.spreadsheets import BOM
from webapp.extensions import db
from webapp.models import AuditEvent, Registration

ROW = re.compile(r'data-registration="(\d+)"')
START = datetime(2026, 11, 2, 2, tzinfo=UTC)  # 09:00 in Semarang


def rows(response) -> list[int]:
    assert response.status_code == 200
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


@pytest.fixture
def interested(app, make_registration, volunteer_name):
    """``interested(training=..., job_fair=..., trade=..., **registration)`` -> id."""
    made = []

    def make(*, training=False, job_fair=False, trade=None, **changes):
        changes.setdefault("received_at", START + timedelta(minutes=len(made)))
        changes.setdefault("nik", f"33740112059{len(made) + 100:05d}")
        registration_id = make_registration(volunteer_name, **changes)
        with app.app_context():
            record = db.session.get(Registration, registration_id)
            record.blk_training, record.blk_job_fair, record.blk_trade = training, job_fair, trade
            db.session.commit()
        made.append(registration_id)
        return registration_id

    return make


def test_the_list_shows_who_said_yes_newest_first_and_leaves_out_the_turned_away(
    app, coordinator, interested
):
    training = interested(training=True, trade="Las listrik")
    fair = interested(job_fair=True, full_name="Sri Wahyuni", sex="P")
    both = interested(training=True, job_fair=True, status="approved")
    interested()  # said no to both
    interested(training=True, status="rejected")
    interested(job_fair=True, status="duplicate")
    response = coordinator.get("/review/blk")
    assert rows(response) == [both, fair, training]
    page = response.get_data(as_text=True)
    with app.app_context():
        ref = db.session.get(Registration, training).reference
    line = page[page.index(f'data-registration="{training}"') :].split("</tr>")[0]
    for shown in ("Budi Santoso", ref, "081234567890", "Semarang Utara", "Nelayan", "Las listrik"):
        assert shown in line, shown
    assert "Pelatihan" in line and "02-11-2026 09:00 WIB" in line
    assert "+6281234567890" not in page
    both_line = page[page.index(f'data-registration="{both}"') :].split("</tr>")[0]
    assert "Pelatihan, Bursa kerja" in both_line


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"training", "fair", "pkl"}),
        ({"interest": "training"}, {"training", "pkl"}),
        ({"interest": "job_fair"}, {"fair"}),
        ({"kecamatan": "33.74.01"}, {"fair"}),
        ({"occupation": "pkl"}, {"pkl"}),
        ({"occupation": "pkl", "interest": "job_fair"}, set()),
        ({"interest": "x", "kecamatan": "<script>"}, {"training", "fair", "pkl"}),  # ignored
    ],
)
def test_filters_by_kecamatan_occupation_and_interest(coordinator, interested, query, expected):
    ids = {
        "training": interested(training=True),
        "fair": interested(job_fair=True, kelurahan_code="33.74.01.1001"),
        "pkl": interested(training=True, occupation="pkl"),
    }
    found = set(rows(coordinator.get("/review/blk", query_string=query)))
    assert found == {ids[name] for name in expected}


def test_pages_follow_the_keyset_without_gaps_or_repeats(coordinator, interested, monkeypatch):
    import webapp.review.blk as blk

    monkeypatch.setattr(blk, "PAGE_SIZE", 2)
    made = [interested(training=True) for _ in range(5)]
    seen, url = [], "/review/blk?interest=training"
    while url:
        response = coordinator.get(url)
        seen.extend(rows(response))
        following = re.search(r'rel="next" href="([^"]+)"', response.get_data(as_text=True))
        url = following.group(1).replace("&amp;", "&") if following else None
        assert not url or "interest=training" in url  # the filters stay on
    assert seen == list(reversed(made))


def test_the_csv_for_the_blk_unit_is_audited_without_personal_data(app, coordinator, interested):
    interested(training=True, trade='=HYPERLINK("http://x")')
    interested(job_fair=True, occupation="lainnya", occupation_other="Tukang cukur")
    interested(training=True, status="rejected")
    response = coordinator.get("/review/blk.csv?interest=&kecamatan=33.74.02")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith(BOM)
    lines = list(csv.reader(io.StringIO(text[len(BOM) :])))
    assert lines[0] == [
        "NAMA",
        "REFERENSI",
        "NO_HP",
        "KECAMATAN",
        "PEKERJAAN",
        "KEAHLIAN_DIMINATI",
        "MINAT_PELATIHAN",
        "MINAT_BURSA_KERJA",
        "TANGGAL_DITERIMA",
    ]
    assert len(lines) == 3
    newest, oldest = lines[1], lines[2]
    assert newest[2] == "081234567890" and newest[3] == "Semarang Utara"
    assert newest[4] == "Lainnya: Tukang cukur" and newest[6:8] == ["Tidak", "Ya"]
    assert oldest[5] == '\'=HYPERLINK("http://x")'  # never run as a formula
    assert oldest[6:] == ["Ya", "Tidak", "02-11-2026"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="blk.download"))
        assert event.actor.username == coordinator.username
        assert event.details == {"kecamatan": "33.74.02", "rows": 2}


def test_volunteers_may_not_see_the_list(app, client, make_user):
    login(client, make_user("volunteer"))
    assert client.get("/review/blk").status_code == 403
    assert client.get("/review/blk.csv").status_code == 403


def test_the_queue_links_to_the_list(coordinator):
    page = coordinator.get("/review").get_data(as_text=True)
    assert 'href="/review/blk"' in page
