"""Logging in and out, the one-time admin password, and what the browser is told."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import CSRF_INPUT, PASSWORD, csrf_token, login, make_app
from webapp.extensions import db
from webapp.models import AuditEvent, User

WRONG = "Nama pengguna atau kata sandi salah."


def same_page(response, typed_username: str) -> str:
    """The page without what legitimately differs: the name typed and the timed form token."""
    body = response.get_data(as_text=True).replace(typed_username, "")
    return CSRF_INPUT.sub("", body)


def test_volunteer_logs_in_and_lands_on_the_volunteer_home(client, make_user):
    username = make_user("volunteer")
    response = login(client, username)
    assert response.status_code == 302
    assert client.get("/").location == "/app"
    assert client.get("/app").status_code == 200


def test_coordinator_and_admin_land_on_their_homes(app, make_user):
    for role, home in [("coordinator", "/review"), ("admin", "/admin")]:
        client = app.test_client()
        login(client, make_user(role))
        assert client.get("/").location == home


def test_username_is_not_case_sensitive(client, make_user):
    make_user("volunteer", username="Ani.Relawan")
    assert login(client, "ani.relawan").status_code == 302


def test_wrong_password_and_unknown_user_look_the_same(app, client, make_user):
    username = make_user("volunteer")
    wrong_password = login(client, username, "not-the-password")
    unknown_user = login(client, "nobody-here", "not-the-password")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert WRONG in response.get_data(as_text=True)
    assert same_page(wrong_password, username) == same_page(unknown_user, "nobody-here")
    assert client.get("/app").status_code == 302  # still not logged in
    with app.app_context():
        failures = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
        ).all()
        assert len(failures) == 2
        assert all("password" not in str(e.details) for e in failures)


DEACTIVATED = "Akun Anda sudah dinonaktifkan. Hubungi koordinator."


def test_deactivated_user_cannot_log_in_and_is_told_why(app, client, make_user):
    username = make_user("volunteer")
    with app.app_context():
        db.session.scalar(select(User).filter_by(username=username)).active = False
        db.session.commit()
    response = login(client, username)
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert DEACTIVATED in html and WRONG not in html
    assert client.get("/app").status_code == 302  # still not logged in
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "auth.login_deactivated" in actions and "auth.login" not in actions


def test_a_deactivated_account_is_not_revealed_without_its_password(app, client, make_user):
    username = make_user("volunteer")
    with app.app_context():
        db.session.scalar(select(User).filter_by(username=username)).active = False
        db.session.commit()
    response = login(client, username, "not-the-password")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert WRONG in html and DEACTIVATED not in html


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client, make_user):
    username = make_user("coordinator")
    assert client.get("/review").location == "/login?next=%2Freview"
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/review",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.location == "/review"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    for target in ("https://evil.example/x", "//evil.example/x", "javascript:alert(1)"):
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"username": username, "password": PASSWORD, "csrf_token": token},
        )
        assert response.location == "/", target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})


def test_logout_needs_a_post_and_ends_the_session(client, make_user):
    login(client, make_user("volunteer"))
    assert client.get("/logout").status_code == 200  # asks to confirm
    assert client.get("/app").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    assert response.location == "/login"
    assert client.get("/app").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    login(client, make_user("volunteer"))
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure


def test_session_cookie_is_secure_over_https(app, make_user):
    client = app.test_client()
    username = make_user("volunteer")
    token_page = client.get("/login", base_url="https://pijar.example")
    token = token_page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        base_url="https://pijar.example",
        headers={"Referer": "https://pijar.example/login"},  # browsers send it; CSRF checks it
        data={"username": username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "http" not in csp  # no third-party origin
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script(client, volunteer):
    for path in ("/login", "/app", "/app/register"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page
        assert page.count("<script") == page.count("<script src=")
        assert " on" + "click=" not in page


def test_login_is_rate_limited(migrated_database, make_user):
    app = make_app(migrated_database, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = csrf_token(client, "/login")
    statuses = [
        client.post(
            "/login", data={"username": "x", "password": "y", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert "Terlalu banyak percobaan" in client.post(
        "/login", data={"username": "x", "password": "y", "csrf_token": token}
    ).get_data(as_text=True)


def test_first_run_admin_must_choose_a_new_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ensure-admin"])
    assert result.exit_code == 0
    password = result.output.split("one-time password")[1].split()[0]
    assert runner.invoke(args=["ensure-admin"]).output == ""  # printed once only

    client = app.test_client()
    assert login(client, "admin", password).status_code == 302
    assert client.get("/admin").location == "/account/password"
    token = csrf_token(client, "/account/password")
    short = client.post(
        "/account/password",
        data={
            "current_password": password,
            "new_password": "short",
            "confirm_password": "short",
            "csrf_token": token,
        },
    )
    assert short.status_code == 422
    assert "paling sedikit 10 karakter" in short.get_data(as_text=True)
    new = "Kantor-Dinas-Semarang-1"
    done = client.post(
        "/account/password",
        data={
            "current_password": password,
            "new_password": new,
            "confirm_password": new,
            "csrf_token": token,
        },
    )
    assert done.location == "/"
    assert client.get("/admin").status_code == 200
    fresh = app.test_client()
    assert login(fresh, "admin", password).status_code == 401
    assert login(fresh, "admin", new).status_code == 302


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_errors_never_show_a_stack_trace(app, client, volunteer, monkeypatch):
    import webapp.field.views as field_views

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals 3374011205900012")

    monkeypatch.setattr(field_views, "load_form_choices", broken)
    response = client.get("/app/register")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert "secret internals" not in body
    assert "Maaf, terjadi kesalahan di server" in body
