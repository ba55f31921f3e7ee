"""The registration form without JavaScript (and as htmx sends it)."""

from __future__ import annotations

import html
import json
import re

from sqlalchemy import func, select

from tests.conftest import csrf_token, login, valid_registration
from webapp.extensions import db
from webapp.models import Registration

FIELD_ERROR = re.compile(r'class="field-error" id="([a-z_]+)-error">([^<]+)<')


def submit(client, form, **kwargs):
    return client.post(
        "/app/register", data={**form, "csrf_token": csrf_token(client, "/app/register")}, **kwargs
    )


def count_registrations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Registration))


def field_errors(response) -> dict[str, str]:
    return dict(FIELD_ERROR.findall(response.get_data(as_text=True)))


def test_the_form_offers_every_kelurahan_by_kecamatan(client, volunteer):
    page = client.get("/app/register").get_data(as_text=True)
    assert page.count("<optgroup") == 16
    assert len(re.findall(r'<option value="33\.74\.\d\d\.1\d{3}"', page)) == 177
    assert 'inputmode="numeric"' in page
    assert "UU No. 27 Tahun 2022" in page


def test_valid_registration_is_stored_and_gets_a_receipt(app, client, volunteer):
    response = submit(client, valid_registration())
    assert response.status_code == 303
    receipt = client.get(response.location)
    text = receipt.get_data(as_text=True)
    reference = re.search(r"data-reference>(PS-[0-9A-Z]{4}-[0-9A-Z]{4})<", text).group(1)
    assert "Budi Santoso" in text
    assert "3374 01•• •••• 0012" in text
    assert "3374011205900012" not in text
    with app.app_context():
        stored = db.session.scalar(select(Registration))
        assert stored.reference == reference
        assert stored.status == "submitted"
        assert stored.phone == "+6281234567890"
        assert stored.monthly_income == 1_500_000
        assert stored.collected_by.username == volunteer
        assert stored.flags == []
        assert stored.client_id
        assert [e.kind for e in stored.events] == ["received"]
        assert stored.events[0].actor.username == volunteer


def test_nothing_in_the_redirect_url_is_personal(client, volunteer):
    response = submit(client, valid_registration())
    assert "3374011205900012" not in response.location
    assert "Budi" not in response.location


def test_invalid_nik_missing_consent_and_bad_phone_are_shown_beside_the_fields(
    app, client, volunteer
):
    response = submit(client, valid_registration(nik="33740112", consent="", phone="12345"))
    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["nik"] == "NIK harus 16 angka."
    assert errors["consent"] == "Pekerja harus menyetujui pernyataan ini."
    assert errors["phone"].startswith("Nomor HP harus nomor seluler Indonesia")
    page = response.get_data(as_text=True)
    assert 'id="nik"' in page and 'aria-invalid="true"' in page
    assert 'value="Budi Santoso"' in page  # what was typed is kept
    assert count_registrations(app) == 0


def test_a_second_registration_of_the_same_nik_is_stored_and_flagged(app, client, volunteer):
    submit(client, valid_registration())
    response = submit(client, valid_registration(full_name="Budi S."))
    assert response.status_code == 303
    with app.app_context():
        flags = [
            r.flags for r in db.session.scalars(select(Registration).order_by(Registration.id))
        ]
    assert flags == [[], ["possible_duplicate"]]


def test_warnings_are_stored_as_flags_not_errors(app, client, volunteer):
    response = submit(client, valid_registration(nik="3322011205900012", birth_date="1990-05-13"))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Registration)).flags == [
            "nik_birth_mismatch",
            "nik_outside_semarang",
        ]


def test_htmx_submit_with_errors_returns_only_the_form(app, client, volunteer):
    response = submit(client, valid_registration(nik="1"), headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<form")
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]
    assert field_errors(response)["nik"] == "NIK harus 16 angka."


def test_htmx_submit_that_succeeds_redirects_to_the_receipt(app, client, volunteer):
    response = submit(client, valid_registration(), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/app/receipt/PS-")
    assert count_registrations(app) == 1


def test_english_form_and_messages(client, volunteer):
    client.set_cookie("lang", "en")
    page = client.get("/app/register").get_data(as_text=True)
    assert "Save registration" in page
    response = submit(client, valid_registration(consent=""))
    assert field_errors(response)["consent"] == "The worker must agree to this statement."


def test_an_expired_form_token_keeps_what_was_typed(app, client, volunteer):
    response = client.post("/app/register", data={**valid_registration(), "csrf_token": "stale"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "tekan Simpan pendaftaran lagi" in page
    assert 'value="Budi Santoso"' in page
    assert count_registrations(app) == 0
    token = CSRF = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert CSRF
    again = client.post("/app/register", data={**valid_registration(), "csrf_token": token})
    assert again.status_code == 303


def test_a_volunteer_cannot_see_another_volunteers_receipt(app, client, volunteer, make_user):
    reference = client.get(submit(client, valid_registration()).location)
    ref = re.search(r"data-reference>([^<]+)<", reference.get_data(as_text=True)).group(1)
    other = app.test_client()
    login(other, make_user("volunteer"))
    assert other.get(f"/app/receipt/{ref}").status_code == 404
    coordinator = app.test_client()
    login(coordinator, make_user("coordinator"))
    assert coordinator.get(f"/app/receipt/{ref}").status_code == 200


def test_volunteer_home_counts_their_registrations(client, volunteer):
    submit(client, valid_registration())
    page = client.get("/app").get_data(as_text=True)
    assert re.search(r'<span class="count">1</span>\s*menunggu tinjauan', page)
    assert "Budi Santoso" in page


def test_sending_the_same_form_twice_stores_it_once(app, client, volunteer):
    page = client.get("/app/register").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', page).group(1)
    form = valid_registration(client_id=client_id)
    first = submit(client, form)
    second = submit(client, form)  # a second tap, or a resend after the reply was lost
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert count_registrations(app) == 1


def test_a_form_with_errors_keeps_its_id_so_the_fixed_one_is_stored_once(app, client, volunteer):
    page = client.get("/app/register").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', page).group(1)
    rejected = submit(client, valid_registration(client_id=client_id, consent=""))
    assert f'name="client_id" value="{client_id}"' in rejected.get_data(as_text=True)
    submit(client, valid_registration(client_id=client_id))
    submit(client, valid_registration(client_id=client_id))
    assert count_registrations(app) == 1


def test_a_database_failure_logs_no_personal_data(app, client, volunteer, caplog, monkeypatch):
    import webapp.domain.registrations as rules

    first = client.get(submit(client, valid_registration()).location).get_data(as_text=True)
    taken = re.search(r"data-reference>([^<]+)<", first).group(1)
    monkeypatch.setattr(rules, "new_references", lambda n: [taken] * n)  # forces a unique violation
    response = submit(
        client,
        valid_registration(
            nik="3374015507850003", full_name="Sri Wahyuni", sex="P", birth_date="1985-07-15"
        ),
    )
    assert response.status_code == 500
    assert "IntegrityError" in caplog.text  # the failure itself is logged
    for personal in ("3374015507850003", "Sri Wahyuni", "+6281234567890", "Siti Aminah"):
        assert personal not in caplog.text
    assert count_registrations(app) == 1


# --- the phone's rules, the birth date as on the KTP, the order of errors, BLK interest ------


def test_the_phones_rules_in_the_form_order_and_the_volunteers_language(client, volunteer):
    from webapp.domain.schemas import REGISTRATION_FIELDS

    response = client.get("/app/rules.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    rules = response.get_json()
    assert [field["name"] for field in rules["fields"]] == list(REGISTRATION_FIELDS)
    fields = {field["name"]: field for field in rules["fields"]}
    assert len(fields["kelurahan_code"]["choices"]) == 177
    assert fields["consent"]["equal"] == "yes"
    assert fields["nik"]["messages"]["length"] == "NIK harus 16 angka."
    assert rules["warnings"]["age"] == {"min": 18, "max": 65}
    client.set_cookie("lang", "en")
    english = client.get("/app/rules.json").get_json()
    assert english["fields"][0]["messages"]["length"] == "The NIK must be 16 digits."
    assert english["digest"] != rules["digest"]


def test_the_form_page_carries_the_same_rules_as_rules_json(client, volunteer):
    page = client.get("/app/register").get_data(as_text=True)
    embedded = re.search(r"<meta name=\"pijar-rules\" content='([^']*)'>", page)
    assert embedded is not None
    rules = json.loads(html.unescape(embedded.group(1)))
    assert rules == client.get("/app/rules.json").get_json()


def test_the_service_worker_keeps_the_rules_and_their_checker(client):
    body = client.get("/sw.js").get_data(as_text=True)
    assert '"/app/rules.json"' in body
    assert '"/static/js/validate.js"' in body


def test_a_changed_setting_reaches_the_rules(app, client, volunteer):
    from webapp.models import ProgrammeSetting

    before = client.get("/app/rules.json").get_json()
    with app.app_context():
        db.session.scalar(select(ProgrammeSetting).filter_by(key="max_age")).value = 70
        db.session.commit()
    after = client.get("/app/rules.json").get_json()
    assert after["warnings"]["age"] == {"min": 18, "max": 70}
    assert after["digest"] != before["digest"]


def test_birth_date_typed_as_on_the_ktp_is_stored_as_that_day(app, client, volunteer):
    page = client.get("/app/register").get_data(as_text=True)
    assert 'placeholder="HH-BB-TTTT"' in page and 'type="date"' not in page
    response = submit(client, valid_registration(birth_date="12-05-1990"))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Registration.birth_date)).isoformat() == "1990-05-12"


def test_errors_are_listed_in_the_forms_order(client, volunteer):
    form = valid_registration(consent="", heir_phone="1", phone="12345", nik="33740112")
    response = submit(client, form)
    assert response.status_code == 422
    summary = re.search(r'class="notice notice-error error-summary".*?</ul>', response.text, re.S)
    assert re.findall(r'<a href="#([a-z_]+)">', summary.group(0)) == [
        "nik",
        "phone",
        "heir_phone",
        "consent",
    ]
    assert list(field_errors(response)) == ["nik", "phone", "heir_phone", "consent"]


def test_blk_interest_is_stored_when_asked(app, client, volunteer):
    submit(client, valid_registration(blk_training="yes", blk_trade="Menjahit"))
    submit(client, valid_registration(nik="3374015507850003", sex="P", birth_date="15-07-1985"))
    with app.app_context():
        rows = db.session.execute(
            select(
                Registration.blk_training, Registration.blk_job_fair, Registration.blk_trade
            ).order_by(Registration.id)
        ).all()
    assert [tuple(row) for row in rows] == [(True, False, "Menjahit"), (False, False, None)]
    page = client.get("/app/register").get_data(as_text=True)
    assert 'name="blk_training" value="yes"' in page
    assert 'name="blk_trade"' in page
