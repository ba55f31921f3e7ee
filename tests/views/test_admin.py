"""The admin area: accounts, outreach drives, programme settings, targets and the audit log.

View tests assert what an admin would notice on the page and what the database holds
afterwards; the rules behind them are unit-tested at the end of the file.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_token, login
from webapp.admin import rules
from webapp.clock import WIB, semarang_days
from webapp.domain import parsing
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Device,
    Drive,
    FundingSource,
    FundingTarget,
    ProgrammeSetting,
    User,
)

ONE_TIME_PASSWORD = re.compile(r"data-one-time-password>([^<]+)<")
TANJUNG_MAS = "33.74.02.1008"  # a kelurahan in Semarang Utara


@pytest.fixture
def admin(app, make_user) -> FlaskClient:
    """An admin, logged in on a client of their own."""
    client = app.test_client()
    login(client, make_user("admin", username="admin.kota", full_name="Admin Kota"))
    return client


def post(client: FlaskClient, path: str, data: dict[str, str] | None = None, *, page: str):
    """Submit a form on ``page`` as a browser would, with the page's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def text(response) -> str:
    return response.get_data(as_text=True)


def events(app, prefix: str = "") -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.startswith(prefix))
            .where(~AuditEvent.action.startswith("auth."))
            .order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def get_user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge_all()
        return user


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def issue_token(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    response = client.post(
        "/api/v1/devices", json={"username": username, "password": password, "label": "HP Ani"}
    )
    assert response.status_code == 201
    return response.json["token"]


def sync_status(client: FlaskClient, token: str) -> int:
    return client.post(
        "/api/v1/sync", json={"items": []}, headers={"Authorization": f"Bearer {token}"}
    ).status_code


# ---------------------------------------------------------------------------
# The admin home links to each page


def test_admin_home_links_to_each_admin_page(admin):
    page = text(admin.get("/admin"))
    for path in ("/admin/users", "/admin/drives", "/admin/settings", "/admin/audit"):
        assert f'href="{path}"' in page


def test_admin_pages_speak_english_when_chosen(admin):
    admin.set_cookie("lang", "en")
    for path in ("/admin/users", "/admin/drives", "/admin/settings", "/admin/audit"):
        assert admin.get(path).status_code == 200
    page = text(admin.get("/admin/settings"))
    assert "Contribution per worker per month at the lowest income" in page
    assert "Rp16.800" in page
    response = post(admin, "/admin/settings", settings_form(max_age="10"), page="/admin/settings")
    assert "The highest age must be greater than the lowest age." in text(response)


# ---------------------------------------------------------------------------
# Accounts


def test_accounts_list_shows_name_role_state_and_last_login(app, admin, make_user):
    make_user("volunteer", username="relawan.ani", full_name="Ani Lestari")
    page = text(admin.get("/admin/users"))
    assert "relawan.ani" in page and "Ani Lestari" in page and "Relawan" in page
    assert "belum pernah" in page  # Ani never logged in
    assert "WIB" in page  # the admin's own login time


def test_creating_an_account_shows_a_one_time_password_once(app, admin):
    response = post(
        admin,
        "/admin/users",
        {"username": "relawan.budi", "full_name": "Budi Santoso", "role": "volunteer"},
        page="/admin/users",
    )
    assert response.status_code == 200
    password = ONE_TIME_PASSWORD.search(text(response)).group(1)
    assert "relawan.budi" in text(response)
    assert password not in text(admin.get("/admin/users"))

    user = get_user(app, "relawan.budi")
    assert user.full_name == "Budi Santoso" and user.role == "volunteer"
    assert user.must_change_password and user.active

    # The new volunteer signs in with it and must choose their own password first.
    phone = app.test_client()
    assert login(phone, "relawan.budi", password).status_code == 302
    assert phone.get("/app").location == "/account/password"

    [event] = events(app, "user.")
    assert event.action == "user.created"
    assert event.details == {"username": "relawan.budi", "role": "volunteer"}
    assert password not in str(event.details) and "Budi" not in str(event.details)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"username": "", "full_name": "Budi", "role": "volunteer"}, "username", "Wajib diisi."),
        (
            {"username": "budi santoso", "full_name": "Budi", "role": "volunteer"},
            "username",
            "Nama pengguna: huruf, angka",
        ),
        ({"username": "budi", "full_name": "  ", "role": "volunteer"}, "full_name", "Wajib"),
        ({"username": "budi", "full_name": "Budi", "role": "superuser"}, "role", "Pilih peran"),
        ({"username": "budi", "full_name": "B" * 101, "role": "admin"}, "full_name", "100"),
    ],
)
def test_bad_account_input_is_explained_next_to_the_field(app, admin, form, field, message):
    before = count(app, User)
    response = post(admin, "/admin/users", form, page="/admin/users")
    assert response.status_code == 422
    page = text(response)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', page)
    assert error, page
    assert message in error.group(1)
    assert count(app, User) == before
    assert events(app, "user.") == []
    assert f'value="{form["username"]}"' in page  # what was typed is kept


def test_a_taken_username_is_refused_whatever_its_case(app, admin, make_user):
    make_user("volunteer", username="relawan.ani")
    before = count(app, User)
    response = post(
        admin,
        "/admin/users",
        {"username": "Relawan.Ani", "full_name": "Ani Lain", "role": "volunteer"},
        page="/admin/users",
    )
    assert response.status_code == 422
    assert "sudah dipakai" in text(response)
    assert count(app, User) == before and events(app, "user.") == []


def test_deactivating_a_volunteer_logs_them_out_and_revokes_their_phones(app, admin, make_user):
    username = make_user("volunteer", username="relawan.ani")
    phone = app.test_client()
    token = issue_token(phone, username)
    login(phone, username)
    assert phone.get("/app").status_code == 200
    user_id = get_user(app, username).id

    response = post(admin, f"/admin/users/{user_id}/deactivate", page="/admin/users")
    assert response.status_code == 302
    listing = text(admin.get("/admin/users"))
    assert "dinonaktifkan; 1 perangkatnya dicabut" in listing
    assert "Aktifkan lagi" in listing

    assert not get_user(app, username).active
    assert phone.get("/app").status_code == 302  # sent back to the login page
    assert sync_status(phone, token) == 401
    assert login(app.test_client(), username).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(Device.revoked_at)) is not None
    [event] = events(app, "user.")
    assert event.action == "user.deactivated"
    assert event.details == {"username": "relawan.ani", "devices_revoked": 1}
    assert event.target_id == str(user_id)


def test_an_admin_cannot_deactivate_themself(app, admin):
    me = get_user(app, "admin.kota")
    assert "Nonaktifkan" not in text(admin.get("/admin/users"))  # no button for oneself
    response = post(admin, f"/admin/users/{me.id}/deactivate", page="/admin/users")
    assert response.status_code == 422
    assert "tidak bisa menonaktifkan akun Anda sendiri" in text(response)
    assert get_user(app, "admin.kota").active
    assert events(app, "user.") == []
    assert admin.get("/admin").status_code == 200


def test_a_reactivated_account_can_sign_in_again(app, admin, make_user):
    username = make_user("coordinator", username="koor.sari")
    user_id = get_user(app, username).id
    post(admin, f"/admin/users/{user_id}/deactivate", page="/admin/users")
    assert login(app.test_client(), username).status_code == 401

    response = post(admin, f"/admin/users/{user_id}/reactivate", page="/admin/users")
    assert response.status_code == 302
    assert "aktif lagi" in text(admin.get("/admin/users"))
    assert login(app.test_client(), username).status_code == 302
    assert [e.action for e in events(app, "user.")] == ["user.deactivated", "user.reactivated"]
    assert events(app, "user.reactivated")[0].details == {"username": "koor.sari"}


def test_resetting_a_password_shows_a_new_one_time_password_and_revokes_phones(
    app, admin, make_user
):
    username = make_user("volunteer", username="relawan.ani")
    phone = app.test_client()
    token = issue_token(phone, username)
    user_id = get_user(app, username).id

    response = post(admin, f"/admin/users/{user_id}/reset-password", page="/admin/users")
    assert response.status_code == 200
    password = ONE_TIME_PASSWORD.search(text(response)).group(1)
    assert password != PASSWORD

    assert login(app.test_client(), username).status_code == 401  # the old password
    fresh = app.test_client()
    assert login(fresh, username, password).status_code == 302
    assert fresh.get("/app").location == "/account/password"
    assert get_user(app, username).must_change_password
    assert sync_status(phone, token) == 401
    [event] = events(app, "user.")
    assert event.action == "user.password_reset"
    assert event.details == {"username": "relawan.ani", "devices_revoked": 1}
    assert password not in str(event.details)


def test_acting_on_an_unknown_account_is_not_found(admin):
    for action in ("deactivate", "reactivate", "reset-password"):
        response = post(admin, f"/admin/users/99999/{action}", page="/admin/users")
        assert response.status_code == 404


# ---------------------------------------------------------------------------
# Outreach drives


def good_drive(**changes: str) -> dict[str, str]:
    form = {
        "name": "Pendaftaran nelayan Tambak Lorok",
        "place": "TPI Tambak Lorok",
        "kelurahan_code": TANJUNG_MAS,
        "funding_source_code": "DBHCHT",
        "starts_on": "2026-11-06",
        "ends_on": "2026-11-07",
    }
    form.update(changes)
    return form


def test_a_new_drive_is_listed_and_offered_on_the_registration_form(app, admin, make_user):
    response = post(admin, "/admin/drives", good_drive(), page="/admin/drives")
    assert response.status_code == 302
    page = text(admin.get("/admin/drives"))
    assert "Pendaftaran nelayan Tambak Lorok" in page and "dibuat" in page
    assert "Tanjung Mas, Semarang Utara" in page
    assert "06-11-2026 – 07-11-2026" in page
    assert "Dana Bagi Hasil Cukai Hasil Tembakau" in page

    with app.app_context():
        drive = db.session.scalars(select(Drive)).one()
        assert drive.is_open and drive.funding_source_code == "DBHCHT"
        assert drive.created_by_id == get_user(app, "admin.kota").id
    volunteer = app.test_client()
    login(volunteer, make_user("volunteer"))
    assert "Pendaftaran nelayan Tambak Lorok" in text(volunteer.get("/app/register"))

    [event] = events(app, "drive.")
    assert event.action == "drive.created"
    assert event.details["name"] == "Pendaftaran nelayan Tambak Lorok"
    assert event.details["starts_on"] == "2026-11-06"


def test_a_drive_without_funding_source_on_a_single_day(app, admin):
    form = good_drive(funding_source_code="", ends_on="2026-11-06")
    assert post(admin, "/admin/drives", form, page="/admin/drives").status_code == 302
    with app.app_context():
        drive = db.session.scalars(select(Drive)).one()
        assert drive.funding_source_code is None and drive.starts_on == drive.ends_on


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": "2026-11-05"}, "ends_on", "tidak boleh sebelum tanggal mulai"),
        ({"starts_on": "2026-02-30"}, "starts_on", "Tanggal tidak valid"),
        ({"ends_on": ""}, "ends_on", "Wajib diisi."),
        ({"name": ""}, "name", "Wajib diisi."),
        ({"place": " "}, "place", "Wajib diisi."),
        ({"kelurahan_code": "33.22.01.2001"}, "kelurahan_code", "Kota Semarang"),
        ({"kelurahan_code": "33.74.02"}, "kelurahan_code", "Kota Semarang"),  # a kecamatan
        ({"funding_source_code": "SPONSOR"}, "funding_source_code", "Pilih sumber dana"),
    ],
)
def test_bad_drive_input_is_explained_and_no_drive_is_made(app, admin, changes, field, message):
    response = post(admin, "/admin/drives", good_drive(**changes), page="/admin/drives")
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]+)<', text(response))
    assert error and message in error.group(1)
    assert "Pendaftaran nelayan Tambak Lorok" in text(response) or field == "name"
    assert count(app, Drive) == 0 and events(app, "drive.") == []


def test_a_closed_drive_leaves_the_registration_form(app, admin, make_user):
    post(admin, "/admin/drives", good_drive(), page="/admin/drives")
    post(admin, "/admin/drives", good_drive(name="Pasar Johar pagi"), page="/admin/drives")
    with app.app_context():
        drive_id = db.session.scalar(select(Drive.id).where(Drive.name == "Pasar Johar pagi"))

    response = post(admin, f"/admin/drives/{drive_id}/close", page="/admin/drives")
    assert response.status_code == 302
    page = text(admin.get("/admin/drives"))
    assert "ditutup" in page and "Ditutup" in page
    with app.app_context():
        assert db.session.get(Drive, drive_id).closed_at is not None

    volunteer = app.test_client()
    login(volunteer, make_user("volunteer"))
    form = text(volunteer.get("/app/register"))
    assert "Pasar Johar pagi" not in form
    assert "Pendaftaran nelayan Tambak Lorok" in form

    closed = events(app, "drive.closed")
    assert [e.details for e in closed] == [{"name": "Pasar Johar pagi"}]
    # Closing again changes nothing and records nothing.
    post(admin, f"/admin/drives/{drive_id}/close", page="/admin/drives")
    assert len(events(app, "drive.closed")) == 1
    assert post(admin, "/admin/drives/99999/close", page="/admin/drives").status_code == 404


# ---------------------------------------------------------------------------
# Programme settings and targets


def settings_form(**changes: str) -> dict[str, str]:
    form = {
        "jkk_rate_bp": "100",
        "jkk_income_floor": "1000000",
        "jkm_monthly": "6800",
        "min_age": "18",
        "max_age": "65",
        "income_usual_min": "100000",
        "income_usual_max": "50000000",
    }
    form.update(changes)
    return form


def stored_settings(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(ProgrammeSetting.key, ProgrammeSetting.value)).all())


def test_settings_page_shows_values_and_the_contribution_at_the_floor(admin):
    page = text(admin.get("/admin/settings"))
    assert "Rp16.800" in page and "Rp1.000.000" in page
    assert 'value="6800"' in page and 'value="65"' in page
    assert 'value="7500"' in page and 'value="1000"' in page  # the 2026 targets


def test_changing_a_setting_updates_the_contribution_and_is_audited(app, admin):
    form = settings_form(jkm_monthly="7.000", jkk_income_floor="Rp1.200.000")
    response = post(admin, "/admin/settings", form, page="/admin/settings")
    assert response.status_code == 302
    page = text(admin.get("/admin/settings"))
    assert "2 pengaturan diubah" in page
    assert "Rp19.000" in page  # 1% of Rp1.200.000 + Rp7.000
    assert stored_settings(app)["jkm_monthly"] == 7000
    changed = events(app, "setting.")
    assert [e.details for e in changed] == [
        {"key": "jkk_income_floor", "old": 1_000_000, "new": 1_200_000},
        {"key": "jkm_monthly", "old": 6800, "new": 7000},
    ]
    assert {e.action for e in changed} == {"setting.changed"}

    # Saving the same values again records nothing.
    post(admin, "/admin/settings", form, page="/admin/settings")
    assert len(events(app, "setting.")) == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"jkm_monthly": "-6800"}, "jkm_monthly", "bilangan bulat 0 atau lebih"),
        ({"jkm_monthly": "6800,50"}, "jkm_monthly", "bilangan bulat"),
        ({"jkk_income_floor": "satu juta"}, "jkk_income_floor", "bilangan bulat"),
        ({"min_age": ""}, "min_age", "Wajib diisi."),
        ({"min_age": "65"}, "max_age", "lebih besar dari usia terendah"),
        ({"max_age": "17"}, "max_age", "lebih besar dari usia terendah"),
        ({"jkk_rate_bp": "10001"}, "jkk_rate_bp", "paling besar 10000"),
    ],
)
def test_bad_settings_are_explained_and_nothing_changes(app, admin, changes, field, message):
    before = stored_settings(app)
    # A good change sent with the bad one is not saved either.
    form = settings_form(**{"jkk_income_floor": "1.100.000", **changes})
    response = post(admin, "/admin/settings", form, page="/admin/settings")
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]+)<', text(response))
    assert error and message in error.group(1)
    assert stored_settings(app) == before
    assert events(app, "setting.") == []


def test_a_full_jkk_rate_is_allowed(app, admin):
    response = post(
        admin, "/admin/settings", settings_form(jkk_rate_bp="10000"), page="/admin/settings"
    )
    assert response.status_code == 302
    assert stored_settings(app)["jkk_rate_bp"] == 10_000


def target_fields(app) -> dict[str, tuple[int, str, int]]:
    with app.app_context():
        return {
            f"target-{t.id}": (t.year, t.funding_source_code, t.workers)
            for t in db.session.scalars(select(FundingTarget))
        }


def test_changing_a_yearly_target_is_audited(app, admin):
    fields = target_fields(app)
    apbd = next(f for f, (_, source, _) in fields.items() if source == "APBD")
    form = {field: str(workers) for field, (_, _, workers) in fields.items()}
    form[apbd] = "8.000"
    response = post(admin, "/admin/settings/targets", form, page="/admin/settings")
    assert response.status_code == 302
    assert "1 target diubah" in text(admin.get("/admin/settings"))
    assert target_fields(app)[apbd] == (2026, "APBD", 8000)
    [event] = events(app, "target.")
    assert event.action == "target.changed"
    assert event.details == {"year": 2026, "funding_source": "APBD", "old": 7500, "new": 8000}
    assert "8.000" in text(admin.get("/admin"))


@pytest.mark.parametrize("bad", ["-1", "", "banyak", "1,5"])
def test_a_bad_target_is_explained_and_nothing_changes(app, admin, bad):
    before = target_fields(app)
    form = {field: str(workers + 1) for field, (_, _, workers) in before.items()}
    first = sorted(form)[0]
    form[first] = bad
    response = post(admin, "/admin/settings/targets", form, page="/admin/settings")
    assert response.status_code == 422
    error = re.search(rf'id="{first}-error">([^<]+)<', text(response))
    assert error and ("bilangan bulat" in error.group(1) or "Wajib" in error.group(1))
    assert target_fields(app) == before
    assert events(app, "target.") == []


def test_adding_a_target_for_a_new_year(app, admin):
    assert 'value="2027"' in text(admin.get("/admin/settings"))  # the next year, suggested
    form = {"year": "2027", "funding_source_code": "APBD", "workers": "9000"}
    response = post(admin, "/admin/settings/targets/new", form, page="/admin/settings")
    assert response.status_code == 302
    assert (2027, "APBD", 9000) in target_fields(app).values()
    assert "9.000" in text(admin.get("/admin"))
    [event] = events(app, "target.")
    assert event.action == "target.created"
    assert event.details == {"year": 2027, "funding_source": "APBD", "new": 9000}


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"year": "2026", "funding_source_code": "APBD", "workers": "1"}, "year", "sudah ada"),
        ({"year": "26", "funding_source_code": "APBD", "workers": "1"}, "year", "antara 2020"),
        ({"year": "", "funding_source_code": "APBD", "workers": "1"}, "year", "Wajib"),
        (
            {"year": "2027", "funding_source_code": "", "workers": "1"},
            "funding_source_code",
            "Wajib",
        ),
        (
            {"year": "2027", "funding_source_code": "BANK", "workers": "1"},
            "funding_source_code",
            "Pilih sumber dana",
        ),
        ({"year": "2027", "funding_source_code": "APBD", "workers": "-3"}, "workers", "bulat"),
    ],
)
def test_a_bad_new_target_is_explained_and_not_added(app, admin, form, field, message):
    before = target_fields(app)
    response = post(admin, "/admin/settings/targets/new", form, page="/admin/settings")
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]+)<', text(response))
    assert error and message in error.group(1)
    assert target_fields(app) == before
    assert events(app, "target.") == []


def test_a_named_sponsor_becomes_a_funding_source_with_its_own_quota(app, admin):
    form = {"code": "csr-bankjateng", "name": "CSR Bank Jateng"}
    response = post(admin, "/admin/settings/sponsors", form, page="/admin/settings")
    assert response.status_code == 302
    with app.app_context():
        source = db.session.get(FundingSource, "CSR-BANKJATENG")
        assert (source.name, source.is_sponsor) == ("CSR Bank Jateng", True)
    [event] = events(app, "funding_source.")
    assert event.details == {"code": "CSR-BANKJATENG", "name": "CSR Bank Jateng"}
    target = {"year": "2026", "funding_source_code": "CSR-BANKJATENG", "workers": "250"}
    response = post(admin, "/admin/settings/targets/new", target, page="/admin/settings")
    assert response.status_code == 302
    quotas = text(admin.get("/enrollment?year=2026"))
    assert re.search(r'<tr data-source="CSR-BANKJATENG">\s*<th scope="row">CSR Bank Jateng', quotas)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"code": "APBD", "name": "Lagi"}, "code", "sudah dipakai"),
        ({"code": "CSR BANK", "name": "Bank"}, "code", "tanpa spasi"),
        ({"code": "", "name": "Bank"}, "code", "Wajib"),
        ({"code": "CSR-X", "name": " "}, "name", "Wajib"),
    ],
)
def test_a_bad_sponsor_is_explained_and_not_added(app, admin, form, field, message):
    response = post(admin, "/admin/settings/sponsors", form, page="/admin/settings")
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]+)<', text(response))
    assert error and message in error.group(1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FundingSource)) == 2


# ---------------------------------------------------------------------------
# The audit log


def add_events(app, rows: list[tuple[str, datetime, dict]], actor: str | None = None) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == actor)) if actor else None
        for action, at, details in rows:
            db.session.add(AuditEvent(action=action, at=at, actor=user, details=details))
        db.session.commit()


def listed_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-event="(\d+)"', page)]


def test_audit_log_lists_newest_first_with_details_as_key_value(app, admin, make_user):
    make_user("coordinator", username="koor.sari")
    now = datetime.now(UTC)
    add_events(
        app,
        [
            ("registration.approved", now - timedelta(hours=2), {"reference": "PS-AAAA-BBBB"}),
            ("export.created", now - timedelta(hours=1), {"batch": 3, "count": 120}),
        ],
        actor="koor.sari",
    )
    page = text(admin.get("/admin/audit"))
    assert page.index("export.created") < page.index("registration.approved")
    assert "batch: 3" in page and "count: 120" in page and "reference: PS-AAAA-BBBB" in page
    assert "koor.sari" in page


def test_audit_log_filters_by_action_actor_and_dates(app, admin, make_user):
    make_user("coordinator", username="koor.sari")
    day = datetime(2026, 11, 6, 0, 30, tzinfo=WIB)  # early morning in Semarang
    add_events(
        app,
        [
            ("user.created", day, {"n": 1}),
            ("user.deactivated", day + timedelta(days=1), {"n": 2}),
            ("drive.created", day + timedelta(days=2), {"n": 3}),
            ("users.export", day + timedelta(days=3), {"n": 4}),
        ],
        actor="koor.sari",
    )
    add_events(app, [("user.created", day + timedelta(days=4), {"n": 5})], actor="admin.kota")

    def shown(**args: str) -> set[str]:
        response = admin.get("/admin/audit", query_string=args)
        assert response.status_code == 200
        return set(re.findall(r"<li>n: (\d+)</li>", text(response)))

    assert shown() == {"1", "2", "3", "4", "5"}
    assert shown(action="user.created") == {"1", "5"}
    assert shown(action="user.") == {"1", "2", "5"}  # a prefix: not users.export
    assert shown(action="user*") == {"1", "2", "4", "5"}
    assert shown(actor="koor.sari") == {"1", "2", "3", "4"}
    assert shown(actor="KOOR.SARI", action="user.") == {"1", "2"}
    assert shown(actor="nobody") == set()
    assert shown(**{"from": "2026-11-06", "to": "2026-11-06"}) == {"1"}  # WIB days
    assert shown(**{"from": "2026-11-07", "to": "2026-11-08"}) == {"2", "3"}
    assert shown(**{"from": "2026-11-09"}) == {"4", "5"}
    assert shown(**{"to": "07-11-2026"}) == {"1", "2"}


@pytest.mark.parametrize(
    ("args", "field"),
    [({"from": "2026-13-01"}, "from"), ({"from": "2026-11-08", "to": "2026-11-07"}, "to")],
)
def test_a_bad_audit_date_is_explained(app, admin, args, field):
    response = admin.get("/admin/audit", query_string=args)
    assert response.status_code == 422
    assert f'id="{field}-error"' in text(response)


def test_audit_log_pages_by_cursor_showing_each_event_once(app, admin):
    start = datetime(2026, 11, 6, 9, 0, tzinfo=UTC)
    # 60 events at the same instant, then 60 more a second apart: ties must not be lost.
    rows = [("test.same", start, {"i": i}) for i in range(60)]
    rows += [("test.spread", start + timedelta(seconds=i + 1), {"i": i}) for i in range(60)]
    add_events(app, rows)

    seen: list[int] = []
    url = "/admin/audit?action=test."
    pages = 0
    while url:
        page = text(admin.get(url))
        assert "offset" not in url
        seen += listed_ids(page)
        pages += 1
        more = re.search(r'<tr class="more">.*?href="([^"]+)"', page, re.S)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert pages == 3
    with app.app_context():
        expected = db.session.scalars(
            select(AuditEvent.id)
            .where(AuditEvent.action.startswith("test."))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        ).all()
    assert seen == list(expected)


def test_audit_next_page_comes_as_rows_for_htmx(app, admin):
    start = datetime(2026, 11, 6, 9, 0, tzinfo=UTC)
    add_events(app, [("test.row", start + timedelta(seconds=i), {}) for i in range(55)])
    page = text(admin.get("/admin/audit?action=test.row"))
    next_url = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = admin.get(next_url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    fragment = text(response)
    assert "<html" not in fragment and fragment.lstrip().startswith("<tr")
    assert len(listed_ids(fragment)) == 5
    assert "ke yang terbaru" in text(admin.get(next_url))  # a plain reload is a full page


def test_a_tampered_audit_cursor_is_refused(admin):
    assert admin.get("/admin/audit?after=not-a-cursor").status_code == 400


def test_admin_changes_show_up_in_the_audit_log(app, admin):
    post(admin, "/admin/drives", good_drive(), page="/admin/drives")
    page = text(admin.get("/admin/audit?action=drive."))
    assert "drive.created" in page and "admin.kota" in page
    assert "name: Pendaftaran nelayan Tambak Lorok" in page


# ---------------------------------------------------------------------------
# Only admins


ADMIN_PAGES = ["/admin/users", "/admin/drives", "/admin/settings", "/admin/audit"]
ADMIN_POSTS = [
    "/admin/users",
    "/admin/users/1/deactivate",
    "/admin/users/1/reactivate",
    "/admin/users/1/reset-password",
    "/admin/drives",
    "/admin/drives/1/close",
    "/admin/settings",
    "/admin/settings/targets",
    "/admin/settings/targets/new",
]


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_only_admins_may_use_the_admin_pages(app, make_user, role):
    client = app.test_client()
    login(client, make_user(role))
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/app/register")
    before = stored_settings(app)
    for path in ADMIN_POSTS:
        data = {"csrf_token": token, **settings_form(jkm_monthly="1")}
        assert client.post(path, data=data).status_code == 403, path
    assert stored_settings(app) == before
    assert events(app) == []


def test_anonymous_users_are_sent_to_login(client):
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_admin_forms_without_a_csrf_token_are_refused(app, admin):
    response = admin.post("/admin/settings", data=settings_form(jkm_monthly="1"))
    assert response.status_code == 400
    assert stored_settings(app)["jkm_monthly"] == 6800


# ---------------------------------------------------------------------------
# The rules, on their own


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1000000", 1_000_000),
        ("1.000.000", 1_000_000),
        ("Rp1.000.000", 1_000_000),
        ("rp 6.800", 6_800),
        (" 0 ", 0),
        ("1 000", 1_000),
        ("-1", None),
        ("1,5", None),
        ("1.5", None),
        ("10.00", None),
        ("", None),
        (None, None),
        ("abc", None),
        ("9" * 20, None),
        ("١٢", None),  # digits of another script
    ],
)
def test_parse_whole_number(typed, expected):
    assert parsing.parse_whole_number(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-11-06", date(2026, 11, 6)),
        ("06-11-2026", date(2026, 11, 6)),
        ("6/11/2026", date(2026, 11, 6)),
        ("2026-02-30", None),
        ("31-04-2026", None),
        ("2026-1-6", None),
        ("", None),
        ("besok", None),
    ],
)
def test_parse_date(typed, expected):
    assert parsing.parse_date(typed) == expected


KEYS = ["jkk_rate_bp", "jkk_income_floor", "jkm_monthly", "min_age", "max_age"]


def test_check_settings_cleans_what_was_typed():
    values, errors = rules.check_settings(settings_form(jkm_monthly="Rp7.000"), KEYS)
    assert errors == {}
    assert values == {
        "jkk_rate_bp": 100,
        "jkk_income_floor": 1_000_000,
        "jkm_monthly": 7_000,
        "min_age": 18,
        "max_age": 65,
    }


def test_check_settings_reports_each_problem_on_its_field():
    typed = settings_form(jkk_rate_bp="20000", jkm_monthly="-1", min_age="70", max_age="")
    values, errors = rules.check_settings(typed, KEYS)
    assert set(errors) == {"jkk_rate_bp", "jkm_monthly", "max_age"}
    assert "jkm_monthly" not in values
    _, errors = rules.check_settings(settings_form(min_age="40", max_age="40"), KEYS)
    assert set(errors) == {"max_age"}


def test_changed_values_lists_only_real_changes():
    old = {"a": 1, "b": 2, "c": 3}
    assert rules.changed_values(old, {"a": 1, "b": 5, "c": 0, "z": 9}) == {
        "b": (2, 5),
        "c": (3, 0),
    }


def test_check_target_workers():
    values, errors = rules.check_target_workers({"target-1": "7.500", "target-2": "0"})
    assert values == {"target-1": 7_500, "target-2": 0} and errors == {}
    values, errors = rules.check_target_workers({"target-1": "-2", "target-2": " "})
    assert values == {} and set(errors) == {"target-1", "target-2"}


def test_check_new_target():
    sources = {"APBD", "DBHCHT"}
    existing = {(2026, "APBD")}
    found, errors = rules.check_new_target(
        {"year": "2026", "funding_source_code": "DBHCHT", "workers": "1.000"},
        funding_sources=sources,
        existing=existing,
    )
    assert errors == {} and found == rules.NewTarget(2026, "DBHCHT", 1_000)
    found, errors = rules.check_new_target(
        {"year": "2026", "funding_source_code": "APBD", "workers": "5"},
        funding_sources=sources,
        existing=existing,
    )
    assert found is None and "sudah ada" in errors["year"][0]
    found, errors = rules.check_new_target(
        {"year": "1999", "funding_source_code": "X", "workers": "x"},
        funding_sources=sources,
        existing=existing,
    )
    assert found is None and set(errors) == {"year", "funding_source_code", "workers"}


def test_check_new_drive():
    found, errors = rules.check_new_drive(
        good_drive(name="  Pasar   Johar  ", starts_on="06-11-2026", funding_source_code=""),
        kelurahan_codes={TANJUNG_MAS},
        funding_sources={"APBD"},
    )
    assert errors == {}
    assert found == rules.NewDrive(
        "Pasar Johar", "TPI Tambak Lorok", TANJUNG_MAS, None, date(2026, 11, 6), date(2026, 11, 7)
    )
    found, errors = rules.check_new_drive(
        good_drive(name="x" * 151, ends_on="2026-11-01", kelurahan_code="33.22.01.2001"),
        kelurahan_codes={TANJUNG_MAS},
        funding_sources={"APBD"},
    )
    assert found is None
    assert set(errors) == {"name", "ends_on", "kelurahan_code", "funding_source_code"}


def test_check_new_user():
    found, errors = rules.check_new_user(
        {"username": " relawan.ani ", "full_name": "Ani  Lestari", "role": "volunteer"},
        roles=["volunteer", "coordinator", "admin"],
    )
    assert errors == {} and found == rules.NewUser("relawan.ani", "Ani Lestari", "volunteer")
    _, errors = rules.check_new_user({}, roles=["volunteer"])
    assert set(errors) == {"username", "full_name", "role"}


def test_deactivation_problem():
    assert rules.deactivation_problem(actor_id=1, user_id=1)
    assert rules.deactivation_problem(actor_id=1, user_id=2) is None


def test_check_audit_filter():
    found, errors = rules.check_audit_filter(
        {"action": " user. ", "actor": "koor", "from": "2026-11-01", "to": "30-11-2026"}
    )
    assert errors == {}
    assert found.action_prefix == "user."
    assert found.query_args() == {
        "action": "user.",
        "actor": "koor",
        "from": "2026-11-01",
        "to": "2026-11-30",
    }
    assert rules.AuditFilter(action="user.created").action_prefix is None
    assert rules.AuditFilter(action="user*").action_prefix == "user"
    _, errors = rules.check_audit_filter({"from": "2026-11-30", "to": "2026-11-01"})
    assert set(errors) == {"to"}
    _, errors = rules.check_audit_filter({"from": "kemarin"})
    assert set(errors) == {"from"}


def test_day_bounds_cover_whole_days_in_semarang():
    start, end = semarang_days(date(2026, 11, 6), date(2026, 11, 7))
    assert start == datetime(2026, 11, 5, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 7, 17, 0, tzinfo=UTC)
    assert semarang_days(None, None) == (None, None)


def test_cursor_round_trip():
    at = datetime(2026, 11, 6, 9, 12, 0, 123456, tzinfo=UTC)
    cursor = rules.encode_cursor(at, 42)
    assert rules.decode_cursor(cursor) == (at, 42)
    for bad in ("", "abc", "1-2-3", "-1-2", "99999999999999999999-1"):
        assert rules.decode_cursor(bad) is None


def test_describe_details():
    assert rules.describe_details({"b": [1, 2], "a": None, "c": "x"}) == [
        ("a", "—"),
        ("b", "1, 2"),
        ("c", "x"),
    ]
    assert rules.describe_details(None) == []
