"""The phone's rules (``GET /app/rules.json``): the registration schema, the NIK rules and
the programme settings described as data, so the phone refuses before saving what the
server would call invalid, and warns as the server would flag.

Everything here is read from the objects the server validates with (the schema's fields,
their validators and messages, ``nik``'s codes, ``money``'s patterns, the form's choices,
the settings), never written twice. The phone's side is ``static/js/validate.js``;
``tests/vectors/registration.json`` is run through both, and each must give the answers
written there. Regular expressions travel as JavaScript sources (``u`` flag) made from
the compiled Python ones.

The shape (``PhoneRules`` in ``static/js/pages.d.ts``)::

    {"format": "pijar-rules", "version": 1, "digest": "…", "language": "id",
     "fields": [{"name": "nik", "kind": "nik", "required": true, "messages": {…}}, …],
     "patterns": {"whitespace": "…", "unstorable": {"source": …, "flags": "u"}, …},
     "phone": {"prefixes": ["+62", "62", "0"], "stored_prefix": "+62"},
     "nik": {"length": 16, "provinces": […], "female_day_offset": 40, …},
     "warnings": {"age": {"min": 18, "max": 65}, "income": {…}, "messages": {…}}}
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from functools import cache
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from ..models import Flag
from . import money, schemas
from . import nik as nik_rules
from .choices import FormChoices
from .reference import OTHER_OCCUPATION, ProgrammeSettings

FORMAT = "pijar-rules"
# The shape's version: validate.js checks nothing with rules of a version it does not know.
VERSION = 1

# The kind of each field class (subclasses first): what validate.js does with a value.
KINDS: tuple[tuple[type, str], ...] = (
    (schemas.NikField, "nik"),
    (schemas.PersonNameField, "person_name"),
    (schemas.MobilePhoneField, "mobile"),
    (schemas.Text, "text"),
    (schemas.BirthDateField, "date"),
    (schemas.RupiahField, "rupiah"),
    (schemas.YesField, "yes"),
    (fields.Integer, "integer"),
)

# What a volunteer reads beside a field that deserves a second look (never blocking), by
# flag, or by flag and field where the flag has a word for each field it concerns.
WARNING_MESSAGES = {
    f"{Flag.NIK_OUTSIDE_SEMARANG}": _l(
        "NIK ini diterbitkan di luar Kota Semarang. Boleh disimpan; koordinator akan memeriksa."
    ),
    f"{Flag.NIK_BIRTH_MISMATCH}.birth_date": _l(
        "Tanggal lahir tidak cocok dengan NIK; periksa lagi dengan KTP."
    ),
    f"{Flag.NIK_BIRTH_MISMATCH}.sex": _l(
        "Jenis kelamin tidak cocok dengan NIK; periksa lagi dengan KTP."
    ),
    f"{Flag.INCOME_UNUSUAL}": _l("Penghasilan di luar kisaran yang biasa; periksa angkanya"),
    f"{Flag.POSSIBLE_DUPLICATE}": _l("NIK ini sudah tersimpan di HP ini."),
}


def phone_rules(choices: FormChoices, settings: ProgrammeSettings) -> dict[str, Any]:
    """The rules document for the phone, with every message in this request's language."""
    # Only its fields are read: the day does not matter.
    schema = schemas.RegistrationSchema(choices=choices, today=schemas.OLDEST_BIRTH_DATE)
    missing = set(schemas.REGISTRATION_FIELDS) ^ set(schema.fields)
    if missing:
        raise LookupError(f"the form's fields and the schema's differ: {sorted(missing)}")
    body = {
        "format": FORMAT,
        "version": VERSION,
        "language": str(get_locale() or "id"),
        "fields": [
            _field_rule(name, schema.fields[name], choices) for name in schemas.REGISTRATION_FIELDS
        ],
        "patterns": {
            "whitespace": _class_body(python_whitespace()),
            "digit": _class_body(python_digits()),
            "unstorable": js_pattern(schemas.UNSTORABLE),
            "line_breaks": js_pattern(schemas.LINE_BREAKS),
        },
        "phone": {
            "prefixes": list(schemas.PHONE_PREFIXES),
            "stored_prefix": schemas.STORED_PHONE_PREFIX,
            "separators": js_pattern(schemas.PHONE_SEPARATORS),
            "national": js_pattern(schemas.MOBILE_NATIONAL),
        },
        "rupiah": {
            "prefix": js_pattern(money._PREFIX),
            "amount": js_pattern(money._AMOUNT),
        },
        "nik": {
            "length": nik_rules._NIK_LENGTH,
            "separators": "".join(sorted(nik_rules._SEPARATORS)),
            "provinces": sorted(nik_rules.VALID_PROVINCE_CODES),
            "female_day_offset": nik_rules._FEMALE_DAY_OFFSET,
            "issued_in_semarang": nik_rules.SEMARANG_CITY_PREFIX,
        },
        "warnings": {
            "age": {"min": settings.min_age, "max": settings.max_age},
            "income": {"min": settings.income_usual_min, "max": settings.income_usual_max},
            "messages": {
                **{key: str(message) for key, message in WARNING_MESSAGES.items()},
                f"{Flag.AGE_OUT_OF_RANGE}": str(
                    _l(
                        "Usia di luar batas program (%(min)d–%(max)d tahun).",
                        min=settings.min_age,
                        max=settings.max_age,
                    )
                ),
            },
        },
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return {**body, "digest": digest}


def _field_rule(name: str, field: fields.Field, choices: FormChoices) -> dict[str, Any]:
    kind = next((kind for cls, kind in KINDS if isinstance(field, cls)), None)
    if kind is None:
        raise LookupError(f"no phone rule for {name} ({type(field).__name__})")
    rule: dict[str, Any] = {"name": name, "kind": kind, "required": field.required}
    messages: dict[str, str] = {}
    if field.required:
        messages["required"] = str(field.error_messages["required"])
    if isinstance(field, schemas.Text):
        rule["checks_characters"] = True
        messages["unstorable"] = str(schemas.UNSTORABLE_MESSAGE)
    for validator in field.validators:
        if isinstance(validator, validate.Length):
            rule["max"] = validator.max
            messages["max"] = str(validator.error)
        elif isinstance(validator, validate.OneOf):
            rule["choices"] = [str(choice) for choice in validator.choices]
            messages["choice"] = str(validator.error)
        elif isinstance(validator, validate.Equal):
            rule["equal"] = validator.comparable
            messages["equal"] = str(validator.error)
        else:
            raise LookupError(f"no phone rule for {name}'s {type(validator).__name__}")
    rule.update(_kind_rule(kind, field, messages))
    rule.update(_reference_rule(name, choices, messages))
    rule["messages"] = messages
    return rule


def _kind_rule(kind: str, field: fields.Field, messages: dict[str, str]) -> dict[str, Any]:
    """What each kind of field checks beyond being there, with its messages."""
    if kind == "nik":
        messages.update({reason: str(text) for reason, text in schemas.NIK_MESSAGES.items()})
    elif kind == "person_name":
        messages["digits"] = str(schemas.NAME_DIGITS_MESSAGE)
        messages["length"] = str(schemas.NAME_LENGTH_MESSAGE)
        return {
            "min_length": schemas.NAME_MIN_LENGTH,
            "max_length": schemas.NAME_MAX_LENGTH,
            "min_letters": schemas.NAME_MIN_LETTERS,
        }
    elif kind == "mobile":
        messages["invalid"] = str(schemas.PHONE_MESSAGE)
    elif kind == "date":
        messages["format"] = str(field.error_messages["format"])
        messages["invalid"] = str(field.error_messages["invalid"])
        messages["future"] = str(schemas.BIRTH_DATE_FUTURE)
        return {
            "formats": [
                {"pattern": js_pattern(pattern), "order": order}
                for pattern, order in schemas.BIRTH_DATE_FORMATS
            ],
            "oldest": schemas.OLDEST_BIRTH_DATE.isoformat(),
        }
    elif kind == "rupiah":
        messages["invalid"] = str(money.NOT_AN_AMOUNT)
        messages["sen"] = str(money.HAS_SEN)
        messages["too_large"] = str(schemas.INCOME_TOO_LARGE)
        return {"max": schemas.MAX_MONTHLY_INCOME}
    elif kind in ("yes", "integer"):
        messages["invalid"] = str(field.error_messages["invalid"])
        return {"value": schemas.YES} if kind == "yes" else {}
    return {}


def _reference_rule(name: str, choices: FormChoices, messages: dict[str, str]) -> dict[str, Any]:
    """What ``RegistrationSchema.check_against_reference`` checks of this field."""
    if name == "kelurahan_code":
        messages["choice"] = str(schemas.KELURAHAN_UNKNOWN)
        return {"choices": sorted(choices.kelurahan_codes)}
    if name == "occupation":
        messages["choice"] = str(schemas.OCCUPATION_UNKNOWN)
        return {"choices": [code for code, _, _ in choices.occupations]}
    if name == "occupation_other":
        messages["required_when"] = str(schemas.OCCUPATION_OTHER_MISSING)
        return {"required_when": {"field": "occupation", "value": OTHER_OCCUPATION}}
    if name == "drive_id":
        messages["choice"] = str(schemas.DRIVE_UNKNOWN)
        return {"choices": [str(drive_id) for drive_id, _ in choices.drives]}
    return {}


# --- Python's regular expressions as JavaScript's --------------------------------------


@cache
def python_whitespace() -> str:
    """Every character Python's str.strip(), str.split() and re's \\s treat as white space
    (JavaScript's \\s differs: it has U+FEFF, lacks U+001C..U+001F and U+0085)."""
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


@cache
def python_digits() -> str:
    """Every character for which Python's str.isdigit() is true (a name may hold none):
    the decimal digits of every script, and also '²', '①' and their kind."""
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isdigit())


def _class_body(chars: str) -> str:
    """The inside of a JavaScript character class (``u`` flag) holding exactly ``chars``."""
    runs: list[list[int]] = []
    for code in sorted(map(ord, chars)):
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(f"\\u{{{a:x}}}" if a == b else f"\\u{{{a:x}}}-\\u{{{b:x}}}" for a, b in runs)


def js_pattern(pattern: re.Pattern[str]) -> dict[str, str]:
    """A compiled Python pattern as a JavaScript RegExp's source and flags, to be matched
    whole (as ``fullmatch``) or searched (as ``search``) as the server does.

    Only what these patterns use is translated: named groups, and \\s as Python means it.
    """
    source = pattern.pattern.replace("(?P<", "(?<")
    whitespace = _class_body(python_whitespace())
    out, in_class, i = [], False, 0
    while i < len(source):
        char = source[i]
        if char == "\\" and source[i + 1 : i + 2] == "s":
            out.append(whitespace if in_class else f"[{whitespace}]")
            i += 2
            continue
        if char == "\\":
            out.append(source[i : i + 2])
            i += 2
            continue
        in_class = (in_class or char == "[") and char != "]"
        out.append(char)
        i += 1
    flags = "u" + ("i" if pattern.flags & re.IGNORECASE else "")
    return {"source": "".join(out), "flags": flags}
