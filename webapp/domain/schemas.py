"""The registration schema: the one source of validation for the HTML form and the sync API.

Errors block a registration; they come back per field, in the user's language.
Warnings never block: ``registrations.assess_flags`` turns them into flags for a
coordinator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from . import nik as nik_rules
from .choices import FormChoices
from .money import AmountError, read_rupiah
from .parsing import DATE_FORMAT, REQUIRED
from .reference import HEIR_RELATIONSHIPS, OTHER_OCCUPATION

# In the form's order: errors come back in this order, on the form and from the sync API.
REGISTRATION_FIELDS = (
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "phone",
    "address",
    "kelurahan_code",
    "occupation",
    "occupation_other",
    "workplace",
    "monthly_income",
    "drive_id",
    "heir_name",
    "heir_relationship",
    "heir_phone",
    "blk_training",
    "blk_job_fair",
    "blk_trade",
    "consent",
)
# The optional questions for the Disnaker's BLK: interest in training, news of job fairs.
BLK_INTEREST_FIELDS = ("blk_training", "blk_job_fair")
YES = "yes"  # what a ticked box sends: consent, and the BLK questions

MAX_MONTHLY_INCOME = 1_000_000_000
OLDEST_BIRTH_DATE = date(1900, 1, 1)
NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 100
NAME_MIN_LETTERS = 2

NIK_MESSAGES = {
    "digits": _l("NIK hanya boleh berisi angka."),
    "length": _l("NIK harus 16 angka."),
    "province": _l("Dua angka pertama NIK bukan kode provinsi yang dikenal."),
    "region": _l("Kode kota/kabupaten atau kecamatan dalam NIK tidak boleh 00."),
    "date": _l("Tanggal lahir di dalam NIK (angka ke-7 sampai ke-12) tidak valid."),
    "serial": _l("Nomor urut NIK (4 angka terakhir) tidak boleh 0000."),
}
PHONE_MESSAGE = _l("Nomor HP harus nomor seluler Indonesia, mis. 0812 3456 7890.")
NAME_LENGTH_MESSAGE = _l("Nama harus 2 sampai 100 karakter.")
NAME_DIGITS_MESSAGE = _l("Nama tidak boleh berisi angka.")
BIRTH_DATE_INVALID = _l("Tanggal lahir tidak valid.")
BIRTH_DATE_FUTURE = _l("Tanggal lahir tidak boleh di masa depan.")
SEX_MESSAGE = _l("Pilih laki-laki (L) atau perempuan (P).")
KELURAHAN_REQUIRED = _l("Pilih kelurahan.")
KELURAHAN_UNKNOWN = _l("Pilih kelurahan di Kota Semarang dari daftar.")
OCCUPATION_REQUIRED = _l("Pilih pekerjaan.")
OCCUPATION_UNKNOWN = _l("Pilih pekerjaan dari daftar.")
OCCUPATION_OTHER_MISSING = _l("Tuliskan pekerjaannya.")
INCOME_TOO_LARGE = _l("Penghasilan terlalu besar; periksa lagi angkanya.")
RELATIONSHIP_MESSAGE = _l("Pilih hubungan ahli waris dari daftar.")
DRIVE_UNKNOWN = _l("Kegiatan tidak dikenal atau sudah ditutup.")
CONSENT_MESSAGE = _l("Pekerja harus menyetujui pernyataan ini.")
YES_OR_NOTHING = _l("Centang kotak ini atau biarkan kosong.")

# The country code and trunk prefix a mobile number may start with, then the national
# number. ASCII digits only: Python's \d also matches the digits of other scripts.
PHONE_PREFIXES = ("+62", "62", "0")
STORED_PHONE_PREFIX = "+62"
PHONE_SEPARATORS = re.compile(r"[\s\-().]")
MOBILE_NATIONAL = re.compile(r"8[0-9]{8,11}")
# A birth date as the sync payload carries it (YYYY-MM-DD) or as the KTP shows it
# (DD-MM-YYYY, with dashes, slashes, dots or spaces, or none at all): (pattern, order).
BIRTH_DATE_FORMATS = (
    (re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"), "ymd"),
    (re.compile(r"([0-9]{1,2})[-/. ]([0-9]{1,2})[-/. ]([0-9]{4})"), "dmy"),
    (re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})"), "dmy"),
)
# What no text field may hold: control characters (NUL among them) and unpaired
# surrogates, which no database stores as text. Tabs and line breaks become spaces.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
LINE_BREAKS = re.compile(r"[\t\n\r]")
UNSTORABLE_MESSAGE = _l(
    "Ada karakter yang tidak bisa disimpan (karakter kontrol); ketik ulang isian ini."
)


def normalise_phone(value: str) -> str | None:
    """'0812-3456-7890', '62812...', '+62 812...' -> '+62812...'; None if not a mobile number."""
    digits = PHONE_SEPARATORS.sub("", value)
    prefix = next((p for p in PHONE_PREFIXES if digits.startswith(p)), None)
    if prefix is None:
        return None
    national = digits[len(prefix) :]
    if not MOBILE_NATIONAL.fullmatch(national):
        return None
    return STORED_PHONE_PREFIX + national


def read_birth_date(value: str) -> date | None:
    """'1990-05-12', '12-05-1990', '12/5/1990', '12051990' -> date(1990, 5, 12); None if the
    text is in none of BIRTH_DATE_FORMATS; ValueError if it is, but names no real day."""
    for pattern, order in BIRTH_DATE_FORMATS:
        if match := pattern.fullmatch(value):
            first, month, last = (int(part) for part in match.groups())
            year, day = (first, last) if order == "ymd" else (last, first)
            return date(year, month, day)
    return None


class Text(fields.String):
    """Text that can be stored as it is: control characters and unpaired surrogates are
    refused with a message (tabs and line breaks become spaces)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if UNSTORABLE.search(text):
            raise ValidationError(UNSTORABLE_MESSAGE)
        return LINE_BREAKS.sub(" ", text)


def _text(max_length: int, *, required: bool = True, too_long: Any = None) -> Text:
    message = too_long or _l("Terlalu panjang (paling banyak %(max)d karakter).", max=max_length)
    return Text(
        required=required,
        **({} if required else {"load_default": None}),
        validate=validate.Length(max=max_length, error=message),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": REQUIRED},
    )


class NikField(Text):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            # The schema's day (Semarang's), as for the birth date, not the machine's.
            return nik_rules.parse_nik(text, today=getattr(self.root, "today", None)).nik
        except nik_rules.NikError as err:
            raise ValidationError(NIK_MESSAGES[err.reason]) from err


class PersonNameField(Text):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        name = " ".join(super()._deserialize(value, attr, data, **kwargs).split())
        if any(ch.isdigit() for ch in name):
            raise ValidationError(NAME_DIGITS_MESSAGE)
        letters = sum(ch.isalpha() for ch in name)
        if not NAME_MIN_LENGTH <= len(name) <= NAME_MAX_LENGTH or letters < NAME_MIN_LETTERS:
            raise ValidationError(NAME_LENGTH_MESSAGE)
        return name


class MobilePhoneField(Text):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        phone = normalise_phone(super()._deserialize(value, attr, data, **kwargs))
        if phone is None:
            raise ValidationError(PHONE_MESSAGE)
        return phone


class BirthDateField(fields.Field):
    """YYYY-MM-DD as the sync payload carries it, or DD-MM-YYYY as the KTP shows it and
    the form takes it (``BIRTH_DATE_FORMATS``)."""

    default_error_messages = {"format": DATE_FORMAT, "invalid": BIRTH_DATE_INVALID}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if not isinstance(value, str):
            raise self.make_error("format")
        try:
            born = read_birth_date(value)
        except ValueError as err:  # in a known format, but no such day
            raise self.make_error("invalid") from err
        if born is None:
            raise self.make_error("format")
        return born


class YesField(fields.Field):
    """A box that may be ticked: 'yes' is True, nothing (or empty) is False. A JSON
    true or false is read as it says."""

    default_error_messages = {"invalid": YES_OR_NOTHING}

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if isinstance(value, bool):
            return value
        if value != YES:
            raise self.make_error("invalid")
        return True


class RupiahField(fields.Field):
    """Whole rupiah, read exactly (``money.read_rupiah``): '1500000', '1.500.000',
    'Rp 1.500.000,-' or a JSON number without a fraction."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        try:
            amount = read_rupiah(value)
        except AmountError as err:
            raise ValidationError(err.message) from err
        if amount > MAX_MONTHLY_INCOME:
            raise ValidationError(INCOME_TOO_LARGE)
        return amount


def _person_name() -> PersonNameField:
    return PersonNameField(
        required=True, error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": REQUIRED}
    )


def _phone() -> MobilePhoneField:
    return MobilePhoneField(
        required=True,
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": PHONE_MESSAGE},
    )


def _choice(choices, message) -> Text:
    return Text(
        required=True,
        validate=validate.OneOf(choices, error=message),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": message},
    )


class RegistrationSchema(Schema):
    """Validates and normalises one registration. Needs the form choices of this request.

    ``phone_rules`` describes these same fields to the phone: a field added here is
    refused there until it has a rule.
    """

    class Meta:
        unknown = EXCLUDE

    nik = NikField(
        required=True,
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": NIK_MESSAGES["digits"]},
    )
    full_name = _person_name()
    birth_date = BirthDateField(required=True, error_messages={"required": REQUIRED})
    sex = _choice(["L", "P"], SEX_MESSAGE)
    phone = _phone()
    address = _text(300)
    kelurahan_code = Text(
        required=True, error_messages={"required": KELURAHAN_REQUIRED, "null": REQUIRED}
    )
    occupation = Text(
        required=True, error_messages={"required": OCCUPATION_REQUIRED, "null": REQUIRED}
    )
    occupation_other = _text(100, required=False)
    workplace = _text(150, required=False)
    monthly_income = RupiahField(
        required=True, error_messages={"required": REQUIRED, "null": REQUIRED}
    )
    drive_id = fields.Integer(
        load_default=None, strict=False, error_messages={"invalid": DRIVE_UNKNOWN}
    )
    heir_name = _person_name()
    heir_relationship = _choice(list(HEIR_RELATIONSHIPS), RELATIONSHIP_MESSAGE)
    heir_phone = _phone()
    blk_training = YesField(load_default=False)
    blk_job_fair = YesField(load_default=False)
    blk_trade = _text(100, required=False)
    consent = Text(
        required=True,
        validate=validate.Equal(YES, error=CONSENT_MESSAGE),
        error_messages={"required": CONSENT_MESSAGE, "null": CONSENT_MESSAGE},
    )

    def __init__(self, *, choices: FormChoices, today: date, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices
        self.today = today

    @pre_load
    def drop_blanks(self, data: Mapping[str, Any], **kwargs) -> dict[str, Any]:
        """Trim text and treat an empty field as a missing one, as a form sends it."""
        cleaned: dict[str, Any] = {}
        for key in REGISTRATION_FIELDS:
            value = data.get(key)
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                continue
            cleaned[key] = value
        return cleaned

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def check_against_reference(
        self, data: dict[str, Any], original_data: Mapping[str, Any], **kwargs
    ) -> None:
        errors: dict[str, list[Any]] = {}
        born = data.get("birth_date")
        if born is not None and born > self.today:
            errors["birth_date"] = [BIRTH_DATE_FUTURE]
        elif born is not None and born < OLDEST_BIRTH_DATE:
            errors["birth_date"] = [BIRTH_DATE_INVALID]
        kelurahan = data.get("kelurahan_code")
        if kelurahan is not None and kelurahan not in self.choices.kelurahan_codes:
            errors["kelurahan_code"] = [KELURAHAN_UNKNOWN]
        occupation = data.get("occupation")
        if occupation is not None and occupation not in self.choices.occupation_codes:
            errors["occupation"] = [OCCUPATION_UNKNOWN]
        # Only when nothing was written: what was written but refused has its own message.
        if occupation == OTHER_OCCUPATION and _blank(original_data, "occupation_other"):
            errors["occupation_other"] = [OCCUPATION_OTHER_MISSING]
        drive_id = data.get("drive_id")
        if drive_id is not None and drive_id not in self.choices.drive_ids:
            errors["drive_id"] = [DRIVE_UNKNOWN]
        if errors:
            raise ValidationError(errors)


def _blank(raw: Mapping[str, Any], key: str) -> bool:
    """Whether the form left ``key`` empty, as ``drop_blanks`` sees it."""
    value = raw.get(key) if isinstance(raw, Mapping) else None
    return value is None or (isinstance(value, str) and value.strip() == "")


def validate_registration(
    raw: Mapping[str, Any], *, choices: FormChoices, today: date
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return (clean data, {}) or ({}, errors per field as translated text, in form order)."""
    return validate_with(RegistrationSchema(choices=choices, today=today), raw)


def validate_with(
    schema: RegistrationSchema, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Like ``validate_registration``, reusing one schema for a whole batch."""
    try:
        data = schema.load(raw)
    except ValidationError as err:
        return {}, _in_form_order(err.normalized_messages())
    if data.get("occupation") != OTHER_OCCUPATION:
        data["occupation_other"] = None
    if not any(data[key] for key in BLK_INTEREST_FIELDS):
        data["blk_trade"] = None  # a trade of interest means something only with an interest
    data["consent"] = True
    return data, {}


def _in_form_order(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    """Errors per field as text, in the order the form shows the fields."""
    rank = {name: i for i, name in enumerate(REGISTRATION_FIELDS)}
    return {
        field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
        for field, msgs in sorted(messages.items(), key=lambda kv: rank.get(kv[0], len(rank)))
    }
