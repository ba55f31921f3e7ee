"""Every cookie-authenticated POST needs the form token."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import login, valid_registration
from webapp.extensions import db
from webapp.models import Registration


def test_registration_without_token_is_refused_and_stores_nothing(app, client, volunteer):
    response = client.post("/app/register", data=valid_registration())
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_login_without_token_is_refused(client, make_user):
    username = make_user("volunteer")
    response = client.post("/login", data={"username": username, "password": "x"})
    assert response.status_code == 400
    assert "kedaluwarsa" in response.get_data(as_text=True)


def test_logout_without_token_keeps_the_session(client, make_user):
    login(client, make_user("volunteer"))
    assert client.post("/logout").status_code == 400
    assert client.get("/app").status_code == 200


def test_password_change_without_token_is_refused(client, make_user):
    login(client, make_user("volunteer"))
    response = client.post(
        "/account/password",
        data={"current_password": "x", "new_password": "y" * 12, "confirm_password": "y" * 12},
    )
    assert response.status_code == 400
