"""What coordinators and admins see on their home pages."""

from __future__ import annotations

from tests.conftest import csrf_token, login, valid_registration


def test_coordinator_sees_what_arrived_with_flags_in_words_and_nik_masked(
    app, client, volunteer, make_user
):
    token = csrf_token(client, "/app/register")
    client.post("/app/register", data={**valid_registration(), "csrf_token": token})
    client.post("/app/register", data={**valid_registration(), "csrf_token": token})
    coordinator = app.test_client()
    login(coordinator, make_user("coordinator"))
    page = coordinator.get("/review").get_data(as_text=True)
    assert page.count("Budi Santoso") == 2
    assert "Mungkin ganda: NIK sudah pernah didaftarkan" in page
    assert "3374 01•• •••• 0012" in page
    assert "3374011205900012" not in page


def test_admin_sees_accounts_targets_and_settings(app, make_user):
    client = app.test_client()
    admin = make_user("admin")
    make_user("volunteer", username="relawan.ani")
    login(client, admin)
    page = client.get("/admin").get_data(as_text=True)
    assert "relawan.ani" in page and "Relawan" in page
    assert "7.500" in page and "1.000" in page
    assert "Rp6.800" in page and "Rp1.000.000" in page


def test_admin_revokes_a_device_and_its_token_stops_working(app, client, make_user):
    from tests.conftest import PASSWORD

    volunteer = make_user("volunteer")
    token = client.post(
        "/api/v1/devices", json={"username": volunteer, "password": PASSWORD, "label": "HP Ani"}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/sync", json={"items": []}, headers=headers).status_code == 200

    admin = app.test_client()
    login(admin, make_user("admin"))
    page = admin.get("/admin").get_data(as_text=True)
    assert "HP Ani" in page
    device_id = int(page.split('data-device="')[1].split('"')[0])
    response = admin.post(
        f"/admin/devices/{device_id}/revoke", data={"csrf_token": csrf_token(admin, "/admin")}
    )
    assert response.status_code == 302
    assert "Dicabut" in admin.get("/admin").get_data(as_text=True)
    assert client.post("/api/v1/sync", json={"items": []}, headers=headers).status_code == 401


def test_a_volunteer_cannot_revoke_devices(client, volunteer):
    token = csrf_token(client, "/app/register")
    assert client.post("/admin/devices/1/revoke", data={"csrf_token": token}).status_code == 403
