"""A coordinator uploads a phone's saved outbox: same rules as sync, nothing duplicated."""

from __future__ import annotations

import io
import json
import uuid

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import PASSWORD, csrf_token, login, valid_registration
from webapp.extensions import db
from webapp.models import AuditEvent, Registration, User


def saved_outbox(username, items, **changes):
    data = {
        "format": "pijar-semar-outbox",
        "version": 1,
        "exported_at": "2026-11-20T10:00:00+07:00",
        "username": username,
        "items": items,
        **changes,
    }
    return json.dumps(data).encode()


def item(**changes):
    return {
        "client_id": str(uuid.uuid4()),
        "form_version": 1,
        "captured_at": "2026-11-18T08:00:00+07:00",
        "payload": valid_registration(**changes),
    }


def upload(client, content, name="antrean.json"):
    # Encoded here, in memory: the test client would spool a large body to a temporary
    # file that nobody closes.
    boundary, body = encode_multipart(
        {
            "csrf_token": csrf_token(client, "/review/upload"),
            "outbox_file": FileStorage(io.BytesIO(content), name),
        }
    )
    return client.post(
        "/review/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Registration))


def test_uploading_twice_stores_each_registration_once(app, client, make_user):
    volunteer = make_user("volunteer")
    login(client, make_user("coordinator"))
    items = [
        item(),
        item(nik="3374015507850003", full_name="Sri Wahyuni", sex="P", birth_date="1985-07-15"),
        item(nik="123"),
    ]
    first = upload(client, saved_outbox(volunteer, items))
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "Baru diterima: 2" in page
    assert "Tidak valid: 1" in page
    assert "NIK: NIK harus 16 angka." in page
    again = upload(client, saved_outbox(volunteer, items)).get_data(as_text=True)
    assert "Baru diterima: 0" in again
    assert "Sudah diterima sebelumnya: 2" in again
    assert count(app) == 2
    with app.app_context():
        stored = db.session.scalars(select(Registration)).all()
        assert {r.collected_by.username for r in stored} == {volunteer}
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "outbox_file.uploaded")
        ).all()
        assert len(events) == 2
        assert "3374011205900012" not in str([e.details for e in events])


def test_the_phone_later_sending_the_same_records_gets_already_received(app, client, make_user):
    volunteer = make_user("volunteer")
    sent = item()
    coordinator = app.test_client()
    login(coordinator, make_user("coordinator"))
    upload(coordinator, saved_outbox(volunteer, [sent]))
    token = client.post("/api/v1/devices", json={"username": volunteer, "password": PASSWORD}).json[
        "token"
    ]
    result = client.post(
        "/api/v1/sync", json={"items": [sent]}, headers={"Authorization": f"Bearer {token}"}
    ).json["results"][0]
    assert result["status"] == "already_received"
    assert count(app) == 1


def test_bad_files_get_a_clear_message_and_change_nothing(app, client, make_user):
    volunteer = make_user("volunteer")
    login(client, make_user("coordinator"))
    cases = [
        (b"\x89PNG\r\n\x1a\n binary", "bukan simpanan antrean"),
        (b'{"some": "json"}', "bukan simpanan antrean"),
        (saved_outbox(volunteer, [item()], version=9), "Versi berkas tidak dikenal"),
        (saved_outbox(volunteer, "nope"), "Berkas tidak lengkap"),
        (saved_outbox("nobody-known", [item()]), "Relawan nobody-known tidak dikenal"),
    ]
    for content, message in cases:
        response = upload(client, content)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    missing = client.post(
        "/review/upload", data={"csrf_token": csrf_token(client, "/review/upload")}
    )
    assert missing.status_code == 422
    assert count(app) == 0


def test_volunteers_cannot_upload(client, volunteer):
    assert client.get("/review/upload").status_code == 403


def test_only_an_active_volunteers_file_is_taken(app, client, make_user):
    coordinator = make_user("coordinator")
    admin = make_user("admin")
    gone = make_user("volunteer")
    with app.app_context():
        db.session.scalar(select(User).filter_by(username=gone)).active = False
        db.session.commit()
    login(client, coordinator)
    for named in (coordinator, admin, gone):
        response = upload(client, saved_outbox(named, [item()]))
        assert response.status_code == 422
        assert "bukan relawan aktif" in response.get_data(as_text=True)
    assert count(app) == 0


def test_a_file_adds_records_in_the_volunteers_name_received_by_the_coordinator(
    app, client, make_user
):
    volunteer = make_user("volunteer")
    coordinator = make_user("coordinator")
    login(client, coordinator)
    assert upload(client, saved_outbox(volunteer, [item()])).status_code == 200
    with app.app_context():
        record = db.session.scalar(select(Registration))
        assert record.collected_by.username == volunteer
        received = record.events[0]
        assert received.kind == "received"
        assert received.actor.username == coordinator


def test_a_file_never_changes_a_record(app, client, make_user):
    volunteer = make_user("volunteer")
    login(client, make_user("coordinator"))
    first = item()
    upload(client, saved_outbox(volunteer, [first]))
    changed = {**first, "payload": valid_registration(full_name="Orang Lain")}
    page = upload(client, saved_outbox(volunteer, [changed])).get_data(as_text=True)
    assert "perubahan tidak diterima lewat berkas" in page
    with app.app_context():
        record = db.session.scalar(select(Registration))
        assert record.full_name == "Budi Santoso"
        assert [e.kind for e in record.events] == ["received"]


def test_the_stated_size_limit_is_the_one_that_applies(app, client, make_user):
    volunteer = make_user("volunteer")
    login(client, make_user("coordinator"))
    padding = "x" * (3 * 1024 * 1024)  # over the app's 2 MB, under the upload's 10 MB
    response = upload(client, saved_outbox(volunteer, [item()], note=padding))
    assert response.status_code == 200
    assert count(app) == 1
    too_big = saved_outbox(volunteer, [item()], note="x" * (11 * 1024 * 1024))
    response = upload(client, too_big)
    assert response.status_code == 413
    assert "Berkas lebih dari 10 MB" in response.get_data(as_text=True)
    assert count(app) == 1
