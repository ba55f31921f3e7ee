"""The sync API contract (DESIGN.md "Sync API"): every branch, on each database."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import PASSWORD, login, valid_registration
from webapp.domain.registrations import change_status
from webapp.extensions import db
from webapp.models import (
    Device,
    EnrollmentBatch,
    Registration,
    RegistrationEvent,
    User,
    utcnow,
)


@pytest.fixture
def phone(app, client, make_user):
    """A volunteer's phone holding a device token."""

    class Phone:
        username = make_user("volunteer")
        token = client.post(
            "/api/v1/devices",
            json={"username": username, "password": PASSWORD, "label": "Samsung A05 Ani"},
        ).json["token"]
        cursor = None

        def sync(self, items, device=None, token=None, **kwargs):
            body = {
                "device": device or {"app_version": "1", "pending": len(items), "needs_fix": 0},
                "cursor": self.cursor,
                "items": items,
            }
            response = client.post(
                "/api/v1/sync",
                json=body,
                headers={"Authorization": f"Bearer {token or self.token}"},
                **kwargs,
            )
            if response.status_code == 200:
                self.cursor = response.json["cursor"]
            return response

        def sync_raw(self, body):
            """POST a body exactly as given (str or bytes)."""
            return client.post(
                "/api/v1/sync",
                data=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                },
            )

    return Phone()


def item(client_id=None, **changes):
    return {
        "client_id": client_id or str(uuid.uuid4()),
        "form_version": 1,
        "captured_at": "2026-11-06T09:12:00+07:00",
        "payload": valid_registration(**changes),
    }


def registrations(app):
    with app.app_context():
        return db.session.scalars(select(Registration).order_by(Registration.id)).all()


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Registration))


def test_a_valid_item_is_accepted_with_a_reference(app, phone):
    sent = item()
    response = phone.sync([sent])
    assert response.status_code == 200
    [result] = response.json["results"]
    assert result["client_id"] == sent["client_id"]
    assert result["status"] == "accepted"
    assert result["ref"].startswith("PS-")
    assert result["flags"] == []
    with app.app_context():
        [stored] = db.session.scalars(select(Registration)).all()
        assert stored.reference == result["ref"]
        assert stored.client_id == sent["client_id"]
        assert stored.captured_at.isoformat() == "2026-11-06T02:12:00+00:00"
        assert stored.phone == "+6281234567890"
        assert stored.collected_by.username == phone.username
        assert stored.device.label == "Samsung A05 Ani"


def test_the_same_item_sent_again_is_already_received_and_stored_once(app, phone):
    sent = item()
    first = phone.sync([sent]).json["results"][0]
    for _ in range(3):  # the reply was lost; the phone resends
        again = phone.sync([sent]).json["results"][0]
        assert again["status"] == "already_received"
        assert again["ref"] == first["ref"]
    assert count(app) == 1


def test_the_same_item_twice_in_one_batch_is_stored_once(app, phone):
    sent = item()
    results = phone.sync([sent, sent]).json["results"]
    assert [r["status"] for r in results] == ["accepted", "already_received"]
    assert count(app) == 1


def test_new_content_for_a_submitted_record_is_an_edit(app, phone):
    sent = item()
    ref = phone.sync([sent]).json["results"][0]["ref"]
    edited = {**sent, "payload": valid_registration(full_name="Budi Santoso Putra")}
    result = phone.sync([edited]).json["results"][0]
    assert (result["status"], result["ref"]) == ("accepted", ref)
    with app.app_context():
        [stored] = db.session.scalars(select(Registration)).all()
        assert stored.full_name == "Budi Santoso Putra"
        assert [e.kind for e in stored.events] == ["received", "edited"]


def test_a_decided_record_cannot_be_changed_from_the_phone(app, phone, make_user):
    sent = item()
    phone.sync([sent])
    with app.app_context():
        record = db.session.scalar(select(Registration))
        coordinator = db.session.scalar(select(User).filter_by(username=make_user("coordinator")))
        change_status(record, "approved", actor=coordinator)
        db.session.commit()
    edited = {**sent, "payload": valid_registration(full_name="Someone Else")}
    result = phone.sync([edited]).json["results"][0]
    assert result["status"] == "conflict"
    assert "sudah diputuskan" in result["errors"]["client_id"][0]
    assert registrations(app)[0].full_name == "Budi Santoso"
    # The unchanged record is still simply already received.
    assert phone.sync([sent]).json["results"][0]["status"] == "already_received"


def test_another_volunteers_client_id_is_a_conflict(app, client, phone, make_user):
    sent = item()
    phone.sync([sent])
    other = make_user("volunteer")
    token = client.post("/api/v1/devices", json={"username": other, "password": PASSWORD}).json[
        "token"
    ]
    result = phone.sync(
        [{**sent, "payload": valid_registration(full_name="Orang Lain")}], token=token
    ).json["results"][0]
    assert result["status"] == "conflict"
    assert registrations(app)[0].full_name == "Budi Santoso"


def test_an_invalid_item_comes_back_with_messages_and_does_not_fail_the_batch(app, phone):
    good, bad = item(), item(nik="337401120590001", phone="12")
    results = phone.sync([bad, good]).json["results"]
    assert results[0]["status"] == "invalid"
    assert results[0]["errors"] == {
        "nik": ["NIK harus 16 angka."],
        "phone": ["Nomor HP harus nomor seluler Indonesia, mis. 0812 3456 7890."],
    }
    assert results[1]["status"] == "accepted"
    assert count(app) == 1


def test_messages_follow_the_language_cookie(client, phone):
    client.set_cookie("lang", "en")
    result = phone.sync([item(nik="12")]).json["results"][0]
    assert result["errors"]["nik"] == ["The NIK must be 16 digits."]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"form_version": 99}, "form_version"),
        ({"form_version": "1"}, "form_version"),
        ({"captured_at": "06-11-2026 09:12"}, "captured_at"),
        ({"captured_at": "2026-11-06T09:12:00"}, "captured_at"),  # no time zone
        ({"payload": None}, "payload"),
    ],
)
def test_a_malformed_envelope_is_invalid_item_not_a_failed_request(app, phone, changes, field):
    bad = {**item(), **changes}
    response = phone.sync([bad, item()])
    assert response.status_code == 200
    first, second = response.json["results"]
    assert first["status"] == "invalid"
    assert field in first["errors"]
    assert second["status"] == "accepted"


def test_an_item_that_is_not_an_object_is_invalid(phone):
    result = phone.sync(["nonsense"]).json["results"][0]
    assert result == {
        "client_id": None,
        "status": "invalid",
        "errors": {"item": ["Bukan objek JSON."]},
    }


def test_a_nik_already_registered_is_stored_and_flagged(app, phone):
    results = phone.sync([item(), item(full_name="Budi S")]).json["results"]
    assert [r["flags"] for r in results] == [[], ["possible_duplicate"]]
    results = phone.sync([item(full_name="Budi Lagi")]).json["results"]
    assert results[0]["flags"] == ["possible_duplicate"]
    assert count(app) == 3


def test_warnings_become_flags(phone):
    result = phone.sync([item(nik="3322011205900012", sex="P")]).json["results"][0]
    assert result["status"] == "accepted"
    assert result["flags"] == ["nik_birth_mismatch", "nik_outside_semarang"]


def test_heartbeat_is_stored_for_coordinators(app, phone):
    phone.sync([], device={"app_version": "7", "pending": 12, "needs_fix": 2})
    with app.app_context():
        device = db.session.scalar(select(Device))
        assert (device.app_version, device.pending_count, device.needs_fix_count) == ("7", 12, 2)
        assert utcnow() - device.last_seen_at < timedelta(minutes=1)


def test_decisions_come_back_once_through_updates(app, phone, make_user):
    needs_fix, approved = (
        item(),
        item(nik="3374015507850003", full_name="Sri Wahyuni", sex="P", birth_date="1985-07-15"),
    )
    phone.sync([needs_fix, approved])
    with app.app_context():
        coordinator = db.session.scalar(select(User).filter_by(username=make_user("coordinator")))
        records = {r.client_id: r for r in db.session.scalars(select(Registration))}
        change_status(
            records[needs_fix["client_id"]],
            "needs_fix",
            actor=coordinator,
            note="Foto KTP tidak jelas, periksa tanggal lahir",
        )
        change_status(records[approved["client_id"]], "approved", actor=coordinator)
        db.session.commit()
    updates = phone.sync([]).json["updates"]
    assert [(u["client_id"], u["status"]) for u in updates] == [
        (needs_fix["client_id"], "needs_fix"),
        (approved["client_id"], "approved"),
    ]
    assert updates[0]["note"] == "Foto KTP tidak jelas, periksa tanggal lahir"
    assert updates[0]["payload"]["nik"] == "3374011205900012"
    assert updates[0]["payload"]["birth_date"] == "1990-05-12"
    assert "payload" not in updates[1]
    assert phone.sync([]).json["updates"] == []  # the cursor moved on

    # The volunteer fixes the record: it is an edit, and the office sees it again.
    fixed = {
        **needs_fix,
        "payload": valid_registration(birth_date="1990-05-12", address="Jl. Baru"),
    }
    result = phone.sync([fixed]).json["results"][0]
    assert result["status"] == "accepted"
    with app.app_context():
        record = db.session.scalar(select(Registration).filter_by(client_id=needs_fix["client_id"]))
        assert (record.status, record.address) == ("submitted", "Jl. Baru")


def test_an_unreadable_cursor_starts_from_the_beginning(app, phone, make_user):
    sent = item()
    phone.sync([sent])
    with app.app_context():
        coordinator = db.session.scalar(select(User).filter_by(username=make_user("coordinator")))
        change_status(
            db.session.scalar(select(Registration)),
            "rejected",
            actor=coordinator,
            note="Bukan warga sasaran",
        )
        db.session.commit()
    phone.cursor = "garbage"
    assert [u["status"] for u in phone.sync([]).json["updates"]] == ["rejected"]


def test_updates_only_concern_this_devices_records(app, client, phone, make_user):
    phone.sync([item()])
    other = make_user("volunteer")
    token = client.post("/api/v1/devices", json={"username": other, "password": PASSWORD}).json[
        "token"
    ]
    with app.app_context():
        coordinator = db.session.scalar(select(User).filter_by(username=make_user("coordinator")))
        change_status(db.session.scalar(select(Registration)), "approved", actor=coordinator)
        db.session.commit()
    assert phone.sync([], token=token).json["updates"] == []


def test_malformed_json_is_a_400_with_a_json_error(client, phone):
    response = client.post(
        "/api/v1/sync",
        data="{not json",
        headers={"Authorization": f"Bearer {phone.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"


def test_items_must_be_a_list(client, phone):
    response = client.post(
        "/api/v1/sync", json={"items": {"a": 1}}, headers={"Authorization": f"Bearer {phone.token}"}
    )
    assert response.status_code == 400


def test_more_than_200_items_is_413(app, phone):
    response = phone.sync([item() for _ in range(201)])
    assert response.status_code == 413
    assert response.json["error"] == "too_large"
    assert count(app) == 0


def test_more_than_a_mebibyte_is_413(app, client, phone):
    big = json.dumps(
        {"items": [item(address="x" * 300) for _ in range(150)], "pad": "y" * 1_048_576}
    )
    response = client.post(
        "/api/v1/sync",
        data=big,
        headers={"Authorization": f"Bearer {phone.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json["error"] == "too_large"
    assert count(app) == 0


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer wrong-token", "Basic dXNlcjpwdw=="])
def test_missing_or_unknown_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/sync", json={"items": [item()]}, headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("how", ["revoked", "expired", "user_deactivated"])
def test_revoked_expired_or_deactivated_tokens_are_401_and_nothing_is_stored(app, phone, how):
    with app.app_context():
        device = db.session.scalar(select(Device))
        if how == "revoked":
            device.revoked_at = utcnow()
        elif how == "expired":
            device.expires_at = utcnow() - timedelta(seconds=1)
        else:
            device.user.active = False
        db.session.commit()
    response = phone.sync([item()])
    assert response.status_code == 401
    assert count(app) == 0


def test_a_phone_can_revoke_its_own_token(client, phone):
    headers = {"Authorization": f"Bearer {phone.token}"}
    assert client.delete("/api/v1/devices/current", headers=headers).status_code == 204
    assert phone.sync([item()]).status_code == 401
    assert client.delete("/api/v1/devices/current", headers=headers).status_code == 401


def test_the_api_needs_no_csrf_token_and_sets_no_cookie(client, phone):
    response = phone.sync([item()])
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_concurrent_senders_of_the_same_items_store_each_once(app, phone):
    """Two tabs (or a tab and the service worker) racing: nothing is stored twice."""
    import threading

    batch = [item(nik=f"33740112059{n:05d}") for n in range(1, 21)]
    statuses: list[list[str]] = []
    barrier = threading.Barrier(4)

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/sync",
            json={"items": batch},
            headers={"Authorization": f"Bearer {phone.token}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        statuses.append([r["status"] for r in response.json["results"]])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 4
    assert all(set(s) <= {"accepted", "already_received"} for s in statuses)
    assert count(app) == 20


def test_two_versions_of_one_new_record_in_a_batch_keep_the_last(app, phone):
    first = item()
    second = {**first, "payload": valid_registration(full_name="Budi Santoso Putra")}
    results = phone.sync([first, second]).json["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert results[0]["ref"] == results[1]["ref"]
    with app.app_context():
        [stored] = db.session.scalars(select(Registration)).all()
        assert stored.full_name == "Budi Santoso Putra"
        assert stored.flags == []  # not a duplicate of itself


def test_an_invalid_edit_leaves_the_record_as_it_was(app, phone):
    sent = item()
    phone.sync([sent])
    result = phone.sync([{**sent, "payload": valid_registration(phone="999")}]).json["results"][0]
    assert result["status"] == "invalid"
    assert "phone" in result["errors"]
    with app.app_context():
        assert db.session.scalar(select(Registration)).phone == "+6281234567890"


# Odd input never fails the batch (issue: one odd record jammed the phone) -------------


def test_an_odd_record_is_refused_alone_and_the_rest_of_the_batch_is_stored(app, phone):
    good = item()
    other = item(nik="3374015507850003", full_name="Sri Wahyuni", sex="P", birth_date="1985-07-15")
    odd = [
        item(monthly_income="1500000²"),
        item(full_name="Budi\x00Santoso"),
        item(address="Jl. \ud800"),
        item(workplace="TPI\x07"),
        item(drive_id=10**20),
        {**item(), "captured_at": "0001-01-01T00:00:00+07:00"},
        {**item(), "payload": {"nik": [[[[[[[[[[["3374011205900012"]]]]]]]]]]]}},
    ]
    body = json.dumps({"items": [good, *odd, other]}, ensure_ascii=True)
    response = phone.sync_raw(body)
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["invalid"] * len(odd) + ["accepted"]
    assert "monthly_income" in results[1]["errors"]
    assert "karakter" in results[2]["errors"]["full_name"][0]
    assert "address" in results[3]["errors"] and "workplace" in results[4]["errors"]
    assert "captured_at" in results[6]["errors"] and "item" in results[7]["errors"]
    assert [r.full_name for r in registrations(app)] == ["Budi Santoso", "Sri Wahyuni"]


def test_income_is_read_exactly_and_an_unusual_one_is_flagged(app, phone):
    sent = [
        item(monthly_income=1500000.0),
        item(
            monthly_income="1.500.000,00",
            nik="3374015507850003",
            full_name="Sri Wahyuni",
            sex="P",
            birth_date="1985-07-15",
        ),
        item(monthly_income="Rp 75.000.000,-", nik="3374011205900013"),
        item(monthly_income="1500000.50", nik="3374011205900014"),
    ]
    results = phone.sync_raw(json.dumps({"items": sent})).json["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "accepted", "invalid"]
    assert "income_unusual" in results[2]["flags"]
    assert "income_unusual" not in results[0]["flags"]
    assert [r.monthly_income for r in registrations(app)] == [1_500_000, 1_500_000, 75_000_000]


@pytest.mark.parametrize(
    "body",
    [
        b'{"items": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"items": [], "cursor": NaN}',
        b"\xff\xfe{}",
        b'{"items": [1e999999999]}',
    ],
)
def test_a_body_we_cannot_read_is_a_400_with_a_json_error(phone, body):
    response = phone.sync_raw(body)
    if response.status_code == 200:  # 1e999999999 is read as a number no field takes
        assert response.json["results"][0]["status"] == "invalid"
    else:
        assert response.status_code == 400
        assert response.json["error"] == "bad_request"


def test_odd_heartbeats_and_cursors_are_no_error(app, phone):
    for device in (
        {"app_version": "\ud800\x00v1", "pending": 2**40, "needs_fix": 2**63},
        {"app_version": True, "pending": -1, "needs_fix": "3"},
    ):
        phone.cursor = "e" + "9" * 40
        assert phone.sync([item()], device=device).status_code == 200
    with app.app_context():
        device = db.session.scalar(select(Device))
        assert device.pending_count == 1_000_000
        assert "\x00" not in device.app_version


@pytest.mark.parametrize(
    ("username", "password"),
    [("\x00", "x"), ("ani\ud800", "x"), ("relawan", "\ud800"), ("a" * 3000, "b" * 3000)],
)
def test_odd_credentials_are_simply_wrong(client, username, password):
    body = json.dumps({"username": username, "password": password, "label": "\x00\ud800"})
    response = client.post(
        "/api/v1/devices", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401


def test_what_the_database_still_refuses_fails_only_that_item(app, phone, monkeypatch):
    """Should the checks ever let through what the database refuses, only that item fails."""
    import webapp.domain.ingest as ingest_module

    made = ingest_module.registration_row

    def corrupting(data, **kwargs):
        row = made(data, **kwargs)
        if data["full_name"] == "Racun Basi":
            row["sex"] = "X"  # a CHECK constraint the schema would never let through
        return row

    monkeypatch.setattr(ingest_module, "registration_row", corrupting)
    sri = {"nik": "3374015507850003", "full_name": "Sri Wahyuni", "sex": "P"}
    sent = [
        item(),
        item(full_name="Racun Basi", nik="3374011205900099"),
        item(**sri, birth_date="1985-07-15"),
    ]
    response = phone.sync(sent)
    assert response.status_code == 200
    results = response.json["results"]
    assert [r["status"] for r in results] == ["accepted", "invalid", "accepted"]
    assert "Server tidak dapat menyimpan" in results[1]["errors"]["item"][0]
    assert [r.full_name for r in registrations(app)] == ["Budi Santoso", "Sri Wahyuni"]


# Decisions reach every phone of the volunteer (DESIGN.md, "Sync API": updates) ---------


class Handset:
    """A phone of ``username`` signed in through POST /api/v1/devices, with its own cursor.

    ``device_id`` names the device the phone already is (a new login on the same phone).
    """

    def __init__(self, client, username, device_id=None):
        response = client.post(
            "/api/v1/devices",
            json={"username": username, "password": PASSWORD, "device_id": device_id},
        )
        assert response.status_code == 201, response.json
        self.client = client
        self.device_id = response.json["device_id"]
        self.renewed = response.json["renewed"]
        self.token = response.json["token"]
        self.cursor = None

    def post(self, body):
        return self.client.post(
            "/api/v1/sync", json=body, headers={"Authorization": f"Bearer {self.token}"}
        )

    def sync(self, items=(), **body):
        response = self.post({"cursor": self.cursor, "items": list(items), **body})
        assert response.status_code == 200, response.json
        self.cursor = response.json["cursor"]
        return response.json

    def updates(self):
        return {u["client_id"]: u for u in self.sync()["updates"]}


def decide(app, make_user, client_id, status, note=None):
    """A coordinator's decision on the registration sent under ``client_id``."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).filter_by(username=make_user("coordinator")))
        record = db.session.scalar(select(Registration).filter_by(client_id=client_id))
        change_status(record, status, actor=coordinator, note=note)
        db.session.commit()


def test_a_record_sent_from_one_phone_gets_its_decision_on_another(app, client, make_user):
    username = make_user("volunteer")
    old_phone, new_phone = Handset(client, username), Handset(client, username)
    assert old_phone.device_id != new_phone.device_id
    sent = item()
    old_phone.sync([sent])
    new_phone.sync()
    decide(app, make_user, sent["client_id"], "needs_fix", note="Periksa tanggal lahir")
    for phone in (new_phone, old_phone):  # each reads on from its own cursor
        update = phone.updates()[sent["client_id"]]
        assert (update["status"], update["note"]) == ("needs_fix", "Periksa tanggal lahir")
        assert update["payload"]["nik"] == "3374011205900012"
        assert phone.updates() == {}


def test_a_second_login_on_the_same_phone_keeps_it_and_its_decisions(app, client, make_user):
    username = make_user("volunteer")
    phone = Handset(client, username)
    sent = item()
    phone.sync([sent])
    # The 12-hour session ends; the volunteer logs in again on the same phone.
    again = Handset(client, username, device_id=phone.device_id)
    assert (again.device_id, again.renewed) == (phone.device_id, True)
    assert phone.post({"items": []}).status_code == 401  # the old token is void
    again.cursor = phone.cursor  # the phone keeps its cursor
    decide(app, make_user, sent["client_id"], "needs_fix", note="Foto KTP buram")
    assert again.updates()[sent["client_id"]]["status"] == "needs_fix"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Device)) == 1


def test_a_new_phone_hears_where_each_record_stands_once(app, client, make_user, monkeypatch):
    monkeypatch.setattr("webapp.sync.updates.BATCH_UPDATES", 2)
    username = make_user("volunteer")
    phone = Handset(client, username)
    people = {
        "approved": item(nik="3374011205900001"),
        "fixed": item(nik="3374011205900002"),
        "to_fix": item(nik="3374011205900003"),
        "rejected": item(nik="3374011205900004"),
        "waiting": item(nik="3374011205900005"),
    }
    phone.sync(people.values())
    ids = {name: sent["client_id"] for name, sent in people.items()}
    for name in ("approved", "fixed", "to_fix"):
        decide(app, make_user, ids[name], "needs_fix", note="Periksa NIK")
    decide(app, make_user, ids["approved"], "approved")
    decide(app, make_user, ids["rejected"], "rejected", note="Bukan warga sasaran")
    fixed = {
        **people["fixed"],
        "payload": valid_registration(nik="3374011205900002", address="Jl. Baru"),
    }
    assert phone.sync([fixed])["results"][0]["status"] == "accepted"

    new_phone = Handset(client, username)
    pages = [new_phone.sync()["updates"] for _ in range(4)]
    assert [len(p) for p in pages] == [2, 2, 0, 0]  # bounded, and the cursor moves on
    heard = [u for page in pages for u in page]
    by_id = {u["client_id"]: u for u in heard}
    assert len(by_id) == len(heard)  # one update a record: where it stands now
    assert {name: by_id[ids[name]]["status"] for name in people if ids[name] in by_id} == {
        "approved": "approved",
        "fixed": "in_review",  # fixed since: not sent back to fix again
        "to_fix": "needs_fix",
        "rejected": "rejected",
    }
    assert by_id[ids["to_fix"]]["payload"]["nik"] == "3374011205900003"
    assert by_id[ids["rejected"]]["note"] == "Bukan warga sasaran"
    assert "payload" not in by_id[ids["fixed"]] and by_id[ids["fixed"]]["note"] == ""


def test_another_volunteers_phone_hears_nothing(app, client, make_user):
    phone, stranger = (
        Handset(client, make_user("volunteer")),
        Handset(client, make_user("volunteer")),
    )
    sent = item()
    phone.sync([sent])
    decide(app, make_user, sent["client_id"], "needs_fix", note="Periksa NIK")
    assert stranger.updates() == {}
    assert phone.updates()[sent["client_id"]]["status"] == "needs_fix"


# Plain words on the phone ---------------------------------------------------------------


def test_the_phone_hears_in_batch_then_sent_to_bpjs_then_enrolled_with_the_kpj(
    app, client, make_user
):
    from webapp.clock import today_in_semarang
    from webapp.enrollment.batches import BatchRequest, create_batch, mark_sent

    phone = Handset(client, make_user("volunteer"))
    sent = item()
    phone.sync([sent])
    decide(app, make_user, sent["client_id"], "approved")
    assert phone.updates()[sent["client_id"]]["status"] == "approved"
    year = today_in_semarang().year
    with app.app_context():
        coordinator = db.session.scalar(select(User).filter_by(username=make_user("coordinator")))
        db.session.execute(
            update(Registration).values(funding_source_code="APBD", funding_year=year)
        )
        request = BatchRequest("APBD", year, date(year, 12, 1), date(year, 12, 31))
        batch = create_batch(request, actor=coordinator)
        db.session.commit()
        label, batch_id, coordinator_id = batch.label, batch.id, coordinator.id
    update_ = phone.updates()[sent["client_id"]]
    assert (update_["status"], update_["note"]) == ("in_batch", f"Masuk batch {label}")

    with app.app_context():
        batch = db.session.get(EnrollmentBatch, batch_id)
        assert mark_sent(batch, actor=db.session.get(User, coordinator_id)) == 1
        db.session.commit()
    update_ = phone.updates()[sent["client_id"]]
    assert (update_["status"], update_["note"]) == (
        "sent_to_bpjs",
        f"Batch {label} dikirim ke BPJS",
    )
    assert "kpj" not in update_

    with app.app_context():
        record = db.session.scalar(select(Registration))
        record.kpj_number = "26012345678"
        change_status(record, "enrolled", actor=db.session.get(User, coordinator_id))
        db.session.commit()
    update_ = phone.updates()[sent["client_id"]]
    assert (update_["status"], update_["kpj"]) == ("enrolled", "26012345678")


def test_a_duplicate_is_not_rejected_and_names_the_record_kept(app, client, make_user):
    from webapp.review.decisions import mark_duplicate

    phone = Handset(client, make_user("volunteer"))
    first, again = item(), item()  # the same worker, twice
    phone.sync([first, again])
    with app.app_context():
        coordinator = db.session.scalar(select(User).filter_by(username=make_user("coordinator")))
        keep, drop = (
            db.session.scalar(select(Registration).filter_by(client_id=sent["client_id"]))
            for sent in (first, again)
        )
        mark_duplicate(keep, drop, actor=coordinator, expected_version=None)
        db.session.commit()
        kept = keep.reference
    updates = phone.updates()
    assert list(updates) == [again["client_id"]]
    assert updates[again["client_id"]]["status"] == "duplicate"
    assert updates[again["client_id"]]["duplicate_of"] == kept


# Discards reach the office --------------------------------------------------------------


def discard_notes(app, client_id):
    with app.app_context():
        return db.session.scalars(
            select(RegistrationEvent.note)
            .join(Registration)
            .where(Registration.client_id == client_id, RegistrationEvent.kind == "note")
        ).all()


def test_a_discard_is_noted_once_on_the_volunteers_own_record(app, client, make_user):
    phone, stranger = (
        Handset(client, make_user("volunteer")),
        Handset(client, make_user("volunteer")),
    )
    mine, theirs = item(), item(nik="3374015507850003", sex="P", birth_date="1985-07-15")
    phone.sync([mine])
    stranger.sync([theirs])
    unknown = str(uuid.uuid4())
    discarded = [
        {"client_id": mine["client_id"], "reason": "  Pekerja\x00 batal   ikut " + "x" * 400},
        {"client_id": theirs["client_id"], "reason": "bukan punyaku"},
        {"client_id": unknown},
    ]
    for _ in range(2):  # a lost answer: sent again
        answer = phone.sync(discarded=discarded)
        assert answer["discarded"] == [mine["client_id"], theirs["client_id"], unknown]
    [note] = discard_notes(app, mine["client_id"])
    assert note.startswith("Dibuang di HP oleh relawan: Pekerja\ufffd batal ikut xxx")
    assert len(note) <= len("Dibuang di HP oleh relawan: ") + 300
    assert discard_notes(app, theirs["client_id"]) == []

    coordinator = app.test_client()
    login(coordinator, make_user("coordinator"))
    with app.app_context():
        record_id = db.session.scalar(
            select(Registration.id).filter_by(client_id=mine["client_id"])
        )
    page = coordinator.get(f"/review/{record_id}").get_data(as_text=True)
    assert "data-discarded" in page and "Dibuang di HP relawan" in page
    assert "Pekerja\ufffd batal ikut" in page


@pytest.mark.parametrize(
    "discarded",
    [
        "semua",
        5,
        None,
        {"client_id": "x"},
        [None, 1, "x", [], {}],
        [{"client_id": "\ud800\x00", "reason": "\x00"}],
        [{"client_id": str(uuid.UUID(int=1)), "reason": ["a"]}],
        [{"client_id": "a" * 100_000, "reason": "b" * 100_000}],
        [{"client_id": 2**70, "reason": 2**70}],
    ],
)
def test_any_discard_list_is_no_error(app, client, make_user, discarded):
    phone = Handset(client, make_user("volunteer"))
    response = phone.post({"items": [], "discarded": discarded})
    assert response.status_code == 200
    assert response.json["discarded"] in ([], [str(uuid.UUID(int=1))])


def test_a_long_discard_list_is_read_in_part_and_says_which(app, client, make_user):
    phone = Handset(client, make_user("volunteer"))
    ids = [str(uuid.uuid4()) for _ in range(1000)]
    answer = phone.sync(discarded=[{"client_id": i, "reason": "x"} for i in ids])
    assert answer["discarded"] == ids[:200]  # the rest come again with the next sync


def test_the_heartbeat_counts_records_discarded_before_they_were_sent(app, client, make_user):
    phone = Handset(client, make_user("volunteer"))
    for discarded, stored in ((3, 3), (-1, 3), ("9", 3), (True, 3), (2**63, 1_000_000), (4, 4)):
        phone.sync(device={"app_version": "1", "pending": 0, "discarded": discarded})
        with app.app_context():
            assert db.session.get(Device, phone.device_id).discarded_count == stored
    with app.app_context():
        db.session.get(Device, phone.device_id).pending_count = 1
        db.session.commit()
    coordinator = app.test_client()
    login(coordinator, make_user("coordinator"))
    page = coordinator.get("/review/field").get_data(as_text=True)
    assert re.search(r"<td class=\"num\" data-discarded>4</td>", page)
    assert "4 pendaftaran dibuang relawan di ponsel sebelum sempat terkirim" in page
    dashboard = coordinator.get("/dashboard").get_data(as_text=True)
    assert "data-discarded-total>4 pendaftaran dibuang" in dashboard


# A deactivated account is told so -------------------------------------------------------


def test_a_deactivated_volunteers_phone_is_told_so(app, client, make_user):
    username = make_user("volunteer")
    phone = Handset(client, username)
    assert phone.post({"items": []}).status_code == 200
    with app.app_context():
        db.session.scalar(select(User).filter_by(username=username)).active = False
        db.session.get(Device, phone.device_id).revoked_at = utcnow()  # as the admin page does
        db.session.commit()
    response = phone.post({"items": [item()]})
    assert response.status_code == 401
    assert response.json == {
        "error": "deactivated",
        "message": "Akun Anda sudah dinonaktifkan. Hubungi koordinator.",
    }
    assert count(app) == 0


def test_other_unusable_tokens_stay_plainly_unauthorized(app, client, make_user):
    phone = Handset(client, make_user("volunteer"))
    with app.app_context():
        db.session.get(Device, phone.device_id).revoked_at = utcnow()
        db.session.commit()
    for token in (phone.token, "not-a-token", ""):
        phone.token = token
        response = phone.post({"items": []})
        assert response.status_code == 401
        assert response.json["error"] == "unauthorized"


# The reference the phone made (DESIGN.md "References") --------------------------------

# Two client ids sharing their first 5 bytes: the same reference, PS-28T5-CY4T.
SAME_REF_A = "12345678-9abc-4def-8123-456789abcdef"
SAME_REF_B = "12345678-9a00-4000-8000-000000000001"


def stored_reference(app, client_id):
    with app.app_context():
        return db.session.scalar(
            select(Registration.reference).where(Registration.client_id == client_id)
        )


def test_the_server_keeps_the_reference_the_phone_showed(app, phone):
    from webapp.domain.registrations import reference_for

    sent = [item(), item(nik="3374011205900013")]
    results = phone.sync(sent).json["results"]
    for one, result in zip(sent, results, strict=True):
        assert result["ref"] == reference_for(one["client_id"])
        assert "ref_changed" not in result  # the shape of every ordinary answer
        assert stored_reference(app, one["client_id"]) == result["ref"]
    again = phone.sync(sent).json["results"]
    assert [(r["status"], r["ref"]) for r in again] == [
        ("already_received", r["ref"]) for r in results
    ]
    assert all("ref_changed" not in r for r in again)


def test_a_reference_another_registration_holds_is_replaced_and_the_phone_told(app, phone):
    first = phone.sync([item(SAME_REF_A)]).json["results"][0]
    assert (first["ref"], first.get("ref_changed")) == ("PS-28T5-CY4T", None)
    second = phone.sync([item(SAME_REF_B, nik="3374011205900013")]).json["results"][0]
    assert second["status"] == "accepted"
    assert second["ref"] != "PS-28T5-CY4T" and second["ref_changed"] is True
    assert re.fullmatch(r"PS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", second["ref"])
    assert stored_reference(app, SAME_REF_B) == second["ref"]
    # A resend (the first answer lost) is told again; the other record is not.
    resend = phone.sync([item(SAME_REF_B, nik="3374011205900013")]).json["results"][0]
    assert (resend["status"], resend["ref"], resend["ref_changed"]) == (
        "already_received",
        second["ref"],
        True,
    )
    assert "ref_changed" not in phone.sync([item(SAME_REF_A)]).json["results"][0]


def test_two_items_of_one_batch_with_one_reference_get_two(app, phone):
    results = phone.sync([item(SAME_REF_A), item(SAME_REF_B, nik="3374011205900013")]).json[
        "results"
    ]
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert results[0]["ref"] == "PS-28T5-CY4T" and "ref_changed" not in results[0]
    assert results[1]["ref"] != "PS-28T5-CY4T" and results[1]["ref_changed"] is True
    assert {r.reference for r in registrations(app)} == {results[0]["ref"], results[1]["ref"]}


def test_an_edit_and_a_conflict_keep_saying_the_reference_changed(app, phone, make_user):
    phone.sync([item(SAME_REF_A)])
    sent = item(SAME_REF_B, nik="3374011205900013")
    ref = phone.sync([sent]).json["results"][0]["ref"]
    edited = {**sent, "payload": valid_registration(nik="3374011205900013", full_name="Budi S")}
    result = phone.sync([edited]).json["results"][0]
    assert (result["status"], result["ref"], result["ref_changed"]) == ("accepted", ref, True)
    with app.app_context():
        record = db.session.scalar(select(Registration).filter_by(client_id=SAME_REF_B))
        change_status(record, "approved", actor=db.session.scalar(select(User)))
        db.session.commit()
    late = {**sent, "payload": valid_registration(nik="3374011205900013", full_name="Budi T")}
    result = phone.sync([late]).json["results"][0]
    assert (result["status"], result["ref"], result["ref_changed"]) == ("conflict", ref, True)


def test_a_reference_taken_by_another_sender_meanwhile_is_not_a_resend(app, phone, monkeypatch):
    """Another sender's record took the reference between this batch's look and its insert:
    the row is skipped (ON CONFLICT DO NOTHING), and since no record holds its client id,
    it is stored again under another reference, not answered as already received."""
    import webapp.domain.ingest as ingest_module

    phone.sync([item(SAME_REF_A)])  # the other record, holding PS-28T5-CY4T
    # This batch does not see it when it looks (it was not committed yet, say).
    monkeypatch.setattr(ingest_module, "_references_taken", lambda references: set())
    result = phone.sync([item(SAME_REF_B, nik="3374011205900013")]).json["results"][0]
    assert result["status"] == "accepted"
    assert result["ref"] != "PS-28T5-CY4T" and result["ref_changed"] is True
    assert stored_reference(app, SAME_REF_B) == result["ref"]
    assert count(app) == 2


def test_concurrent_senders_of_the_same_items_keep_the_phones_references(app, phone):
    """A client id race (the same records sent twice at once) is no reference collision."""
    import threading

    from webapp.domain.registrations import reference_for

    batch = [item(nik=f"33740112059{n:05d}") for n in range(1, 11)]
    answers: list[list[dict]] = []
    barrier = threading.Barrier(3)

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/sync",
            json={"items": batch},
            headers={"Authorization": f"Bearer {phone.token}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        answers.append(response.json["results"])

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 3
    for results in answers:
        assert [r["ref"] for r in results] == [reference_for(i["client_id"]) for i in batch]
        assert all("ref_changed" not in r for r in results)
    assert count(app) == 10
