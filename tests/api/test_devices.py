"""POST /api/v1/devices: a phone trades the volunteer's credentials for a sync token."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import PASSWORD, make_app
from webapp.domain.devices import hash_token
from webapp.extensions import db
from webapp.models import AuditEvent, Device, User, utcnow


def test_credentials_give_a_token_stored_only_as_a_hash(app, client, make_user):
    username = make_user("volunteer")
    response = client.post(
        "/api/v1/devices",
        json={"username": username, "password": PASSWORD, "label": "Samsung A05 Ani"},
    )
    assert response.status_code == 201
    token = response.json["token"]
    assert len(token) >= 40
    with app.app_context():
        device = db.session.get(Device, response.json["device_id"])
        assert device.label == "Samsung A05 Ani"
        assert device.user.username == username
        assert device.token_hash == hash_token(token)
        assert token not in device.token_hash
        assert device.expires_at > device.created_at


def test_wrong_password_unknown_user_and_inactive_user_get_401(app, client, make_user):
    username = make_user("volunteer")
    inactive = make_user("volunteer")
    with app.app_context():
        db.session.scalar(select(User).filter_by(username=inactive)).active = False
        db.session.commit()
    for body in (
        {"username": username, "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": inactive, "password": "wrong"},  # says nothing of the account
    ):
        response = client.post("/api/v1/devices", json=body)
        assert response.status_code == 401
        assert response.json["message"] == "Nama pengguna atau kata sandi salah."
    with app.app_context():
        assert db.session.scalars(select(Device)).all() == []


def test_malformed_requests_get_400(client):
    for body in ("not json", '["list"]', '{"username": 1, "password": 2}'):
        response = client.post(
            "/api/v1/devices", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json["error"] == "bad_request"


def test_device_login_is_rate_limited_like_the_login_page(migrated_database):
    client = make_app(migrated_database, LOGIN_RATE_LIMIT="2 per minute").test_client()
    statuses = [
        client.post("/api/v1/devices", json={"username": "x", "password": "y"}).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]


# A phone that logs in again stays the same device ---------------------------------------


def new_device(client, username, **extra):
    body = {"username": username, "password": PASSWORD, "label": "Samsung A05 Ani", **extra}
    response = client.post("/api/v1/devices", json=body)
    assert response.status_code == 201
    return response.json


def sync_status(client, token):
    response = client.post(
        "/api/v1/sync", json={"items": []}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def test_logging_in_again_renews_the_same_device(app, client, make_user):
    username = make_user("volunteer")
    first = new_device(client, username)
    assert first["renewed"] is False
    with app.app_context():
        device = db.session.get(Device, first["device_id"])
        device.pending_count, device.needs_fix_count, device.discarded_count = 3, 1, 2
        device.expires_at = utcnow() + timedelta(hours=1)
        db.session.commit()

    again = new_device(client, username, device_id=first["device_id"], label="Another label")
    assert again["device_id"] == first["device_id"]
    assert again["renewed"] is True
    assert again["token"] != first["token"]
    assert sync_status(client, first["token"]) == 401  # the old token is void
    assert sync_status(client, again["token"]) == 200
    with app.app_context():
        devices = db.session.scalars(select(Device)).all()
        assert len(devices) == 1
        device = devices[0]
        assert device.token_hash == hash_token(again["token"])
        assert device.label == "Samsung A05 Ani"  # kept, as the admin knows it
        assert (device.pending_count, device.needs_fix_count, device.discarded_count) == (3, 1, 2)
        assert device.expires_at > utcnow() + timedelta(days=80)
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-1] == "device.renewed"


def test_an_expired_device_is_renewed(app, client, make_user):
    username = make_user("volunteer")
    first = new_device(client, username)
    with app.app_context():
        db.session.get(Device, first["device_id"]).expires_at = utcnow() - timedelta(days=1)
        db.session.commit()
    assert sync_status(client, first["token"]) == 401
    again = new_device(client, username, device_id=first["device_id"])
    assert (again["device_id"], again["renewed"]) == (first["device_id"], True)
    assert sync_status(client, again["token"]) == 200


def test_a_revoked_device_is_never_revived(app, client, make_user):
    username = make_user("volunteer")
    first = new_device(client, username)
    with app.app_context():
        db.session.get(Device, first["device_id"]).revoked_at = utcnow()
        db.session.commit()
    again = new_device(client, username, device_id=first["device_id"])
    assert again["device_id"] != first["device_id"]
    assert again["renewed"] is False
    assert sync_status(client, first["token"]) == 401
    assert sync_status(client, again["token"]) == 200
    with app.app_context():
        assert db.session.get(Device, first["device_id"]).revoked_at is not None


def test_another_volunteers_device_or_an_odd_id_makes_a_new_device(app, client, make_user):
    ani, budi = make_user("volunteer"), make_user("volunteer")
    anis = new_device(client, ani)
    for odd in (anis["device_id"], 0, "1", True, 10**30, [1]):  # within the rate limit
        made = new_device(client, budi, device_id=odd)
        assert made["renewed"] is False
        assert made["device_id"] != anis["device_id"]
    assert sync_status(client, anis["token"]) == 200  # Ani's phone is untouched
    with app.app_context():
        assert db.session.get(Device, anis["device_id"]).token_hash == hash_token(anis["token"])


def test_a_deactivated_volunteer_with_the_right_password_is_told_so(app, client, make_user):
    username = make_user("volunteer")
    device = new_device(client, username)
    with app.app_context():
        db.session.scalar(select(User).filter_by(username=username)).active = False
        db.session.commit()
    response = client.post(
        "/api/v1/devices",
        json={"username": username, "password": PASSWORD, "device_id": device["device_id"]},
    )
    assert response.status_code == 401
    assert response.json == {
        "error": "deactivated",
        "message": "Akun Anda sudah dinonaktifkan. Hubungi koordinator.",
    }
    with app.app_context():
        assert db.session.get(Device, device["device_id"]).token_hash == hash_token(device["token"])
