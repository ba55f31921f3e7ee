"""A coordinator's whole enrollment round, on each database: from registrations that
arrived from the field to workers enrolled at BPJS Ketenagakerjaan, with the volunteer's
phone told and the dashboard moving."""

from __future__ import annotations

import csv
import io
import re
import uuid

import openpyxl
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, login, valid_registration
from webapp.clock import today_in_semarang
from webapp.extensions import db
from webapp.models import AuditEvent, EnrollmentBatch, Registration

YEAR = today_in_semarang().year
WORKERS = [
    ("3374011205900011", "Budi Santoso"),
    ("3374015507850003", "Sri Wahyuni"),
    ("3374021203880001", "Joko Susilo"),
]


def sync(client, token: str, items: list[dict], cursor: str | None = None) -> dict:
    response = client.post(
        "/api/v1/sync",
        json={"device": {"app_version": "test"}, "cursor": cursor, "items": items},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def phone_items() -> list[dict]:
    items = []
    for nik, name in WORKERS:
        sex = "P" if int(nik[6:8]) > 40 else "L"
        day = int(nik[6:8]) - (40 if sex == "P" else 0)
        born = f"19{nik[10:12]}-{nik[8:10]}-{day:02d}"
        payload = valid_registration(nik=nik, full_name=name, sex=sex, birth_date=born)
        items.append(
            {
                "client_id": str(uuid.uuid4()),
                "form_version": 1,
                "captured_at": "2026-11-20T03:00:00Z",
                "payload": payload,
            }
        )
    return items


def dashboard_text(client) -> str:
    return client.get("/dashboard").get_data(as_text=True)


def test_from_the_field_to_enrolled(app, make_user):
    # A volunteer's phone sends three registrations.
    phone = app.test_client()
    volunteer = make_user("volunteer", full_name="Ani Relawan")
    login(phone, volunteer)
    device = phone.post(
        "/api/v1/devices",
        json={"username": volunteer, "password": PASSWORD},
    )
    token = device.get_json()["token"]
    first = sync(phone, token, phone_items())
    assert [r["status"] for r in first["results"]] == ["accepted"] * 3

    coordinator = app.test_client()
    login(coordinator, make_user("coordinator"))

    # Approve them all at once: each gets APBD, within its quota.
    with app.app_context():
        ids = [r.id for r in db.session.scalars(select(Registration).order_by(Registration.id))]
    response = coordinator.post(
        "/review/approve",
        data={"csrf_token": csrf_token(coordinator, "/review"), "selected": [str(i) for i in ids]},
    )
    assert response.status_code == 302
    home = coordinator.get("/enrollment").get_data(as_text=True)
    apbd = re.search(r'<tr data-source="APBD">.*?</tr>', home, re.S).group(0)
    assert re.search(r"data-ready>3\b", apbd)

    # A batch for APBD, downloaded as XLSX and CSV.
    response = coordinator.post(
        "/enrollment/batches/new",
        data={
            "csrf_token": csrf_token(coordinator, "/enrollment/batches/new"),
            "funding_source_code": "APBD",
            "year": str(YEAR),
            "start_month": "12",
            "end_month": "12",
            "action": "create",
        },
    )
    assert response.status_code == 302
    batch_url = response.headers["Location"]
    xlsx = coordinator.get(f"{batch_url}/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert sorted(row[header.index("NIK")] for row in body) == sorted(nik for nik, _ in WORKERS)
    exported = list(
        csv.DictReader(
            io.StringIO(coordinator.get(f"{batch_url}/export.csv").get_data(as_text=True)[1:])
        )
    )
    assert len(exported) == 3

    # BPJS sends KPJ numbers back for two of them; the coordinator imports the file.
    kpj_file = "NIK,KPJ,TGL_KEPESERTAAN\n" + "".join(
        f"{row['NIK']},{26120000001 + n},01-12-{YEAR}\n" for n, row in enumerate(exported[:2])
    )
    page = coordinator.get("/enrollment/kpj")
    assert page.status_code == 200
    response = coordinator.post(
        "/enrollment/kpj",
        data={
            "csrf_token": csrf_token(coordinator, "/enrollment/kpj"),
            "file": (io.BytesIO(kpj_file.encode()), "kpj-bpjs.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        statuses = sorted(db.session.scalars(select(Registration.status)))
        assert statuses == ["enrolled", "enrolled", "exported"]
        enrolled = db.session.scalars(
            select(Registration).where(Registration.status == "enrolled")
        ).all()
        assert {r.nik for r in enrolled} == {row["NIK"] for row in exported[:2]}
        assert all(r.kpj_number and r.coverage_starts_on for r in enrolled)
        batch = db.session.scalar(select(EnrollmentBatch))
        assert batch.status == "sent"  # BPJS evidently has it
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"batch.create", "batch.download", "kpj.import"} <= actions

    # The same file again changes nothing.
    again = coordinator.post(
        "/enrollment/kpj",
        data={
            "csrf_token": csrf_token(coordinator, "/enrollment/kpj"),
            "file": (io.BytesIO(kpj_file.encode()), "kpj-bpjs.csv"),
        },
        content_type="multipart/form-data",
    )
    assert again.status_code == 200
    with app.app_context():
        assert sorted(db.session.scalars(select(Registration.status))) == [
            "enrolled",
            "enrolled",
            "exported",
        ]

    # The volunteer's phone hears that two workers are enrolled, and that the third is
    # with BPJS (the KPJ numbers arriving marked the batch sent).
    updates = sync(phone, token, [], cursor=first.get("cursor"))["updates"]
    latest = {}
    for update in updates:
        latest[update["client_id"]] = update["status"]
    assert sorted(latest.values()) == ["enrolled", "enrolled", "sent_to_bpjs"]

    # The enrollment page and the dashboard move.
    home = coordinator.get("/enrollment").get_data(as_text=True)
    apbd = re.search(r'<tr data-source="APBD">.*?</tr>', home, re.S).group(0)
    assert re.search(r"data-enrolled>2\b", apbd)
    assert "2 / 7.500" in dashboard_text(coordinator)
