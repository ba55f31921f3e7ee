"""/cek: the worker's own lookup (DESIGN.md "Public status lookup"), without a login.

The reference and the birth date give where the registration stands, in plain words;
nothing else personal, the same answer for an unknown reference and a wrong birth date,
a POST (a birth date never in a URL), and a limit on tries.
"""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, make_app
from webapp.domain.public_status import REJECTION_WORDS, mask_kpj, read_birth_date
from webapp.domain.registrations import change_status
from webapp.extensions import db
from webapp.lifecycle import RegistrationStatus
from webapp.models import BatchStatus, EnrollmentBatch, Registration, User

BUDI_BORN = "12-05-1990"  # valid_registration()'s birth date, as the KTP shows it
# What the lookup never shows, whatever the status: name, NIK, phones, heir, birth date.
PERSONAL = ("Budi", "Santoso", "3374011205900012", "81234567890", "Siti", "Aminah", "1990")
ANSWER = re.compile(r'data-answer="([a-z_]+)"')
CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture(autouse=True)
def _quick_answers(app):
    """The same-time floor is tested on its own; elsewhere it only slows the suite."""
    app.config["LOOKUP_MIN_SECONDS"] = 0.01


def look_up(client, reference, birth_date=BUDI_BORN, **kwargs):
    return client.post(
        "/cek",
        data={
            "reference": reference,
            "birth_date": birth_date,
            "csrf_token": csrf_token(client, "/cek"),
        },
        **kwargs,
    )


def answer(response) -> str | None:
    found = ANSWER.search(response.get_data(as_text=True))
    return found.group(1) if found else None


def reference_of(app, registration_id) -> str:
    with app.app_context():
        return db.session.get(Registration, registration_id).reference


def coordinator_user(app, make_user) -> int:
    username = make_user("coordinator")
    with app.app_context():
        return db.session.scalar(select(User.id).filter_by(username=username))


def test_the_page_needs_no_login_and_asks_by_post(client):
    response = client.get("/cek")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Cek status pendaftaran" in page
    form = re.search(r'<form method="post" action="/cek"', page)
    assert form, "the lookup is a POST: a birth date never goes into a URL"
    assert 'name="reference"' in page and 'name="birth_date"' in page


def test_a_get_with_the_pair_in_the_address_looks_nothing_up(
    app, client, make_registration, volunteer_name
):
    ref = reference_of(app, make_registration(volunteer_name))
    response = client.get("/cek", query_string={"reference": ref, "birth_date": BUDI_BORN})
    assert response.status_code == 200
    assert answer(response) is None


def test_a_new_registration_is_received(app, client, make_registration, volunteer_name):
    ref = reference_of(app, make_registration(volunteer_name))
    response = look_up(client, ref)
    assert response.status_code == 200
    assert answer(response) == "received"
    page = response.get_data(as_text=True)
    assert "Pendaftaran sudah diterima" in page and ref in page
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("typed_reference", "typed_birth_date"),
    [
        ("{ref}", "12-05-1990"),
        ("{ref_lower_no_dashes}", "12/05/1990"),
        ("{ref_no_prefix}", "12.05.1990"),
        ("{ref}", "12 05 1990"),
        ("{ref}", "12051990"),
        ("{ref}", "1990-05-12"),
    ],
)
def test_the_pair_is_read_as_people_type_it(
    app, client, make_registration, volunteer_name, typed_reference, typed_birth_date
):
    ref = reference_of(app, make_registration(volunteer_name))
    typed = typed_reference.format(
        ref=ref, ref_lower_no_dashes=ref.replace("-", "").lower(), ref_no_prefix=ref[3:]
    )
    assert answer(look_up(client, typed, typed_birth_date)) == "received"


def test_a_record_back_from_a_correction_is_being_checked(
    app, client, make_registration, make_user, volunteer_name
):
    registration_id = make_registration(volunteer_name)
    actor_id = coordinator_user(app, make_user)
    with app.app_context():
        record = db.session.get(Registration, registration_id)
        actor = db.session.get(User, actor_id)
        change_status(record, "needs_fix", actor=actor, note="Nomor HP ahli waris Siti salah")
        db.session.commit()
    ref = reference_of(app, registration_id)
    response = look_up(client, ref)
    assert answer(response) == "needs_fix"
    page = response.get_data(as_text=True)
    assert "Perlu perbaikan data" in page
    assert "Nomor HP ahli waris" not in page  # the coordinator's note is not the public's
    with app.app_context():
        record = db.session.get(Registration, registration_id)
        change_status(record, "submitted", actor=record.collected_by)  # the volunteer fixed it
        db.session.commit()
    assert answer(look_up(client, ref)) == "in_review"


def make_batch(app, make_user, status: str) -> int:
    actor_id = coordinator_user(app, make_user)
    with app.app_context():
        batch = EnrollmentBatch(
            funding_source_code="APBD",
            year=2026,
            period_start=date(2026, 12, 1),
            period_end=date(2026, 12, 31),
            status=status,
            created_by_id=actor_id,
        )
        db.session.add(batch)
        db.session.commit()
        return batch.id


@pytest.mark.parametrize(
    ("status", "batch", "stage", "words"),
    [
        ("approved", None, "approved", "Disetujui"),
        ("exported", BatchStatus.READY, "in_batch", "Disiapkan untuk BPJS Ketenagakerjaan"),
        ("exported", BatchStatus.SENT, "sent_to_bpjs", "Dikirim ke BPJS Ketenagakerjaan"),
    ],
)
def test_the_way_to_bpjs_in_plain_words(
    app, client, make_registration, make_user, volunteer_name, status, batch, stage, words
):
    registration_id = make_registration(volunteer_name, status=status)
    if batch is not None:
        batch_id = make_batch(app, make_user, batch)
        with app.app_context():
            db.session.get(Registration, registration_id).batch_id = batch_id
            db.session.commit()
    response = look_up(client, reference_of(app, registration_id))
    assert answer(response) == stage
    assert words in response.get_data(as_text=True)


def test_an_enrolled_worker_sees_the_kpj_masked_but_for_its_last_4_digits(
    app, client, make_registration, volunteer_name
):
    registration_id = make_registration(volunteer_name, status="enrolled")
    with app.app_context():
        record = db.session.get(Registration, registration_id)
        record.kpj_number = "26123456789"
        record.coverage_starts_on = date(2026, 12, 1)
        db.session.commit()
    response = look_up(client, reference_of(app, registration_id))
    page = response.get_data(as_text=True)
    assert answer(response) == "enrolled"
    assert "Terdaftar sebagai peserta BPJS Ketenagakerjaan" in page
    assert "•••••••6789" in page
    assert "26123456789" not in page and "2612345" not in page
    assert "01-12-2026" in page  # cover starts


def test_a_rejection_says_why_in_general_terms_only(
    app, client, make_registration, make_user, volunteer_name
):
    from webapp.review.decisions import Decision, decide

    ids = [
        make_registration(volunteer_name),
        make_registration(volunteer_name, nik="3374011205900013"),
    ]
    actor_id = coordinator_user(app, make_user)
    with app.app_context():
        actor = db.session.get(User, actor_id)
        first, second = (db.session.get(Registration, i) for i in ids)
        note = "Budi sudah punya KPJ dari kantor lamanya"
        decide(
            first, Decision("reject", "already_covered", note), actor=actor, expected_version=None
        )
        decide(
            second,
            Decision("reject", "other", "Pindah ke Kendal"),
            actor=actor,
            expected_version=None,
        )
        db.session.commit()
    response = look_up(client, reference_of(app, ids[0]))
    page = response.get_data(as_text=True)
    assert answer(response) == "rejected"
    assert "Tidak diterima" in page and "Sudah menjadi peserta BPJS Ketenagakerjaan." in page
    assert "kantor lamanya" not in page
    other = look_up(client, reference_of(app, ids[1])).get_data(as_text=True)
    assert "Hubungi relawan atau kantor Disnaker Kota Semarang untuk penjelasannya." in other
    assert "Kendal" not in other


def test_every_status_has_its_own_words():
    """A new status (a refusal by BPJS, leaving the programme) needs words for /cek."""
    from webapp.domain.public_status import STAGE_BY_STATUS, WORDS

    assert set(STAGE_BY_STATUS) == set(RegistrationStatus)
    assert set(STAGE_BY_STATUS.values()) | {"in_review", "sent_to_bpjs", "other"} == set(WORDS)


def test_every_reason_a_coordinator_can_give_has_public_words():
    from webapp.review.decisions import REJECT_REASONS

    assert set(REJECT_REASONS) - {"other"} == set(REJECTION_WORDS)


def test_a_duplicate_points_to_the_reference_kept(
    app, client, make_registration, make_user, volunteer_name
):
    from webapp.review.decisions import mark_duplicate

    kept_id = make_registration(volunteer_name)
    dropped_id = make_registration(volunteer_name, flags=["possible_duplicate"])
    actor_id = coordinator_user(app, make_user)
    with app.app_context():
        keep, drop = db.session.get(Registration, kept_id), db.session.get(Registration, dropped_id)
        mark_duplicate(keep, drop, actor=db.session.get(User, actor_id), expected_version=None)
        db.session.commit()
    response = look_up(client, reference_of(app, dropped_id))
    assert answer(response) == "duplicate"
    assert f"data-kept-reference>{reference_of(app, kept_id)}<" in response.get_data(as_text=True)


@pytest.mark.parametrize("status", [s.value for s in RegistrationStatus])
def test_no_status_shows_anything_personal(app, client, make_registration, volunteer_name, status):
    ref = reference_of(app, make_registration(volunteer_name, status=status))
    response = look_up(client, ref)
    assert response.status_code == 200 and answer(response) not in (None, "not_found")
    page = response.get_data(as_text=True)
    for personal in PERSONAL:
        assert personal not in page, personal


def test_an_unknown_reference_and_a_wrong_birth_date_get_the_same_answer(
    app, client, make_registration, volunteer_name
):
    ref = reference_of(app, make_registration(volunteer_name))
    unknown = "PS-ZZZZ-ZZZZ" if ref != "PS-ZZZZ-ZZZZ" else "PS-0000-0000"
    pages = []
    for typed_ref, born in ((unknown, BUDI_BORN), (ref, "13-05-1990")):
        response = look_up(client, typed_ref, born)
        assert response.status_code == 200
        assert answer(response) == "not_found"
        page = CSRF_VALUE.sub("", response.get_data(as_text=True)).replace(typed_ref, "REF")
        pages.append(page)
    assert pages[0] == pages[1]
    assert "Tidak ditemukan" in pages[0]
    assert "13-05-1990" not in pages[1]  # the birth date is not written back


def test_every_answer_takes_the_same_least_time(app, client, make_registration, volunteer_name):
    app.config["LOOKUP_MIN_SECONDS"] = 0.25
    ref = reference_of(app, make_registration(volunteer_name))
    token = csrf_token(client, "/cek")
    took = {}
    for case, (typed_ref, born) in {
        "found": (ref, BUDI_BORN),
        "unknown reference": ("PS-ZZZZ-ZZZY", BUDI_BORN),
        "wrong birth date": (ref, "01-01-1991"),
    }.items():
        started = time.monotonic()
        client.post("/cek", data={"reference": typed_ref, "birth_date": born, "csrf_token": token})
        took[case] = time.monotonic() - started
    assert all(seconds >= 0.25 for seconds in took.values()), took


@pytest.mark.parametrize(
    ("reference", "birth_date", "field", "message"),
    [
        ("", BUDI_BORN, "reference", "Wajib diisi."),
        ("PS-28T5", BUDI_BORN, "reference", "Tulis nomor referensi seperti di kartu"),
        ("PS-28T5-CY4T", "", "birth_date", "Wajib diisi."),
        ("PS-28T5-CY4T", "31-02-1990", "birth_date", "Tulis tanggal lahir seperti di KTP"),
        ("PS-28T5-CY4T", "1990", "birth_date", "Tulis tanggal lahir seperti di KTP"),
    ],
)
def test_what_cannot_be_a_pair_is_explained_by_the_field(
    client, reference, birth_date, field, message
):
    response = look_up(client, reference, birth_date)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page)
    assert answer(response) is None


def test_the_page_follows_the_language_switch(client):
    client.set_cookie("lang", "en")
    response = look_up(client, "", BUDI_BORN)
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Required." in page


def test_the_post_is_limited_per_address_with_a_page_in_indonesian(migrated_database):
    app = make_app(migrated_database, LOOKUP_RATE_LIMIT="3 per minute", LOOKUP_MIN_SECONDS=0)
    client = app.test_client()
    statuses = [look_up(client, "PS-ZZZZ-ZZZZ").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = look_up(client, "PS-ZZZZ-ZZZY")
    assert limited.status_code == 429
    page = limited.get_data(as_text=True)
    assert '<html lang="id">' in page and "Terlalu banyak percobaan" in page
    assert client.get("/cek").status_code == 200  # reading the page is not limited


def test_one_reference_is_limited_whichever_address_asks(migrated_database):
    """A known reference (a photographed card) is no way to guess the birth date."""
    app = make_app(migrated_database, LOOKUP_REFERENCE_RATE_LIMIT="2 per day", LOOKUP_MIN_SECONDS=0)
    client = app.test_client()
    statuses = [
        look_up(
            client, typed, f"0{n}-01-1990", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        ).status_code
        for n, typed in enumerate(("PS-ZZZZ-ZZZZ", "ps zzzz zzzz", "zzzzzzzz"), start=1)
    ]
    assert statuses == [200, 200, 429]
    other = look_up(client, "PS-ZZZZ-ZZZY", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12-05-1990", date(1990, 5, 12)),
        ("1-5-1990", date(1990, 5, 1)),
        ("12 / 05 / 1990", date(1990, 5, 12)),
        ("12051990", date(1990, 5, 12)),
        ("1990-05-12", date(1990, 5, 12)),
        ("31-02-1990", None),
        ("12-05-90", None),
        ("", None),
    ],
)
def test_birth_dates_are_read_as_the_ktp_writes_them(typed, read):
    assert read_birth_date(typed) == read


def test_a_kpj_is_masked_but_for_its_last_4_digits():
    assert mask_kpj("26123456789") == "•••••••6789"
    assert mask_kpj("1234") == "••••"
