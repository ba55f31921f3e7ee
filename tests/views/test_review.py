"""The coordinator's queue, a registration's page, decisions and duplicates."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, login
from webapp.extensions import db
from webapp.models import AuditEvent, Device, Registration, utcnow

ROW = re.compile(r'data-registration="(\d+)"')


def rows(response) -> list[int]:
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


def get(app, registration_id) -> Registration:
    return db.session.get(Registration, registration_id)


def test_queue_shows_submitted_newest_first_with_counts(
    coordinator, make_registration, volunteer_name
):
    now = datetime.now(UTC)
    older = make_registration(volunteer_name, received_at=now - timedelta(hours=2))
    newer = make_registration(
        volunteer_name,
        nik="3374015507850003",
        full_name="Sri Wahyuni",
        sex="P",
        birth_date="1985-07-15",
        received_at=now,
    )
    make_registration(
        volunteer_name,
        nik="3374021203880001",
        full_name="Joko Susilo",
        birth_date="1988-03-12",
        status="approved",
    )
    response = coordinator.get("/review")
    assert rows(response) == [newer, older]
    page = response.get_data(as_text=True)
    assert re.search(r'<span class="count">2</span> Menunggu tinjauan', page)
    assert re.search(r'<span class="count">1</span> Disetujui', page)
    assert "Tanjung Mas" in page and "Nelayan" in page
    assert "3374 01•• •••• 0012" in page and "3374011205900012" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=all", {"budi", "sri", "joko"}),
        ("status=approved", {"joko"}),
        ("status=all&kecamatan=33.74.01", {"sri"}),
        ("status=all&occupation=pkl", {"joko"}),
        ("status=all&flag=possible_duplicate", {"sri"}),
        ("status=all&q=wahyu", {"sri"}),
        ("status=all&q=3374021203880001", {"joko"}),
        ("status=all&q=337402120388", set()),  # part of a NIK finds nothing
        ("status=all&sort=name", {"budi", "sri", "joko"}),
    ],
)
def test_filters_and_search(coordinator, make_registration, volunteer_name, query, expected):
    ids = {
        "budi": make_registration(volunteer_name),
        "sri": make_registration(
            volunteer_name,
            nik="3374015507850003",
            full_name="Sri Wahyuni",
            sex="P",
            birth_date="1985-07-15",
            kelurahan_code="33.74.01.1001",
            flags=["possible_duplicate"],
        ),
        "joko": make_registration(
            volunteer_name,
            nik="3374021203880001",
            full_name="Joko Susilo",
            birth_date="1988-03-12",
            occupation="pkl",
            status="approved",
        ),
    }
    found = set(rows(coordinator.get(f"/review?{query}")))
    assert found == {ids[name] for name in expected}


def test_search_by_reference_and_by_volunteer_and_dates(
    app, coordinator, make_registration, volunteer_name, make_user
):
    other = make_user("volunteer")
    mine = make_registration(volunteer_name, received_at=datetime(2026, 3, 1, 3, tzinfo=UTC))
    theirs = make_registration(
        other,
        nik="3374015507850003",
        full_name="Sri Wahyuni",
        sex="P",
        birth_date="1985-07-15",
        received_at=datetime(2026, 6, 1, 3, tzinfo=UTC),
    )
    with app.app_context():
        ref = get(app, mine).reference
        volunteer_id = get(app, theirs).collected_by_id
    assert rows(coordinator.get(f"/review?q={ref}")) == [mine]
    assert rows(coordinator.get(f"/review?q={ref.replace('-', '').lower()}")) == [mine]
    assert rows(coordinator.get(f"/review?volunteer={volunteer_id}")) == [theirs]
    assert rows(coordinator.get("/review?from=2026-05-01&to=2026-06-01")) == [theirs]
    assert rows(coordinator.get("/review?to=2026-03-01")) == [mine]


def set_reference(app, registration_id, reference):
    with app.app_context():
        get(app, registration_id).reference = reference
        db.session.commit()


@pytest.mark.parametrize(
    "typed",
    [
        "PS-0110-AB1C",
        "ps-0110-ab1c",
        "PS0110AB1C",
        "ps 0110 ab1c",
        "0110-AB1C",  # without the prefix
        "0110ab1c",
        "PS-O1I0-ABLC",  # O for 0, I and L for 1, as people copy them
        "ps-oli0-abic",
    ],
)
def test_a_reference_is_found_however_it_is_typed(
    app, coordinator, make_registration, volunteer_name, typed
):
    wanted = make_registration(volunteer_name)
    make_registration(volunteer_name, nik="3374015507850003", full_name="Sri Wahyuni", sex="P")
    set_reference(app, wanted, "PS-0110-AB1C")
    assert rows(coordinator.get("/review", query_string={"status": "all", "q": typed})) == [wanted]


def test_a_reference_with_u_or_a_wrong_length_finds_nothing(
    app, coordinator, make_registration, volunteer_name
):
    wanted = make_registration(volunteer_name)
    set_reference(app, wanted, "PS-0110-AB1C")
    for typed in ("PS-0110-AB1U", "PS-0110-AB1", "PS-0110-AB1CC"):
        assert rows(coordinator.get("/review", query_string={"status": "all", "q": typed})) == []


def test_eight_letters_without_the_prefix_still_find_the_name(
    app, coordinator, make_registration, volunteer_name
):
    """'Setiawan' reads as the reference PS-SET1-AWAN too: both are looked for."""
    setiawan = make_registration(volunteer_name, full_name="Agus Setiawan")
    held = make_registration(
        volunteer_name, nik="3374015507850003", full_name="Sri Wahyuni", sex="P"
    )
    set_reference(app, held, "PS-SET1-AWAN")
    found = rows(coordinator.get("/review", query_string={"status": "all", "q": "Setiawan"}))
    assert sorted(found) == sorted([setiawan, held])
    with_prefix = {"status": "all", "q": "PS-Setiawan"}
    assert rows(coordinator.get("/review", query_string=with_prefix)) == [held]


@pytest.mark.parametrize(
    "typed",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "6281234567890",
        "+6281234567890",
        "+62 812-3456-7890",
        "(0812) 3456.7890",
    ],
)
def test_a_worker_is_found_by_phone_number_in_any_usual_form(
    coordinator, make_registration, volunteer_name, typed
):
    wanted = make_registration(volunteer_name)  # 0812-3456-7890, stored +6281234567890
    make_registration(
        volunteer_name,
        nik="3374015507850003",
        full_name="Sri Wahyuni",
        sex="P",
        phone="0813 1111 2222",
        # Her heir has the number searched for: only the worker's own counts.
        heir_phone="0812 3456 7890",
    )
    assert rows(coordinator.get("/review", query_string={"status": "all", "q": typed})) == [wanted]


def test_part_of_a_phone_number_or_a_landline_finds_nothing(
    coordinator, make_registration, volunteer_name
):
    make_registration(volunteer_name)
    for typed in ("0812345", "024-3547-1234", "+6581234567890"):
        assert rows(coordinator.get("/review", query_string={"status": "all", "q": typed})) == []


def test_a_nik_with_spaces_is_found_and_a_name_still_is(
    coordinator, make_registration, volunteer_name
):
    budi = make_registration(volunteer_name)
    query = {"status": "all", "q": "3374 0112 0590 0012"}
    assert rows(coordinator.get("/review", query_string=query)) == [budi]
    assert rows(coordinator.get("/review", query_string={"status": "all", "q": "budi SANT"})) == [
        budi
    ]


def test_pages_follow_the_keyset_cursor_without_gaps_or_repeats(
    coordinator, make_registration, volunteer_name
):
    start = datetime(2026, 10, 1, tzinfo=UTC)
    made = [
        make_registration(
            volunteer_name, nik=f"33740112059{n:05d}", received_at=start + timedelta(minutes=n // 2)
        )  # pairs share a time: the id breaks the tie
        for n in range(1, 121)
    ]
    seen, url, pages = [], "/review", 0
    while url:
        response = coordinator.get(url)
        seen += rows(response)
        pages += 1
        match = re.search(r'rel="next" href="([^"]+)"', response.get_data(as_text=True))
        url = match.group(1).replace("&amp;", "&") if match else None
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert set(seen) == set(made)


def test_htmx_gets_only_the_results_and_a_reload_gets_the_page(
    coordinator, make_registration, volunteer_name
):
    make_registration(volunteer_name)
    fragment = coordinator.get("/review?q=budi", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'class="results"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    full = coordinator.get("/review?q=budi")
    assert "<html" in full.get_data(as_text=True)
    assert 'value="budi"' in full.get_data(as_text=True)


def test_registration_page_is_readable_and_masks_the_nik(
    coordinator, make_registration, volunteer_name
):
    registration_id = make_registration(volunteer_name)
    page = coordinator.get(f"/review/{registration_id}").get_data(as_text=True)
    for shown in (
        "Budi Santoso",
        "12-05-1990",
        "Rp1.500.000",
        "Tanjung Mas",
        "Semarang Utara",
        "Nelayan",
        "Siti Aminah",
        "Istri",
        "Ani Relawan",
        "Diterima dari lapangan",
    ):
        assert shown in page, shown
    assert "3374 01•• •••• 0012" in page
    assert "3374011205900012" not in page


def test_showing_the_full_nik_is_audited(app, coordinator, make_registration, volunteer_name):
    registration_id = make_registration(volunteer_name)
    token = csrf_token(coordinator, f"/review/{registration_id}")
    response = coordinator.post(
        f"/review/{registration_id}/nik", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert "3374011205900012" in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="registration.nik_viewed"))
        assert event.actor.username == coordinator.username
        assert event.target_id == str(registration_id)
        assert "3374011205900012" not in str(event.details)
    assert coordinator.get(f"/review/{registration_id}/nik").status_code == 405  # never a link


def decide(client, registration_id, **form):
    page = client.get(f"/review/{registration_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    data = {"csrf_token": csrf_token(client, f"/review/{registration_id}"), "version": version}
    return client.post(f"/review/{registration_id}/decide", data={**data, **form})


@pytest.mark.parametrize(
    ("form", "status", "note"),
    [
        ({"action": "approve"}, "approved", None),
        (
            {"action": "reject", "reason": "already_covered"},
            "rejected",
            "Sudah menjadi peserta BPJS Ketenagakerjaan",
        ),
        (
            {"action": "reject", "reason": "other", "note": "Pindah ke Kendal"},
            "rejected",
            "Alasan lain: Pindah ke Kendal",
        ),
        (
            {"action": "request_fix", "note": "Nomor HP ahli waris kurang satu angka"},
            "needs_fix",
            "Nomor HP ahli waris kurang satu angka",
        ),
    ],
)
def test_each_decision_is_recorded_with_who_and_when(
    app, coordinator, make_registration, volunteer_name, form, status, note
):
    registration_id = make_registration(volunteer_name)
    response = decide(coordinator, registration_id, **form)
    assert response.status_code == 302
    with app.app_context():
        registration = get(app, registration_id)
        assert registration.status == status
        event = registration.events[-1]
        assert (event.kind, event.status, event.note) == ("status", status, note)
        assert event.actor.username == coordinator.username
        assert utcnow() - event.at < timedelta(minutes=1)
        audit = db.session.scalar(
            select(AuditEvent).filter_by(action=f"registration.{form['action']}")
        )
        assert audit.target_id == str(registration_id)
    assert "Keputusan untuk" in coordinator.get(f"/review/{registration_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "reject"}, "Pilih alasan penolakan."),
        ({"action": "reject", "reason": "other"}, "Tuliskan alasan penolakannya."),
        ({"action": "request_fix", "note": "  "}, "Tuliskan apa yang harus diperbaiki relawan."),
        ({"action": "launch"}, "Keputusan tidak dikenal."),
    ],
)
def test_incomplete_decisions_are_refused_with_a_message(
    app, coordinator, make_registration, volunteer_name, form, message
):
    registration_id = make_registration(volunteer_name)
    response = decide(coordinator, registration_id, **form)
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert get(app, registration_id).status == "submitted"


def test_the_second_of_two_coordinators_is_told_and_nothing_is_overwritten(
    app, coordinator, make_registration, volunteer_name, make_user
):
    registration_id = make_registration(volunteer_name)
    second = app.test_client()
    login(second, make_user("coordinator"))
    # Both open the page while it is version 1.
    stale = {"csrf_token": csrf_token(second, f"/review/{registration_id}"), "version": "1"}
    assert decide(coordinator, registration_id, action="approve").status_code == 302
    response = second.post(
        f"/review/{registration_id}/decide",
        data={**stale, "action": "reject", "reason": "false_data"},
    )
    assert response.status_code == 409
    assert f"baru saja diubah oleh {coordinator.username}" in response.get_data(as_text=True)
    with app.app_context():
        assert get(app, registration_id).status == "approved"


def test_a_decided_record_is_not_decided_again(app, coordinator, make_registration, volunteer_name):
    registration_id = make_registration(volunteer_name, status="approved")
    token = csrf_token(coordinator, f"/review/{registration_id}")
    response = coordinator.post(
        f"/review/{registration_id}/decide",
        data={"csrf_token": token, "action": "reject", "reason": "false_data"},
    )
    assert response.status_code == 409
    assert "sudah diputuskan" in response.get_data(as_text=True)


def test_bulk_approve_skips_flagged_records(app, coordinator, make_registration, volunteer_name):
    clean = make_registration(volunteer_name)
    flagged = make_registration(
        volunteer_name,
        nik="3374015507850003",
        full_name="Sri Wahyuni",
        sex="P",
        birth_date="1985-07-15",
        flags=["age_out_of_range"],
    )
    token = csrf_token(coordinator, "/review")
    response = coordinator.post(
        "/review/approve", data={"csrf_token": token, "selected": [str(clean), str(flagged)]}
    )
    assert response.status_code == 302
    assert "1 disetujui, 1 dilewati" in coordinator.get("/review").get_data(as_text=True)
    with app.app_context():
        assert get(app, clean).status == "approved"
        assert get(app, flagged).status == "submitted"


def test_an_unusual_income_is_flagged_and_left_out_of_bulk_approval(
    app, client, coordinator, volunteer_name
):
    from tests.conftest import PASSWORD, valid_registration

    token = client.post(
        "/api/v1/devices", json={"username": volunteer_name, "password": PASSWORD}
    ).json["token"]
    items = [
        {
            "client_id": str(uuid.uuid4()),
            "form_version": 1,
            "captured_at": "2026-11-06T09:12:00+07:00",
            "payload": valid_registration(monthly_income=income, nik=nik),
        }
        for income, nik in (("1.500.000", "3374011205900012"), ("75.000.000", "3374011205900013"))
    ]
    client.post("/api/v1/sync", json={"items": items}, headers={"Authorization": f"Bearer {token}"})
    with app.app_context():
        usual, unusual = db.session.scalars(select(Registration).order_by(Registration.id))
        assert unusual.flags == ["income_unusual"] and usual.flags == []
        ids = [str(usual.id), str(unusual.id)]
    page = coordinator.get(f"/review/{ids[1]}").get_data(as_text=True)
    assert "Penghasilan di luar kisaran yang biasa" in page
    coordinator.post(
        "/review/approve", data={"csrf_token": csrf_token(coordinator, "/review"), "selected": ids}
    )
    with app.app_context():
        assert get(app, int(ids[0])).status == "approved"
        assert get(app, int(ids[1])).status == "submitted"


def test_the_phone_gets_the_coordinators_decision_on_its_next_sync(
    app, client, coordinator, volunteer_name
):
    import uuid

    from tests.conftest import valid_registration

    token = client.post(
        "/api/v1/devices", json={"username": volunteer_name, "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client_id = str(uuid.uuid4())
    item = {
        "client_id": client_id,
        "form_version": 1,
        "captured_at": "2026-11-20T08:00:00+07:00",
        "payload": valid_registration(),
    }
    client.post("/api/v1/sync", json={"items": [item]}, headers=headers)
    with app.app_context():
        registration_id = db.session.scalar(select(Registration.id))
    decide(coordinator, registration_id, action="request_fix", note="Periksa nama ahli waris")
    updates = client.post("/api/v1/sync", json={"items": []}, headers=headers).json["updates"]
    assert [(u["client_id"], u["status"], u["note"]) for u in updates] == [
        (client_id, "needs_fix", "Periksa nama ahli waris")
    ]


def test_same_nik_duplicates_are_shown_side_by_side_and_resolved(
    app, coordinator, make_registration, volunteer_name
):
    first = make_registration(volunteer_name)
    second = make_registration(volunteer_name, phone="081311112222", flags=["possible_duplicate"])
    page = coordinator.get(f"/review/{second}").get_data(as_text=True)
    assert "Kemungkinan orang yang sama" in page
    with app.app_context():
        first_ref = get(app, first).reference
    assert first_ref in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = coordinator.post(
        f"/review/{second}/duplicate",
        data={
            "csrf_token": csrf_token(coordinator, f"/review/{second}"),
            "version": version,
            "other": str(first),
            "keep": "other",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        kept, dropped = get(app, first), get(app, second)
        assert dropped.status == "duplicate"
        assert dropped.duplicate_of_id == kept.id
        assert dropped.flags == []
        assert kept.status == "submitted"
        assert dropped.events[-1].note == f"Ganda dari {first_ref}"
    assert coordinator.get(f"/review/{second}").status_code == 200


def test_a_mistyped_nik_with_the_same_name_and_birth_date_is_a_candidate(
    coordinator, make_registration, volunteer_name
):
    first = make_registration(volunteer_name)
    typo = make_registration(volunteer_name, nik="3374011205900021")
    page = coordinator.get(f"/review/{typo}").get_data(as_text=True)
    assert "Kemungkinan orang yang sama" in page
    assert f'/review/{first}"' in page
    assert "(berbeda)" in page


def test_a_duplicate_flag_is_cleared_only_with_a_reason(
    app, coordinator, make_registration, volunteer_name
):
    make_registration(volunteer_name)
    flagged = make_registration(
        volunteer_name,
        full_name="Budi Santosa",
        birth_date="1990-05-12",
        flags=["possible_duplicate"],
    )
    token = csrf_token(coordinator, f"/review/{flagged}")
    refused = coordinator.post(
        f"/review/{flagged}/not-duplicate", data={"csrf_token": token, "note": " "}
    )
    assert refused.status_code == 409
    assert "Tuliskan mengapa" in refused.get_data(as_text=True)
    page = coordinator.get(f"/review/{flagged}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    done = coordinator.post(
        f"/review/{flagged}/not-duplicate",
        data={
            "csrf_token": token,
            "version": version,
            "note": "Kakak beradik, NIK sama karena salah cetak KK",
        },
    )
    assert done.status_code == 302
    with app.app_context():
        registration = get(app, flagged)
        assert registration.flags == []
        assert registration.events[-1].note.startswith("Bukan ganda: Kakak beradik")
        assert registration.version > int(version)


def test_field_health_shows_silent_phones_with_waiting_records(
    app, coordinator, client, volunteer_name
):
    for label in ("HP Ani", "HP Sepi"):
        token = client.post(
            "/api/v1/devices",
            json={"username": volunteer_name, "password": PASSWORD, "label": label},
        ).json["token"]
        client.post(
            "/api/v1/sync",
            json={"device": {"app_version": "3", "pending": 4, "needs_fix": 1}, "items": []},
            headers={"Authorization": f"Bearer {token}"},
        )
    with app.app_context():
        quiet = db.session.scalar(select(Device).filter_by(label="HP Sepi"))
        quiet.last_seen_at = utcnow() - timedelta(days=3)
        quiet_id = quiet.id
        db.session.commit()
    page = coordinator.get("/review/field").get_data(as_text=True)
    assert "HP Ani" in page and "HP Sepi" in page
    assert f'data-device="{quiet_id}" class="silent" data-silent' in page
    assert "8 pendaftaran masih menunggu" in page
    assert page.count("data-silent") == 1
