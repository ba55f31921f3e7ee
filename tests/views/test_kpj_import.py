"""A coordinator records the KPJ numbers BPJS Ketenagakerjaan sent back, at /enrollment/kpj."""

from __future__ import annotations

import html
import io
import re
import time
import uuid
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import PASSWORD, csrf_token, user_id, valid_registration
from tests.unit.test_kpj_file import (
    TOO_LARGE,
    lying_styles,
    many_parts,
    row_gap,
    shared_strings_bomb,
    sheet_bomb,
)
from webapp.extensions import db
from webapp.models import AuditEvent, EnrollmentBatch, Registration, RegistrationEvent

BUDI = "3374011205900012"
SRI = "3374015507850003"
JOKO = "3374021203880001"
ANI = "3374024406920002"
PAGE = "/enrollment/kpj"
PROBLEM_ROW = re.compile(
    r'<tr data-line="(\d+)"><td[^>]*>\d+</td><td[^>]*>([^<]*)</td><td>([^<]*)</td>'
)


@pytest.fixture
def people(make_registration, volunteer_name):
    """Budi, Sri and Joko registered and approved; Ani still waiting for review."""
    return {
        "budi": make_registration(volunteer_name, status="approved"),
        "sri": make_registration(
            volunteer_name,
            nik=SRI,
            full_name="Sri Wahyuni",
            sex="P",
            birth_date="1985-07-15",
            status="approved",
        ),
        "joko": make_registration(
            volunteer_name,
            nik=JOKO,
            full_name="Joko Susilo",
            birth_date="1988-03-12",
            status="approved",
        ),
        "ani": make_registration(
            volunteer_name,
            nik=ANI,
            full_name="Ani Lestari",
            sex="P",
            birth_date="1992-06-04",
        ),
    }


def make_batch(app, *registration_ids, status="sent", by=None) -> int:
    """An APBD 2026 batch holding these registrations, now ``exported``."""
    with app.app_context():
        creator = by or db.session.scalar(select(func.min(Registration.collected_by_id)))
        batch = EnrollmentBatch(
            funding_source_code="APBD",
            year=2026,
            period_start=date(2026, 12, 1),
            period_end=date(2026, 12, 31),
            status=status,
            row_count=len(registration_ids),
            created_by_id=creator,
        )
        db.session.add(batch)
        db.session.flush()
        db.session.execute(
            update(Registration)
            .where(Registration.id.in_(registration_ids))
            .values(
                status="exported",
                batch_id=batch.id,
                funding_source_code="APBD",
                funding_year=2026,
            )
        )
        db.session.commit()
        return batch.id


def csv_file(*lines: str, header: str = "NIK;NO_KPJ;TGL_KEPESERTAAN") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def upload(client, content: bytes, name: str = "kpj-bpjs.csv"):
    # Encoded here, in memory: the test client would spool a large body to a temporary
    # file that nobody closes.
    boundary, body = encode_multipart(
        {
            "csrf_token": csrf_token(client, PAGE),
            "file": FileStorage(io.BytesIO(content), name),
        }
    )
    return client.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def registration(app, registration_id) -> Registration:
    with app.app_context():
        return db.session.get(Registration, registration_id)


def snapshot(app):
    """Everything an import may change."""
    with app.app_context():
        return (
            db.session.execute(
                select(
                    Registration.id,
                    Registration.status,
                    Registration.kpj_number,
                    Registration.coverage_starts_on,
                    Registration.enrolled_at,
                    Registration.version,
                ).order_by(Registration.id)
            ).all(),
            db.session.execute(
                select(EnrollmentBatch.id, EnrollmentBatch.status, EnrollmentBatch.sent_at)
            ).all(),
            db.session.scalar(select(func.count()).select_from(RegistrationEvent)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def problem_rows(response) -> dict[int, tuple[str, str]]:
    page = response.get_data(as_text=True)
    return {int(n): (nik, reason) for n, nik, reason in PROBLEM_ROW.findall(page)}


def test_the_page_explains_the_file_and_links_back(coordinator):
    response = coordinator.get(PAGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="file"' in page and "TGL_KEPESERTAAN" in page and "NO_KPJ" in page
    assert 'href="/enrollment"' in page


def test_exported_registrations_become_enrolled(app, coordinator, people):
    make_batch(app, people["budi"], people["sri"])
    response = upload(
        coordinator,
        csv_file(f"{BUDI};26012345678;01-12-2026", f"{SRI};2601-2345-679;2026-12-15"),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tercatat sekarang: 2" in page and "Bermasalah, tidak dicatat: 0" in page
    budi = registration(app, people["budi"])
    assert (budi.status, budi.kpj_number, budi.coverage_starts_on) == (
        "enrolled",
        "26012345678",
        date(2026, 12, 1),
    )
    assert budi.enrolled_at is not None
    sri = registration(app, people["sri"])
    assert (sri.kpj_number, sri.coverage_starts_on) == ("26012345679", date(2026, 12, 15))
    with app.app_context():
        event = db.session.scalars(
            select(RegistrationEvent)
            .where(RegistrationEvent.registration_id == people["budi"])
            .order_by(RegistrationEvent.id.desc())
        ).first()
        assert (event.kind, event.status) == ("status", "enrolled")
        assert event.note == "KPJ dicatat; kepesertaan mulai 01-12-2026"
        assert event.actor.username == coordinator.username


def test_the_volunteers_phone_hears_of_the_enrollment(app, client, coordinator, volunteer_name):
    token = client.post(
        "/api/v1/devices", json={"username": volunteer_name, "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    item = {
        "client_id": str(uuid.uuid4()),
        "form_version": 1,
        "captured_at": "2026-11-06T09:12:00+07:00",
        "payload": valid_registration(),
    }
    first = client.post("/api/v1/sync", json={"items": [item]}, headers=headers).json
    with app.app_context():
        registration_id = db.session.scalar(select(Registration.id))
    make_batch(app, registration_id)
    upload(coordinator, csv_file(f"{BUDI};26012345678;01-12-2026"))
    later = client.post(
        "/api/v1/sync", json={"items": [], "cursor": first["cursor"]}, headers=headers
    ).json
    assert [(u["client_id"], u["status"]) for u in later["updates"]] == [
        (item["client_id"], "enrolled")
    ]


def test_the_same_file_twice_changes_nothing_the_second_time(app, coordinator, people):
    make_batch(app, people["budi"], people["sri"])
    content = csv_file(f"{BUDI};26012345678;01-12-2026", f"{SRI};26012345679;01-12-2026")
    upload(coordinator, content)
    before = snapshot(app)
    again = upload(coordinator, content)
    page = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "Tercatat sekarang: 0" in page and "Sudah tercatat sebelumnya: 2" in page
    after = snapshot(app)
    assert after[:3] == before[:3]  # registrations, batches and their history unchanged
    assert after[3] == before[3] + 1  # only the second upload's audit event


def test_problem_lines_are_reported_by_line_and_the_others_recorded(
    app, coordinator, people, make_registration, volunteer_name
):
    make_batch(app, people["budi"], people["sri"], people["joko"])
    other = make_registration(
        volunteer_name,
        nik="3374016004910001",
        full_name="Rina Marlina",
        sex="P",
        birth_date="1991-04-20",
    )
    make_batch(app, other)
    upload(coordinator, csv_file("3374016004910001;26099999999;01-12-2026"))
    with app.app_context():
        other_ref = db.session.get(Registration, other).reference
    content = csv_file(
        f"{BUDI};26012345678;01-12-2026",  # 2 recorded
        "3374019999990001;26012345600;01-12-2026",  # 3 unknown NIK
        f"{ANI};26012345601;01-12-2026",  # 4 not exported yet
        f"{BUDI};26012345678;01-12-2026",  # 5 the same as line 2
        f"{SRI};26012345602;01-12-2026",  # 6 and 7 disagree
        f"{SRI};26012345603;01-12-2026",
        f"{JOKO};26099999999;01-12-2026",  # 8 KPJ already Rina's
        "3374011205900099;26012345604;31-13-2026",  # 9 bad date
        "33740112;26012345605;01-12-2026",  # 10 bad NIK
    )
    response = upload(coordinator, content)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tercatat sekarang: 1" in page
    assert "Baris ganda dilewati: 1" in page
    assert "Bermasalah, tidak dicatat: 7" in page
    rows = problem_rows(response)
    assert sorted(rows) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert rows[3] == ("3374 01•• •••• 0001", "NIK tidak ditemukan di data pendaftaran.")
    assert "belum dikirim ke BPJS (status: Menunggu tinjauan)" in rows[4][1]
    assert rows[5][1] == "Sama dengan baris 2; dilewati."
    assert "juga ada di baris 7 dengan isi berbeda" in rows[6][1]
    assert "juga ada di baris 6 dengan isi berbeda" in rows[7][1]
    assert rows[8][1] == f"Nomor KPJ ini sudah dipakai pendaftaran {other_ref}."
    assert "Tanggal kepesertaan tidak valid" in rows[9][1]
    assert rows[10] == ("••••••••", "NIK harus 16 angka.")
    for nik in (BUDI, SRI, JOKO, ANI):
        assert nik not in page
    assert registration(app, people["budi"]).status == "enrolled"
    for name in ("sri", "joko", "ani"):
        assert registration(app, people[name]).kpj_number is None


def test_a_kpj_recorded_differently_before_is_not_overwritten(app, coordinator, people):
    make_batch(app, people["budi"])
    upload(coordinator, csv_file(f"{BUDI};26012345678;01-12-2026"))
    response = upload(coordinator, csv_file(f"{BUDI};26012345999;01-12-2026"))
    assert problem_rows(response)[2][1] == (
        "NIK ini sudah tercatat dengan nomor KPJ lain; tidak diubah."
    )
    assert registration(app, people["budi"]).kpj_number == "26012345678"


def test_an_xlsx_file_is_read_too(app, coordinator, people):
    make_batch(app, people["budi"])
    workbook = openpyxl.Workbook()
    workbook.active.append(["No. KPJ", "NIK", "TMT"])
    workbook.active.append(["26012345678", BUDI, date(2026, 12, 1)])
    out = io.BytesIO()
    workbook.save(out)
    response = upload(coordinator, out.getvalue(), "kpj.xlsx")
    assert "Tercatat sekarang: 1" in response.get_data(as_text=True)
    assert registration(app, people["budi"]).kpj_number == "26012345678"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (csv_file(f"{BUDI};Budi", header="NIK;NAMA"), "tidak ada: NO_KPJ, TGL_KEPESERTAAN"),
        (b"", "Berkas kosong"),
        (csv_file(), "hanya berisi judul kolom"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "bukan lembar kerja"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "Excel lama (.xls)"),
    ],
    ids=["wrong-columns", "empty", "header-only", "png", "xls"],
)
def test_files_that_cannot_be_used_change_nothing(app, coordinator, people, content, message):
    make_batch(app, people["budi"])
    before = snapshot(app)
    response = upload(coordinator, content, "kiriman.xls")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (sheet_bomb, TOO_LARGE),
        (shared_strings_bomb, TOO_LARGE),
        (many_parts, TOO_LARGE),
        (lying_styles, "Berkas XLSX ini rusak"),
        (row_gap, "lebih dari 40.000 baris, termasuk baris kosong"),
        (lambda: b"NIK" * ((5 * 2**20 - 4096) // 3), "Baris 1 berisi lebih dari 65.536 karakter"),
    ],
    ids=["sheet-bomb", "shared-strings-bomb", "many-parts", "lying-size", "row-gap", "csv-line"],
)
def test_a_bomb_is_answered_at_once_and_changes_nothing(app, coordinator, people, make, message):
    make_batch(app, people["budi"])
    before = snapshot(app)
    content = make()
    started = time.perf_counter()
    response = upload(coordinator, content, "kpj.xlsx")
    assert time.perf_counter() - started < 5  # in practice, milliseconds
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert html.escape(message, quote=False) in page and 'name="file"' in page
    assert snapshot(app) == before


def test_a_post_without_a_file_asks_for_one(coordinator):
    response = coordinator.post(PAGE, data={"csrf_token": csrf_token(coordinator, PAGE)})
    assert response.status_code == 422
    assert "Pilih berkas CSV atau XLSX dulu." in response.get_data(as_text=True)


def test_a_file_too_large_gets_a_message_not_a_bare_error(app, coordinator, people):
    before = snapshot(app)
    big = csv_file(*[f"{BUDI};26012345678;01-12-2026"] * 200_000)
    assert len(big) > 5 * 1024 * 1024
    response = upload(coordinator, big)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Berkas lebih dari 5 MB" in page and 'name="file"' in page
    assert snapshot(app) == before


def test_a_file_larger_than_other_uploads_is_still_read(app, coordinator, people):
    """The page's own limit (5 MB) applies, not the 2 MB every other form gets."""
    make_batch(app, people["budi"])
    notes = [";;;" + "catatan " * 25] * 15_000  # lines without NIK, KPJ or date are skipped
    content = csv_file(f"{BUDI};26012345678;01-12-2026;", *notes, header="NIK;NO_KPJ;TMT;CATATAN")
    assert 2 * 1024 * 1024 < len(content) < 5 * 1024 * 1024
    response = upload(coordinator, content)
    assert response.status_code == 200
    assert "Tercatat sekarang: 1" in response.get_data(as_text=True)


def test_volunteers_may_not_import(client, volunteer):
    assert client.get(PAGE).status_code == 403
    response = client.post(
        PAGE,
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "file": (io.BytesIO(csv_file(f"{BUDI};26012345678;01-12-2026")), "kpj.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


def test_the_import_is_audited_without_niks(app, coordinator, people):
    make_batch(app, people["budi"])
    upload(
        coordinator,
        csv_file(f"{BUDI};26012345678;01-12-2026", "3374019999990001;26012345600;01-12-2026"),
        name=f"kpj {BUDI}.csv",
    )
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "kpj.import")
        ).all()
        assert event.actor_id == user_id(app, coordinator.username)
        assert event.details["enrolled"] == 1 and event.details["errors"] == 1
        assert event.details["file"].startswith("kpj ") and event.details["file"].endswith(".csv")
        assert BUDI not in str(event.details) and "3374019999990001" not in str(event.details)


def test_a_batch_still_ready_becomes_sent(app, coordinator, people):
    batch_id = make_batch(app, people["budi"], people["sri"], status="ready")
    response = upload(coordinator, csv_file(f"{BUDI};26012345678;01-12-2026"))
    page = response.get_data(as_text=True)
    assert re.search(r"Batch B-2026-\d{4} kini ditandai terkirim", page)
    with app.app_context():
        batch = db.session.get(EnrollmentBatch, batch_id)
        assert batch.status == "sent"
        assert batch.sent_at is not None
        assert batch.sent_by.username == coordinator.username
    assert registration(app, people["sri"]).status == "exported"  # still waiting for its KPJ


def test_registrations_of_a_cancelled_batch_are_not_enrolled(app, coordinator, people):
    make_batch(app, people["budi"], status="cancelled")
    response = upload(coordinator, csv_file(f"{BUDI};26012345678;01-12-2026"))
    assert "batch yang dibatalkan" in problem_rows(response)[2][1]
    assert registration(app, people["budi"]).status == "exported"


def test_a_batch_sent_by_the_import_tells_each_phone_where_its_record_stands(
    app, coordinator, people, volunteer_name
):
    batch_id = make_batch(app, people["budi"], people["sri"], status="ready")
    upload(coordinator, csv_file(f"{BUDI};26012345678;01-12-2026"))
    with app.app_context():
        label = db.session.get(EnrollmentBatch, batch_id).label
        notes = {
            registration_id: db.session.scalars(
                select(RegistrationEvent.note)
                .where(
                    RegistrationEvent.registration_id == registration_id,
                    RegistrationEvent.kind == "status",
                )
                .order_by(RegistrationEvent.id)
            ).all()
            for registration_id in (people["budi"], people["sri"])
        }
        client_ids = {
            name: db.session.get(Registration, people[name]).client_id for name in ("budi", "sri")
        }
    # Budi's last word is that he is enrolled; only Sri, still waiting, hears "sent".
    assert notes[people["budi"]] == ["KPJ dicatat; kepesertaan mulai 01-12-2026"]
    assert notes[people["sri"]] == [f"Batch {label} dikirim ke BPJS"]

    phone = app.test_client()
    token = phone.post(
        "/api/v1/devices", json={"username": volunteer_name, "password": PASSWORD}
    ).json["token"]
    updates = phone.post(
        "/api/v1/sync", json={"items": []}, headers={"Authorization": f"Bearer {token}"}
    ).json["updates"]
    heard = {u["client_id"]: u for u in updates}
    assert (heard[client_ids["budi"]]["status"], heard[client_ids["budi"]]["kpj"]) == (
        "enrolled",
        "26012345678",
    )
    assert heard[client_ids["sri"]]["status"] == "sent_to_bpjs"
    assert "kpj" not in heard[client_ids["sri"]]
