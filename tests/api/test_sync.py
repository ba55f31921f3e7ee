"""The sync API contract (DESIGN.md "Sync API"): every branch, on each database."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, valid_registration
from webapp.domain.registrations import change_status
from webapp.extensions import db
from webapp.models import Device, Registration, User, utcnow


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
