"""The registration vectors shared by the server and the phone, on the server's side.

``tests/vectors/registration.json`` holds registrations as the form gives them and what
the server answers: errors by field in the form's order (in Indonesian; in English they
are the same messages translated), the birth date stored, the flags set. Here they go
through the schema and ``assess_flags``; ``tests/js/validate.test.mjs`` runs the very same
cases through the phone's ``validate.js`` with the rules the server makes for them,
``tests/vectors/registration-rules.json``. That file is checked here against what
``phone_rules`` makes now: a change on the server's side fails here until the file is made
again (``PIJAR_WRITE_RULES=1``), and then fails on the phone's side until the phone agrees.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import TEST_SECRET
from webapp import create_app
from webapp.domain.choices import FormChoices
from webapp.domain.nik import normalise_nik
from webapp.domain.phone_rules import phone_rules
from webapp.domain.reference import ProgrammeSettings
from webapp.domain.registrations import assess_flags
from webapp.domain.schemas import REGISTRATION_FIELDS, validate_registration

VECTORS_DIR = Path(__file__).parents[1] / "vectors"
VECTORS = json.loads((VECTORS_DIR / "registration.json").read_text(encoding="utf-8"))
RULES_FILE = VECTORS_DIR / "registration-rules.json"
LANGUAGES = ("id", "en")

TODAY = date.fromisoformat(VECTORS["today"])
SETTINGS = ProgrammeSettings(**VECTORS["settings"])
CHOICES = FormChoices(
    kecamatan=[tuple(row) for row in VECTORS["choices"]["kecamatan"]],
    kelurahan={k: [tuple(r) for r in rows] for k, rows in VECTORS["choices"]["kelurahan"].items()},
    occupations=[tuple(row) for row in VECTORS["choices"]["occupations"]],
    drives=[tuple(row) for row in VECTORS["choices"]["drives"]],
)
CASES = VECTORS["cases"]


def payload_of(case: dict[str, Any]) -> dict[str, str]:
    """The form as the case gives it: the base, its changes, without its removed fields."""
    payload = {**VECTORS["base"], **case["changes"]}
    for name in case.get("remove", []):
        del payload[name]
    return payload


@pytest.fixture(scope="module")
def plain_app() -> Flask:
    return create_app({"SECRET_KEY": TEST_SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def rules_in(app: Flask, lang: str) -> dict[str, Any]:
    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        return phone_rules(CHOICES, SETTINGS)


def english_for(rules: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each Indonesian message of the rules with its English, the two documents side by side."""
    pairs: dict[str, str] = {}
    id_fields, en_fields = rules["id"]["fields"], rules["en"]["fields"]
    for id_field, en_field in zip(id_fields, en_fields, strict=True):
        for key, text in id_field["messages"].items():
            assert pairs.setdefault(text, en_field["messages"][key]) == en_field["messages"][key]
    return pairs


@pytest.fixture(scope="module")
def stored_rules() -> dict[str, dict[str, Any]]:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def test_the_phone_is_tested_with_the_rules_the_server_makes(plain_app):
    made = {lang: rules_in(plain_app, lang) for lang in LANGUAGES}
    if os.environ.get("PIJAR_WRITE_RULES") == "1":
        text = json.dumps(made, ensure_ascii=False, indent=1, sort_keys=True)
        RULES_FILE.write_text(text + "\n", encoding="utf-8")
    stored = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    assert made == stored, (
        "phone_rules() no longer makes tests/vectors/registration-rules.json: make it again "
        "with PIJAR_WRITE_RULES=1 .venv/bin/python -m pytest tests/unit/"
        "test_registration_vectors.py, then run node --test tests/js/ to see the phone agree"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_server_answers_as_the_vector_says(plain_app, stored_rules, case, lang):
    translate = english_for(stored_rules) if lang == "en" else {}
    expected = {
        name: [translate.get(message, message) for message in messages]
        for name, messages in case["errors"].items()
    }
    with plain_app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        data, errors = validate_registration(payload_of(case), choices=CHOICES, today=TODAY)
    assert errors == expected
    assert list(errors) == list(expected), "in the form's order"
    if errors:
        return
    assert data["birth_date"].isoformat() == case["birth_date"]
    saved = {normalise_nik(nik) for nik in case.get("saved_niks", [])}
    flags = assess_flags(
        data, settings=SETTINGS, today=TODAY, nik_already_registered=data["nik"] in saved
    )
    assert flags == sorted(set(case["warnings"]))


def test_the_vectors_reach_every_field_and_every_message(stored_rules):
    wrong = {name for case in CASES for name in case["errors"]}
    assert set(REGISTRATION_FIELDS) - wrong == set(), "fields no vector refuses"
    said = {m for case in CASES for messages in case["errors"].values() for m in messages}
    known = {m for field in stored_rules["id"]["fields"] for m in field["messages"].values()}
    assert known - said == set(), "messages no vector expects"
    flagged = {flag for case in CASES for flag in case.get("warnings", [])}
    assert flagged == {key.split(".")[0] for key in stored_rules["id"]["warnings"]["messages"]}


def test_each_language_has_its_own_words(stored_rules):
    english = english_for(stored_rules)
    assert english["Wajib diisi."] == "Required."
    assert english["NIK harus 16 angka."] == "The NIK must be 16 digits."
    assert stored_rules["en"]["language"] == "en"
    assert stored_rules["id"]["digest"] != stored_rules["en"]["digest"]


def test_the_rules_have_the_shape_the_phone_is_typed_with(stored_rules):
    types = (Path(__file__).parents[2] / "webapp" / "static" / "js" / "pages.d.ts").read_text()
    body = re.search(r"interface PhoneRules \{(.*?)\n\}", types, re.S).group(1)
    typed = set(re.findall(r"^  (\w+)\??:", body, re.M))
    assert typed == set(stored_rules["id"])
    field = re.search(r"interface PhoneFieldRule \{(.*?)\n\}", types, re.S).group(1)
    typed_field = set(re.findall(r"^  (\w+)\??:", field, re.M))
    used = {key for rule in stored_rules["id"]["fields"] for key in rule}
    assert used <= typed_field
