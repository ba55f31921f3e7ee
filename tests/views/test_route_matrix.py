"""Every route, every role: a route added without a role check fails here.

The table below is written by hand on purpose: a new route is unknown to it and fails
``test_the_table_covers_every_route`` until someone decides who may use it.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token, login

# (rule, method) -> who may use it: public, device (bearer token), volunteer (any
# logged-in user), coordinator (and admin), admin.
WHO = {
    ("/", "GET"): "public",
    ("/login", "GET"): "public",
    ("/login", "POST"): "public",
    ("/logout", "GET"): "public",
    ("/logout", "POST"): "public",
    ("/language", "POST"): "public",
    ("/healthz", "GET"): "public",
    ("/offline", "GET"): "public",
    ("/sw.js", "GET"): "public",
    ("/manifest.webmanifest", "GET"): "public",
    ("/cek", "GET"): "public",
    ("/cek", "POST"): "public",
    ("/api/v1/devices", "POST"): "public",
    ("/api/v1/devices/current", "DELETE"): "device",
    ("/api/v1/sync", "POST"): "device",
    ("/account/password", "GET"): "volunteer",
    ("/account/password", "POST"): "volunteer",
    ("/app", "GET"): "volunteer",
    ("/app/outbox", "GET"): "volunteer",
    ("/app/register", "GET"): "volunteer",
    ("/app/register", "POST"): "volunteer",
    ("/app/receipt/<reference>", "GET"): "volunteer",
    ("/app/rules.json", "GET"): "volunteer",
    ("/review", "GET"): "coordinator",
    ("/review/approve", "POST"): "coordinator",
    ("/review/field", "GET"): "coordinator",
    ("/review/blk", "GET"): "coordinator",
    ("/review/blk.csv", "GET"): "coordinator",
    ("/review/upload", "GET"): "coordinator",
    ("/review/upload", "POST"): "coordinator",
    ("/review/<int:registration_id>", "GET"): "coordinator",
    ("/review/<int:registration_id>/decide", "POST"): "coordinator",
    ("/review/<int:registration_id>/duplicate", "POST"): "coordinator",
    ("/review/<int:registration_id>/not-duplicate", "POST"): "coordinator",
    ("/review/<int:registration_id>/nik", "POST"): "coordinator",
    ("/enrollment", "GET"): "coordinator",
    ("/enrollment/allocation", "GET"): "coordinator",
    ("/enrollment/allocation", "POST"): "coordinator",
    ("/enrollment/allocation/auto", "POST"): "coordinator",
    ("/enrollment/registrations/<int:registration_id>/funding", "POST"): "coordinator",
    ("/enrollment/batches/new", "GET"): "coordinator",
    ("/enrollment/batches/new", "POST"): "coordinator",
    ("/enrollment/batches/<int:batch_id>", "GET"): "coordinator",
    ("/enrollment/batches/<int:batch_id>/export.<fmt>", "GET"): "coordinator",
    ("/enrollment/batches/<int:batch_id>/sent", "POST"): "coordinator",
    ("/enrollment/batches/<int:batch_id>/cancel", "POST"): "coordinator",
    ("/enrollment/kpj", "GET"): "coordinator",
    ("/enrollment/kpj", "POST"): "coordinator",
    ("/dashboard", "GET"): "coordinator",
    ("/dashboard/<section>.csv", "GET"): "coordinator",
    ("/admin", "GET"): "admin",
    ("/admin/audit", "GET"): "admin",
    ("/admin/devices/<int:device_id>/revoke", "POST"): "admin",
    ("/admin/drives", "GET"): "admin",
    ("/admin/drives", "POST"): "admin",
    ("/admin/drives/<int:drive_id>/close", "POST"): "admin",
    ("/admin/settings", "GET"): "admin",
    ("/admin/settings", "POST"): "admin",
    ("/admin/settings/targets", "POST"): "admin",
    ("/admin/settings/targets/new", "POST"): "admin",
    ("/admin/settings/sponsors", "POST"): "admin",
    ("/admin/users", "GET"): "admin",
    ("/admin/users", "POST"): "admin",
    ("/admin/users/<int:user_id>/deactivate", "POST"): "admin",
    ("/admin/users/<int:user_id>/reactivate", "POST"): "admin",
    ("/admin/users/<int:user_id>/reset-password", "POST"): "admin",
}
RANK = {"volunteer": 1, "coordinator": 2, "admin": 3}
# Logging out ends the session the rest of the walk needs: it goes last.
LAST = {("/logout", "POST")}


def routes(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.rule, method))
    return found


def url_for_rule(rule: str) -> str:
    # Ids that match nothing: a forbidden role must get 403 before any lookup happens.
    return (
        rule.replace("<int:registration_id>", "999999")
        .replace("<int:device_id>", "999999")
        .replace("<int:drive_id>", "999999")
        .replace("<int:user_id>", "999999")
        .replace("<int:batch_id>", "999999")
        .replace("<fmt>", "csv")
        .replace("<reference>", "PS-0000-0000")
    )


def expected(who: str, role: str | None) -> str:
    if who == "public":
        return "allowed"
    if who == "device":
        return "401"
    if role is None:
        return "login"
    return "allowed" if RANK[role] >= RANK[who] else "403"


def outcome(response) -> str:
    if response.status_code == 401 and response.is_json:  # the API's "no usable token"
        return "401"
    if response.status_code == 403:
        return "403"
    if response.status_code == 302 and response.location.startswith("/login?next="):
        return "login"
    return "allowed"


def test_the_table_covers_every_route(app):
    assert routes(app) - WHO.keys() == set(), "decide who may use these routes"
    assert WHO.keys() - routes(app) == set(), "these routes are gone: drop them from the table"


@pytest.mark.parametrize("role", [None, "volunteer", "coordinator", "admin"])
def test_each_role_gets_what_the_table_says(app, make_user, role):
    client = app.test_client()
    if role:
        login(client, make_user(role))
    token = csrf_token(client, "/login" if role is None else "/account/password")
    wrong = []
    for rule, method in sorted(WHO, key=lambda key: (key in LAST, key)):
        response = client.open(url_for_rule(rule), method=method, data={"csrf_token": token})
        want, got = expected(WHO[rule, method], role), outcome(response)
        if want != got:
            wrong.append(f"{method} {rule}: expected {want}, got {got} ({response.status_code})")
    assert wrong == []
