"""A coordinator uploads a phone's saved outbox: same rules as sync, nothing duplicated."""

from __future__ import annotations

import io
import json
import uuid

from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_token, login, valid_registration
from webapp.extensions import db
from webapp.models import AuditEvent, Registration


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
    return client.post(
        "/review/upload",
        data={
            "csrf_token": csrf_token(client, "/review/upload"),
            "outbox_file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
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
