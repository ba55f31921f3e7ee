"""Warnings become flags; they never block a registration."""

from __future__ import annotations

import re
from datetime import date

import pytest

from webapp.domain.reference import ProgrammeSettings
from webapp.domain.registrations import age_on, assess_flags, new_reference

TODAY = date(2026, 11, 24)
SETTINGS = ProgrammeSettings(
    jkk_rate_bp=100, jkk_income_floor=1_000_000, jkm_monthly=6_800, min_age=18, max_age=65
)


def flags_for(
    nik="3374011205900012",
    birth_date=date(1990, 5, 12),
    sex="L",
    registered=False,
    settings=SETTINGS,
):
    data = {"nik": nik, "birth_date": birth_date, "sex": sex}
    return assess_flags(data, settings=settings, today=TODAY, nik_already_registered=registered)


def test_a_clean_registration_has_no_flags():
    assert flags_for() == []


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"registered": True}, "possible_duplicate"),
        ({"nik": "3322011205900012"}, "nik_outside_semarang"),  # Kabupaten Semarang
        ({"nik": "3174011205900012"}, "nik_outside_semarang"),  # Jakarta
        ({"birth_date": date(1990, 5, 13)}, "nik_birth_mismatch"),
        ({"sex": "P"}, "nik_birth_mismatch"),
        ({"nik": "3374011205500012", "birth_date": date(1950, 5, 12)}, "age_out_of_range"),
        ({"nik": "3374011205100012", "birth_date": date(2010, 5, 12)}, "age_out_of_range"),
    ],
)
def test_each_warning_becomes_its_flag(kwargs, flag):
    assert flags_for(**kwargs) == [flag]


def test_age_bounds_come_from_the_settings():
    older = ProgrammeSettings(**{**SETTINGS.__dict__, "max_age": 80})
    born_1950 = {"nik": "3374011205500012", "birth_date": date(1950, 5, 12)}
    assert flags_for(**born_1950) == ["age_out_of_range"]
    assert flags_for(**born_1950, settings=older) == []


@pytest.mark.parametrize(
    ("born", "age"),
    [(date(2008, 11, 24), 18), (date(2008, 11, 25), 17), (date(1961, 11, 24), 65)],
)
def test_age_counts_whole_years(born, age):
    assert age_on(born, TODAY) == age


def test_boundary_ages_are_not_flagged():
    assert flags_for(nik="3374012411080001", birth_date=date(2008, 11, 24)) == []
    assert flags_for(nik="3374012411610001", birth_date=date(1961, 11, 24)) == []


def test_references_are_short_and_unambiguous():
    refs = {new_reference() for _ in range(500)}
    assert len(refs) == 500
    for ref in refs:
        assert re.fullmatch(r"PS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", ref)
