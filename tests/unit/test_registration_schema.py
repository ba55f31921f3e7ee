"""The registration schema: every error blocks with its message, normalisation is stable."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from tests.conftest import TEST_SECRET, valid_registration
from webapp import create_app
from webapp.domain.choices import FormChoices
from webapp.domain.schemas import normalise_phone, validate_registration

TODAY = date(2026, 11, 24)
CHOICES = FormChoices(
    kecamatan=[("33.74.02", "Semarang Utara")],
    kelurahan={"33.74.02": [("33.74.02.1008", "Tanjung Mas")]},
    occupations=[("nelayan", "Nelayan", "Fisher"), ("lainnya", "Lainnya", "Other")],
    drives=[(7, "Pendataan TPI Tambak Lorok")],
)


@pytest.fixture(scope="module")
def plain_app() -> Flask:
    return create_app({"SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def validate(form: dict[str, str], plain_app: Flask, lang: str = "id"):
    headers = {"Cookie": f"lang={lang}"}
    with plain_app.test_request_context("/", headers=headers):
        return validate_registration(form, choices=CHOICES, today=TODAY)


def test_valid_registration_is_normalised(plain_app):
    data, errors = validate(
        valid_registration(full_name="  budi   Santoso ", nik="3374 0112 0590 0012"), plain_app
    )
    assert errors == {}
    assert data["nik"] == "3374011205900012"
    assert data["full_name"] == "budi Santoso"
    assert data["birth_date"] == date(1990, 5, 12)
    assert data["phone"] == "+6281234567890"
    assert data["heir_phone"] == "+6281298765432"
    assert data["monthly_income"] == 1_500_000
    assert data["occupation_other"] is None
    assert data["workplace"] == "TPI Tambak Lorok"
    assert data["drive_id"] is None
    assert data["consent"] is True


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"nik": ""}, "nik", "Wajib diisi."),
        ({"nik": "3374O11205900012"}, "nik", "NIK hanya boleh berisi angka."),
        ({"nik": "337401120590001"}, "nik", "NIK harus 16 angka."),
        ({"nik": "9974011205900012"}, "nik", "Dua angka pertama NIK bukan kode provinsi"),
        ({"nik": "3300011205900012"}, "nik", "tidak boleh 00"),
        ({"nik": "3374013205900012"}, "nik", "Tanggal lahir di dalam NIK"),
        ({"nik": "3374011205900000"}, "nik", "tidak boleh 0000"),
        ({"full_name": "B"}, "full_name", "Nama harus 2 sampai 100 karakter."),
        ({"full_name": "Budi 2"}, "full_name", "Nama tidak boleh berisi angka."),
        ({"full_name": "B" * 101}, "full_name", "Nama harus 2 sampai 100 karakter."),
        ({"birth_date": "1990/05/12"}, "birth_date", "Tanggal tidak valid; tulis HH-BB-TTTT"),
        ({"birth_date": "12-05-90"}, "birth_date", "Tanggal tidak valid; tulis HH-BB-TTTT"),
        ({"birth_date": "31-02-1990"}, "birth_date", "Tanggal lahir tidak valid."),
        ({"birth_date": "1990-02-30"}, "birth_date", "Tanggal lahir tidak valid."),
        ({"birth_date": "2027-01-01"}, "birth_date", "tidak boleh di masa depan"),
        ({"birth_date": "1850-01-01"}, "birth_date", "Tanggal lahir tidak valid."),
        ({"sex": "X"}, "sex", "Pilih laki-laki (L) atau perempuan (P)."),
        ({"sex": ""}, "sex", "Wajib diisi."),
        ({"phone": "12345"}, "phone", "Nomor HP harus nomor seluler Indonesia"),
        ({"phone": "0212345678"}, "phone", "Nomor HP harus nomor seluler Indonesia"),
        ({"address": ""}, "address", "Wajib diisi."),
        ({"address": "x" * 301}, "address", "Terlalu panjang (paling banyak 300 karakter)."),
        ({"kelurahan_code": ""}, "kelurahan_code", "Pilih kelurahan."),
        ({"kelurahan_code": "33.22.01.2001"}, "kelurahan_code", "Pilih kelurahan di Kota Semarang"),
        ({"occupation": "astronaut"}, "occupation", "Pilih pekerjaan dari daftar."),
        ({"occupation": "lainnya"}, "occupation_other", "Tuliskan pekerjaannya."),
        ({"monthly_income": "satu juta"}, "monthly_income", "Penghasilan harus angka rupiah"),
        ({"monthly_income": "-5000"}, "monthly_income", "Penghasilan harus angka rupiah"),
        ({"monthly_income": "5000000000"}, "monthly_income", "Penghasilan terlalu besar"),
        ({"heir_name": ""}, "heir_name", "Wajib diisi."),
        ({"heir_relationship": "tetangga"}, "heir_relationship", "Pilih hubungan ahli waris"),
        ({"heir_phone": "0812"}, "heir_phone", "Nomor HP harus nomor seluler Indonesia"),
        ({"consent": ""}, "consent", "Pekerja harus menyetujui pernyataan ini."),
        ({"consent": "no"}, "consent", "Pekerja harus menyetujui pernyataan ini."),
        ({"drive_id": "99"}, "drive_id", "Kegiatan tidak dikenal atau sudah ditutup."),
        ({"drive_id": "abc"}, "drive_id", "Kegiatan tidak dikenal atau sudah ditutup."),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_each_error_blocks_with_a_message_on_its_field(plain_app, changes, field, message):
    data, errors = validate(valid_registration(**changes), plain_app)
    assert data == {}
    assert list(errors) == [field]
    assert message in errors[field][0]


def test_several_errors_come_back_together_in_form_order(plain_app):
    form = valid_registration(consent="", heir_phone="1", drive_id="99", phone="1", nik="12")
    _, errors = validate(form, plain_app)
    assert list(errors) == ["nik", "phone", "drive_id", "heir_phone", "consent"]


@pytest.mark.parametrize(
    "typed", ["12-05-1990", "12/5/1990", "12.05.1990", "12 05 1990", "12051990"]
)
def test_birth_date_as_the_ktp_shows_it(plain_app, typed):
    data, errors = validate(valid_registration(birth_date=typed), plain_app)
    assert errors == {}
    assert data["birth_date"] == date(1990, 5, 12)


def test_blk_interest_is_optional_and_the_trade_kept_only_with_an_interest(plain_app):
    data, errors = validate(valid_registration(), plain_app)
    assert errors == {}
    assert (data["blk_training"], data["blk_job_fair"], data["blk_trade"]) == (False, False, None)
    data, _ = validate(valid_registration(blk_job_fair="yes", blk_trade=" Las "), plain_app)
    assert (data["blk_training"], data["blk_job_fair"], data["blk_trade"]) == (False, True, "Las")
    data, _ = validate(valid_registration(blk_trade="Las"), plain_app)
    assert data["blk_trade"] is None
    _, errors = validate(valid_registration(blk_training="no", blk_trade="x" * 101), plain_app)
    assert list(errors) == ["blk_training", "blk_trade"]


def test_a_refused_other_occupation_gets_one_message(plain_app):
    _, errors = validate(
        valid_registration(occupation="lainnya", occupation_other="x" * 101), plain_app
    )
    assert errors == {"occupation_other": ["Terlalu panjang (paling banyak 100 karakter)."]}


def test_messages_are_translated_to_english(plain_app):
    _, errors = validate(valid_registration(nik="12", consent="", phone="1"), plain_app, "en")
    assert errors["nik"] == ["The NIK must be 16 digits."]
    assert errors["consent"] == ["The worker must agree to this statement."]
    assert errors["phone"][0].startswith("The phone number must be an Indonesian mobile number")


def test_other_occupation_is_kept_only_for_lainnya(plain_app):
    data, _ = validate(
        valid_registration(occupation="lainnya", occupation_other="Tukang tambal ban"), plain_app
    )
    assert data["occupation_other"] == "Tukang tambal ban"
    data, _ = validate(valid_registration(occupation_other="Tukang tambal ban"), plain_app)
    assert data["occupation_other"] is None


def test_open_drive_is_accepted(plain_app):
    data, errors = validate(valid_registration(drive_id="7"), plain_app)
    assert errors == {}
    assert data["drive_id"] == 7


def test_json_payload_types_are_accepted(plain_app):
    payload = {**valid_registration(), "monthly_income": 2_000_000, "drive_id": 7}
    data, errors = validate(payload, plain_app)
    assert errors == {}
    assert data["monthly_income"] == 2_000_000


def test_unknown_fields_are_ignored(plain_app):
    data, errors = validate({**valid_registration(), "status": "approved"}, plain_app)
    assert errors == {}
    assert "status" not in data


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("+62 (812) 3456.7890", "+6281234567890"),
        ("0895123456", "+62895123456"),
        ("08123456789012", None),
        ("0812345", None),
        ("0212345678", None),
        ("+6521234567", None),
        ("", None),
    ],
)
def test_phone_normalisation(typed, stored):
    assert normalise_phone(typed) == stored
