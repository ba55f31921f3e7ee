"""Funding allocation, enrollment batches and their downloads, as a coordinator uses them."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select, update

from tests.conftest import PASSWORD, csrf_token
from webapp.clock import today_in_semarang
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Drive,
    EnrollmentBatch,
    FundingTarget,
    Registration,
    RegistrationEvent,
)

YEAR = today_in_semarang().year


def nik_for(n: int) -> str:
    """A structurally valid Semarang NIK for a man born 12-05-1990, serial ``n``."""
    return f"3374011205900{n:03d}"


NAMES = ("Budi", "Slamet", "Wati", "Joko", "Rini", "Agus", "Sri", "Eko", "Tini", "Dwi")


def people(make_registration, volunteer_name, count: int, **changes) -> list[int]:
    return [
        make_registration(
            volunteer_name, nik=nik_for(n + 1), full_name=f"{NAMES[n]} Santoso", **changes
        )
        for n in range(count)
    ]


def approve(client, registration_id: int):
    page = client.get(f"/review/{registration_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return client.post(
        f"/review/{registration_id}/decide",
        data={
            "csrf_token": csrf_token(client, f"/review/{registration_id}"),
            "action": "approve",
            "version": version,
        },
    )


def set_quota(source: str, workers: int) -> None:
    db.session.execute(
        update(FundingTarget)
        .where(FundingTarget.year == YEAR, FundingTarget.funding_source_code == source)
        .values(workers=workers)
    )
    db.session.commit()


def funded(ids: list[int], source: str = "APBD") -> None:
    """Approved, paid by ``source`` this year (as approval leaves them)."""
    db.session.execute(
        update(Registration)
        .where(Registration.id.in_(ids))
        .values(status="approved", funding_source_code=source, funding_year=YEAR)
    )
    db.session.commit()


def batch_form(client, **changes):
    form = {
        "csrf_token": csrf_token(client, "/enrollment/batches/new"),
        "funding_source_code": "APBD",
        "year": str(YEAR),
        "start_month": "12",
        "end_month": "12",
        "action": "create",
    }
    form.update(changes)
    return client.post("/enrollment/batches/new", data=form)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# ---------------------------------------------------------------------------
# Allocation


def test_approval_gives_apbd_and_the_home_page_counts_it(
    app, coordinator, make_registration, volunteer_name
):
    [one] = people(make_registration, volunteer_name, 1)
    assert approve(coordinator, one).status_code == 302
    with app.app_context():
        registration = db.session.get(Registration, one)
        assert (registration.funding_source_code, registration.funding_year) == ("APBD", YEAR)
    page = coordinator.get("/enrollment").get_data(as_text=True)
    row = re.search(r'<tr data-source="APBD">.*?</tr>', page, re.S).group(0)
    assert re.search(r"data-allocated>1\b", row)
    assert re.search(r"data-ready>1\b", row)
    assert "7.500" in row  # the quota from the programme settings


def test_a_drive_tied_to_dbhcht_fills_dbhcht_first(
    app, coordinator, make_registration, volunteer_name
):
    with app.app_context():
        drive = Drive(
            name="Sosialisasi buruh rokok",
            place="Balai Kelurahan",
            kelurahan_code="33.74.02.1008",
            funding_source_code="DBHCHT",
            starts_on=date(2026, 11, 1),
            ends_on=date(2026, 11, 30),
        )
        db.session.add(drive)
        db.session.commit()
        drive_id = drive.id
    [one] = people(make_registration, volunteer_name, 1, drive_id=str(drive_id))
    approve(coordinator, one)
    with app.app_context():
        assert db.session.get(Registration, one).funding_source_code == "DBHCHT"


def test_full_quotas_leave_the_registration_waiting_for_a_coordinator(
    app, coordinator, make_registration, volunteer_name
):
    first, second = people(make_registration, volunteer_name, 2)
    with app.app_context():
        set_quota("APBD", 1)
    approve(coordinator, first)
    response = approve(coordinator, second)
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "sudah penuh" in page
    with app.app_context():
        assert db.session.get(Registration, second).status == "approved"
        assert db.session.get(Registration, second).funding_source_code is None
    home = coordinator.get("/enrollment").get_data(as_text=True)
    assert 'data-unallocated="1"' in home
    listed = coordinator.get("/enrollment/allocation").get_data(as_text=True)
    assert f'data-registration="{second}"' in listed
    assert f'data-registration="{first}"' not in listed


def test_going_over_a_quota_needs_a_reason_and_is_audited(
    app, coordinator, make_registration, volunteer_name
):
    first, second = people(make_registration, volunteer_name, 2)
    with app.app_context():
        set_quota("APBD", 1)
    approve(coordinator, first)
    approve(coordinator, second)
    token = csrf_token(coordinator, "/enrollment/allocation")
    refused = coordinator.post(
        "/enrollment/allocation",
        data={"csrf_token": token, "registration_id": str(second), "funding_source_code": "APBD"},
    )
    assert refused.status_code == 422
    assert "Kuota APBD sudah penuh (1 dari 1)" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Registration, second).funding_source_code is None
    allowed = coordinator.post(
        "/enrollment/allocation",
        data={
            "csrf_token": token,
            "registration_id": str(second),
            "funding_source_code": "APBD",
            "reason": "Tambahan kuota APBD-P 2026",
        },
    )
    assert allowed.status_code == 302
    with app.app_context():
        registration = db.session.get(Registration, second)
        assert registration.funding_source_code == "APBD"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "funding.override"))
        assert event.details["reason"] == "Tambahan kuota APBD-P 2026"
        assert event.details["reference"] == registration.reference
        assert "melampaui kuota" in registration.events[-1].note
    page = coordinator.get("/enrollment").get_data(as_text=True)
    assert "lebih 1" in page  # APBD is shown over its quota


def test_choosing_another_source_on_the_registration_page(
    app, coordinator, make_registration, volunteer_name
):
    [one] = people(make_registration, volunteer_name, 1)
    approve(coordinator, one)
    page = coordinator.get(f"/review/{one}").get_data(as_text=True)
    assert "Ganti sumber dana" in page
    version = re.findall(r'name="version" value="(\d+)"', page)[-1]
    response = coordinator.post(
        f"/enrollment/registrations/{one}/funding",
        data={
            "csrf_token": csrf_token(coordinator, f"/review/{one}"),
            "funding_source_code": "DBHCHT",
            "version": version,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Registration, one).funding_source_code == "DBHCHT"
        assert "funding.allocate" in audit_actions()
    # The old version no longer applies: nothing changes, and the coordinator is told.
    stale = coordinator.post(
        f"/enrollment/registrations/{one}/funding",
        data={
            "csrf_token": csrf_token(coordinator, f"/review/{one}"),
            "funding_source_code": "APBD",
            "version": version,
        },
        follow_redirects=True,
    )
    assert "baru saja diubah" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Registration, one).funding_source_code == "DBHCHT"


def test_automatic_allocation_fills_what_has_room(
    app, coordinator, make_registration, volunteer_name
):
    ids = people(make_registration, volunteer_name, 3, status="approved")
    with app.app_context():
        set_quota("APBD", 2)
    response = coordinator.post(
        "/enrollment/allocation/auto",
        data={"csrf_token": csrf_token(coordinator, "/enrollment/allocation")},
        follow_redirects=True,
    )
    assert "2 pendaftaran mendapat sumber dana; 1 masih menunggu" in response.get_data(as_text=True)
    with app.app_context():
        sources = [db.session.get(Registration, i).funding_source_code for i in ids]
        assert sources == ["APBD", "APBD", None]


@pytest.mark.parametrize("bad", ["abc", "20266", "1999", "²026", "2026.5"])
def test_a_year_that_is_not_one_is_answered_as_on_the_dashboard(
    app, coordinator, make_registration, volunteer_name, bad
):
    for path in ("/enrollment", "/enrollment/allocation", "/dashboard"):
        response = coordinator.get(f"{path}?year={bad}")
        assert response.status_code == 400, path
        html = response.get_data(as_text=True)
        assert "tidak dikenal: tulis tahun dengan empat angka" in html, path
        assert f"Yang ditampilkan tahun {YEAR}" in html, path
    ids = people(make_registration, volunteer_name, 1, status="approved")
    response = coordinator.post(
        f"/enrollment/allocation/auto?year={bad}",
        data={"csrf_token": csrf_token(coordinator, "/enrollment/allocation")},
    )
    assert response.status_code == 400
    with app.app_context():  # nothing allocated into a year nobody asked for
        assert db.session.get(Registration, ids[0]).funding_source_code is None


def test_a_year_without_targets_is_shown_empty_not_replaced(coordinator):
    html = coordinator.get("/enrollment?year=2031").get_data(as_text=True)
    assert "Kepesertaan BPJS Ketenagakerjaan 2031" in html
    assert '<option value="2031" selected>' in html


# ---------------------------------------------------------------------------
# Batches


def test_a_batch_exports_the_approved_registrations_of_its_source(
    app, coordinator, make_registration, volunteer_name
):
    apbd = people(make_registration, volunteer_name, 3)
    other = make_registration(volunteer_name, nik=nik_for(50), full_name="Dibayar DBHCHT")
    waiting = make_registration(volunteer_name, nik=nik_for(51), full_name="Belum disetujui")
    with app.app_context():
        funded(apbd)
        funded([other], "DBHCHT")
    checked = batch_form(coordinator, action="check")
    assert 'data-matching="3"' in checked.get_data(as_text=True)
    response = batch_form(coordinator)
    assert response.status_code == 302
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "dibuat dengan 3 pendaftaran" in page
    with app.app_context():
        batch = db.session.scalar(select(EnrollmentBatch))
        assert (batch.status, batch.row_count, batch.funding_source_code) == ("ready", 3, "APBD")
        assert (batch.period_start, batch.period_end) == (date(YEAR, 12, 1), date(YEAR, 12, 31))
        statuses = {i: db.session.get(Registration, i).status for i in [*apbd, other, waiting]}
        assert statuses == {
            **dict.fromkeys(apbd, "exported"),
            other: "approved",
            waiting: "submitted",
        }
        # Each one's history says so, and that is what the volunteer's phone receives.
        events = db.session.scalars(
            select(RegistrationEvent.note).where(
                RegistrationEvent.registration_id.in_(apbd), RegistrationEvent.status == "exported"
            )
        ).all()
        assert events == [f"Masuk batch {batch.label}"] * 3
        assert "batch.create" in audit_actions()


def test_batch_filters_and_size_limit(app, coordinator, make_registration, volunteer_name):
    tanjung_mas = people(make_registration, volunteer_name, 3)  # Semarang Utara
    elsewhere = make_registration(
        volunteer_name,
        nik=nik_for(60),
        full_name="Di Semarang Tengah",
        kelurahan_code="33.74.01.1001",
    )
    with app.app_context():
        funded([*tanjung_mas, elsewhere])
    response = batch_form(coordinator, kecamatan_code="33.74.02", limit="2")
    assert response.status_code == 302
    with app.app_context():
        batch = db.session.scalar(select(EnrollmentBatch))
        assert batch.row_count == 2
        assert batch.filters == {"kecamatan_code": "33.74.02", "limit": 2}
        exported = db.session.scalars(
            select(Registration.id).where(Registration.batch_id == batch.id)
        ).all()
        assert sorted(exported) == sorted(tanjung_mas)[:2]  # the oldest first


def test_a_batch_with_nothing_to_take_is_refused(app, coordinator):
    response = batch_form(coordinator)
    assert response.status_code == 422
    assert "Tidak ada pendaftaran disetujui yang cocok" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EnrollmentBatch)) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"funding_source_code": ""}, "Wajib diisi."),
        ({"funding_source_code": "SPONSOR-X"}, "Pilih sumber dana dari daftar."),
        ({"start_month": "12", "end_month": "3"}, "Bulan akhir tidak boleh sebelum bulan awal."),
        ({"year": "1999"}, "Pilih tahun dari daftar."),
        ({"limit": "0"}, "Isi jumlah baris paling sedikit 1"),
        ({"kecamatan_code": "33.74.99"}, "Pilih kecamatan dari daftar."),
    ],
)
def test_a_bad_batch_form_says_what_is_wrong(
    app, coordinator, make_registration, volunteer_name, changes, message
):
    with app.app_context():
        funded(people(make_registration, volunteer_name, 1))
    response = batch_form(coordinator, **changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EnrollmentBatch)) == 0


def make_batch(app, coordinator, make_registration, volunteer_name, count: int = 3) -> int:
    ids = people(make_registration, volunteer_name, count)
    with app.app_context():
        funded(ids)
    response = batch_form(coordinator)
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_downloads_hold_every_row_and_are_audited(
    app, coordinator, make_registration, volunteer_name
):
    batch_id = make_batch(app, coordinator, make_registration, volunteer_name)
    response = coordinator.get(f"/enrollment/batches/{batch_id}/export.csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert "APBD" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["NIK"] for row in rows) == [nik_for(n) for n in (1, 2, 3)]
    xlsx = coordinator.get(f"/enrollment/batches/{batch_id}/export.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    assert len(values) == 4
    assert sorted(row[header.index("NIK")] for row in values[1:]) == [nik_for(n) for n in (1, 2, 3)]
    with app.app_context():
        downloads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "batch.download")
        ).all()
        assert [d.details["format"] for d in downloads] == ["csv", "xlsx"]
        assert not any(nik_for(1) in str(d.details) for d in downloads)
    assert coordinator.get(f"/enrollment/batches/{batch_id}/export.pdf").status_code == 404


def test_cancelling_a_batch_returns_its_registrations(
    app, coordinator, make_registration, volunteer_name
):
    batch_id = make_batch(app, coordinator, make_registration, volunteer_name)
    token = csrf_token(coordinator, f"/enrollment/batches/{batch_id}")
    no_reason = coordinator.post(
        f"/enrollment/batches/{batch_id}/cancel",
        data={"csrf_token": token, "reason": " "},
        follow_redirects=True,
    )
    assert "Tuliskan alasan pembatalan." in no_reason.get_data(as_text=True)
    response = coordinator.post(
        f"/enrollment/batches/{batch_id}/cancel",
        data={"csrf_token": token, "reason": "Data alamat perlu dicek ulang"},
        follow_redirects=True,
    )
    assert "3 pendaftaran kembali disetujui" in response.get_data(as_text=True)
    with app.app_context():
        batch = db.session.get(EnrollmentBatch, batch_id)
        assert batch.status == "cancelled"
        assert batch.cancel_reason == "Data alamat perlu dicek ulang"
        back = db.session.scalars(select(Registration)).all()
        assert {(r.status, r.batch_id, r.funding_source_code) for r in back} == {
            ("approved", None, "APBD")
        }
        assert "batch.cancel" in audit_actions()
    # A cancelled batch has nothing to download; its registrations can go in a new one.
    assert coordinator.get(f"/enrollment/batches/{batch_id}/export.csv").status_code == 404
    assert batch_form(coordinator).status_code == 302


def test_a_sent_batch_cannot_be_cancelled(app, coordinator, make_registration, volunteer_name):
    batch_id = make_batch(app, coordinator, make_registration, volunteer_name)
    token = csrf_token(coordinator, f"/enrollment/batches/{batch_id}")
    coordinator.post(f"/enrollment/batches/{batch_id}/sent", data={"csrf_token": token})
    response = coordinator.post(
        f"/enrollment/batches/{batch_id}/cancel",
        data={"csrf_token": token, "reason": "salah"},
        follow_redirects=True,
    )
    assert "tidak bisa dibatalkan" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EnrollmentBatch, batch_id).status == "sent"
        assert set(db.session.scalars(select(Registration.status))) == {"exported"}
        assert "batch.sent" in audit_actions()


def test_allocation_cannot_change_once_exported(
    app, coordinator, make_registration, volunteer_name
):
    batch_id = make_batch(app, coordinator, make_registration, volunteer_name, count=1)
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.batch_id == batch_id)
        )
        one, version = registration.id, registration.version
    response = coordinator.post(
        f"/enrollment/registrations/{one}/funding",
        data={
            "csrf_token": csrf_token(coordinator, f"/review/{one}"),
            "funding_source_code": "DBHCHT",
            "version": str(version),
        },
        follow_redirects=True,
    )
    assert "belum diekspor" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Registration, one).funding_source_code == "APBD"


def test_volunteers_cannot_reach_enrollment(app, client, volunteer, make_registration):
    assert client.get("/enrollment").status_code == 403
    assert client.get("/enrollment/batches/new").status_code == 403


def phone_of(app, volunteer_name) -> dict:
    """A device token for the volunteer's phone, and a cursor read to the end."""
    client = app.test_client()
    token = client.post(
        "/api/v1/devices", json={"username": volunteer_name, "password": PASSWORD}
    ).json["token"]
    return {"client": client, "token": token, "cursor": None}


def phone_hears(phone) -> dict[str, dict]:
    """What the phone is told at its next sync, by client id."""
    response = phone["client"].post(
        "/api/v1/sync",
        json={"items": [], "cursor": phone["cursor"]},
        headers={"Authorization": f"Bearer {phone['token']}"},
    )
    assert response.status_code == 200
    phone["cursor"] = response.json["cursor"]
    return {u["client_id"]: u for u in response.json["updates"]}


def test_marking_a_batch_sent_tells_the_volunteers_phone(
    app, coordinator, make_registration, volunteer_name
):
    batch_id = make_batch(app, coordinator, make_registration, volunteer_name)
    phone = phone_of(app, volunteer_name)
    heard = phone_hears(phone)
    assert len(heard) == 3 and {u["status"] for u in heard.values()} == {"in_batch"}
    token = csrf_token(coordinator, f"/enrollment/batches/{batch_id}")
    response = coordinator.post(f"/enrollment/batches/{batch_id}/sent", data={"csrf_token": token})
    assert response.status_code == 302
    heard = phone_hears(phone)
    with app.app_context():
        label = db.session.get(EnrollmentBatch, batch_id).label
        one = db.session.scalar(select(Registration.id).order_by(Registration.id).limit(1))
    assert len(heard) == 3
    assert {(u["status"], u["note"]) for u in heard.values()} == {
        ("sent_to_bpjs", f"Batch {label} dikirim ke BPJS")
    }
    assert phone_hears(phone) == {}
    history = coordinator.get(f"/review/{one}").get_data(as_text=True)
    assert f"Batch {label} dikirim ke BPJS" in history
    with app.app_context():
        [sent] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "batch.sent")
        ).all()
        assert sent.details["rows"] == 3
