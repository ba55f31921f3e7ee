"""POST /api/v1/devices: a phone trades the volunteer's credentials for a sync token."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD, make_app
from webapp.domain.devices import hash_token
from webapp.extensions import db
from webapp.models import Device, User


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
        {"username": inactive, "password": PASSWORD},
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
