"""Rupiah read exactly: every way a volunteer or a phone writes an income, and the ones
that could be read two ways, which are refused rather than guessed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.choices import FormChoices
from webapp.domain.money import AmountError, read_rupiah
from webapp.domain.schemas import validate_registration


@pytest.mark.parametrize(
    ("sent", "rupiah"),
    [
        (1_500_000, 1_500_000),
        (1500000.0, 1_500_000),  # a JSON number with no fraction
        (Decimal("1500000.00"), 1_500_000),
        ("1500000", 1_500_000),
        ("1.500.000", 1_500_000),
        ("1 500 000", 1_500_000),
        ("Rp 1.500.000", 1_500_000),
        ("Rp1.500.000", 1_500_000),
        ("rp. 1.500.000", 1_500_000),
        ("1.500.000,00", 1_500_000),
        ("1.500.000,0", 1_500_000),
        ("1.500.000,-", 1_500_000),
        ("Rp 1.500.000,-", 1_500_000),
        ("1500000,00", 1_500_000),
        ("  1.500.000  ", 1_500_000),
        ("750.000", 750_000),
        ("0", 0),
    ],
)
def test_each_way_of_writing_an_income_is_read_to_its_true_value(sent, rupiah):
    assert read_rupiah(sent) == rupiah


@pytest.mark.parametrize(
    "sent",
    [
        "1500000²",  # a superscript two is a digit to Python, not to us
        "１５０００００",  # full-width digits
        "1,500,000",  # English grouping: in Indonesian the comma starts the sen
        "1500000.50",
        "1500000.0",  # as text, a dot is a thousands separator: this is no grouping
        "1.5",
        "1.500.000.50",
        "1.50.000",
        "1.500.000,50",  # sen
        "1.500.000,5",
        "-5000",
        "satu juta",
        "",
        "Rp",
        "1.500.000 rupiah",
        "1e6",
        True,
        None,
        ["1500000"],
        1500000.5,
        Decimal("NaN"),
        Decimal("Infinity"),
        float("inf"),
        -1,
    ],
)
def test_anything_ambiguous_or_not_an_amount_is_refused_with_a_message(sent):
    with pytest.raises(AmountError) as caught:
        read_rupiah(sent)
    assert str(caught.value.message)


def test_sen_get_their_own_message():
    with pytest.raises(AmountError, match="tanpa sen"):
        read_rupiah("1.500.000,50")
    with pytest.raises(AmountError, match="tanpa sen"):
        read_rupiah(1500000.5)


@given(st.integers(min_value=0, max_value=10**12))
def test_any_amount_written_with_dots_reads_back(amount):
    grouped = f"{amount:,}".replace(",", ".")
    assert read_rupiah(grouped) == amount
    assert read_rupiah(f"Rp {grouped},-") == amount
    assert read_rupiah(str(amount)) == amount
    assert read_rupiah(float(amount)) == amount


CHOICES = FormChoices(
    kecamatan=[("33.74.02", "Semarang Utara")],
    kelurahan={"33.74.02": [("33.74.02.1008", "Tanjung Mas")]},
    occupations=[("nelayan", "Nelayan", "Fisher")],
    drives=[],
)


def test_the_schema_stores_the_true_income_and_refuses_the_inflated_ones():
    form = {
        "nik": "3374011205900012",
        "full_name": "Budi Santoso",
        "birth_date": "1990-05-12",
        "sex": "L",
        "phone": "081234567890",
        "address": "Jl. Tambak Lorok",
        "kelurahan_code": "33.74.02.1008",
        "occupation": "nelayan",
        "heir_name": "Siti Aminah",
        "heir_relationship": "istri",
        "heir_phone": "081298765432",
        "consent": "yes",
    }
    today = date(2026, 11, 29)
    for sent in (1500000.0, "1.500.000,00", "Rp 1.500.000,-"):
        data, errors = validate_registration(
            {**form, "monthly_income": sent}, choices=CHOICES, today=today
        )
        assert errors == {} and data["monthly_income"] == 1_500_000
    for sent in ("1500000.50", "1500000²", "1,500,000"):
        _, errors = validate_registration(
            {**form, "monthly_income": sent}, choices=CHOICES, today=today
        )
        assert list(errors) == ["monthly_income"]
