"""Who may open what. A route added without a role check fails here."""

from __future__ import annotations

import pytest

from tests.conftest import login
from webapp.security import public, role_required

PAGES = {
    "/app": "volunteer",
    "/app/register": "volunteer",
    "/account/password": "volunteer",
    "/review": "coordinator",
    "/review/upload": "coordinator",
    "/admin": "admin",
}
ALLOWED = {
    "volunteer": {"volunteer"},
    "coordinator": {"volunteer", "coordinator"},
    "admin": {"volunteer", "coordinator", "admin"},
}


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_users_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("role", ["volunteer", "coordinator", "admin"])
def test_each_role_opens_only_its_pages(app, make_user, role):
    client = app.test_client()
    login(client, make_user(role))
    for path, needed in PAGES.items():
        expected = 200 if needed in ALLOWED[role] else 403
        assert client.get(path).status_code == expected, (role, path)


def test_forbidden_page_explains_in_indonesian(client, volunteer):
    response = client.get("/review")
    assert response.status_code == 403
    assert "Anda tidak punya akses ke halaman ini" in response.get_data(as_text=True)


def test_every_route_declares_who_may_use_it(app):
    """Each view is either role_required or deliberately public."""
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not hasattr(app.view_functions[rule.endpoint], "required_roles")
    ]
    assert undeclared == []


def test_the_markers_are_what_the_route_audit_reads():
    @public
    def a(): ...

    @role_required("admin")
    def b(): ...

    assert a.required_roles == ()
    assert b.required_roles == ("admin",)
