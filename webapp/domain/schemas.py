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
from .parsing import REQUIRED
from .reference import HEIR_RELATIONSHIPS, OTHER_OCCUPATION

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
    "heir_name",
    "heir_relationship",
    "heir_phone",
    "consent",
    "drive_id",
)

MAX_MONTHLY_INCOME = 1_000_000_000
OLDEST_BIRTH_DATE = date(1900, 1, 1)

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

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_MOBILE_NATIONAL = re.compile(r"8\d{8,11}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# What no text field may hold: control characters (NUL among them) and unpaired
# surrogates, which no database stores as text. Tabs and line breaks become spaces.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")
UNSTORABLE_MESSAGE = _l(
    "Ada karakter yang tidak bisa disimpan (karakter kontrol); ketik ulang isian ini."
)


def normalise_phone(value: str) -> str | None:
    """'0812-3456-7890', '62812...', '+62 812...' -> '+62812...'; None if not a mobile number."""
    digits = _PHONE_SEPARATORS.sub("", value)
    if digits.startswith("+62"):
        national = digits[3:]
    elif digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if not _MOBILE_NATIONAL.fullmatch(national):
        return None
    return "+62" + national


class Text(fields.String):
    """Text that can be stored as it is: control characters and unpaired surrogates are
    refused with a message (tabs and line breaks become spaces)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _UNSTORABLE.search(text):
            raise ValidationError(UNSTORABLE_MESSAGE)
        return _LINE_BREAKS.sub(" ", text)


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
            return nik_rules.parse_nik(text).nik
        except nik_rules.NikError as err:
            raise ValidationError(NIK_MESSAGES[err.reason]) from err


class PersonNameField(Text):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        name = " ".join(super()._deserialize(value, attr, data, **kwargs).split())
        if any(ch.isdigit() for ch in name):
            raise ValidationError(NAME_DIGITS_MESSAGE)
        if not 2 <= len(name) <= 100 or sum(ch.isalpha() for ch in name) < 2:
            raise ValidationError(NAME_LENGTH_MESSAGE)
        return name


class MobilePhoneField(Text):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        phone = normalise_phone(super()._deserialize(value, attr, data, **kwargs))
        if phone is None:
            raise ValidationError(PHONE_MESSAGE)
        return phone


class IsoDateField(fields.Field):
    """YYYY-MM-DD only, as the form's date input and the sync payload send it."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError as err:
            raise self.make_error("invalid") from err


class RupiahField(fields.Field):
    """Whole rupiah, read exactly (``money.read_rupiah``): '1500000', '1.500.000',
    'Rp 1.500.000,-' or a JSON number without a fraction."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        try:
            amount = read_rupiah(value)
        except AmountError as err:
            raise ValidationError(err.message) from err
        if amount > MAX_MONTHLY_INCOME:
            raise ValidationError(_l("Penghasilan terlalu besar; periksa lagi angkanya."))
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
    """Validates and normalises one registration. Needs the form choices of this request."""

    class Meta:
        unknown = EXCLUDE

    nik = NikField(
        required=True,
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": NIK_MESSAGES["digits"]},
    )
    full_name = _person_name()
    birth_date = IsoDateField(
        required=True,
        error_messages={
            "required": REQUIRED,
            "null": REQUIRED,
            "invalid": _l("Tanggal lahir tidak valid."),
        },
    )
    sex = _choice(["L", "P"], _l("Pilih laki-laki (L) atau perempuan (P)."))
    phone = _phone()
    address = _text(300)
    kelurahan_code = Text(
        required=True, error_messages={"required": _l("Pilih kelurahan."), "null": REQUIRED}
    )
    occupation = Text(
        required=True, error_messages={"required": _l("Pilih pekerjaan."), "null": REQUIRED}
    )
    occupation_other = _text(100, required=False)
    workplace = _text(150, required=False)
    monthly_income = RupiahField(
        required=True, error_messages={"required": REQUIRED, "null": REQUIRED}
    )
    heir_name = _person_name()
    heir_relationship = _choice(
        list(HEIR_RELATIONSHIPS), _l("Pilih hubungan ahli waris dari daftar.")
    )
    heir_phone = _phone()
    consent = Text(
        required=True,
        validate=validate.Equal("yes", error=_l("Pekerja harus menyetujui pernyataan ini.")),
        error_messages={
            "required": _l("Pekerja harus menyetujui pernyataan ini."),
            "null": _l("Pekerja harus menyetujui pernyataan ini."),
        },
    )
    drive_id = fields.Integer(
        load_default=None,
        strict=False,
        error_messages={"invalid": _l("Kegiatan tidak dikenal atau sudah ditutup.")},
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

    @validates_schema(skip_on_field_errors=False)
    def check_against_reference(self, data: dict[str, Any], **kwargs) -> None:
        errors: dict[str, list[Any]] = {}
        born = data.get("birth_date")
        if born is not None and born > self.today:
            errors["birth_date"] = [_l("Tanggal lahir tidak boleh di masa depan.")]
        elif born is not None and born < OLDEST_BIRTH_DATE:
            errors["birth_date"] = [_l("Tanggal lahir tidak valid.")]
        kelurahan = data.get("kelurahan_code")
        if kelurahan is not None and kelurahan not in self.choices.kelurahan_codes:
            errors["kelurahan_code"] = [_l("Pilih kelurahan di Kota Semarang dari daftar.")]
        occupation = data.get("occupation")
        if occupation is not None and occupation not in self.choices.occupation_codes:
            errors["occupation"] = [_l("Pilih pekerjaan dari daftar.")]
        if occupation == OTHER_OCCUPATION and not data.get("occupation_other"):
            errors["occupation_other"] = [_l("Tuliskan pekerjaannya.")]
        drive_id = data.get("drive_id")
        if drive_id is not None and drive_id not in self.choices.drive_ids:
            errors["drive_id"] = [_l("Kegiatan tidak dikenal atau sudah ditutup.")]
        if errors:
            raise ValidationError(errors)


def validate_registration(
    raw: Mapping[str, Any], *, choices: FormChoices, today: date
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return (clean data, {}) or ({}, errors per field as translated text)."""
    return validate_with(RegistrationSchema(choices=choices, today=today), raw)


def validate_with(
    schema: RegistrationSchema, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Like ``validate_registration``, reusing one schema for a whole batch."""
    try:
        data = schema.load(raw)
    except ValidationError as err:
        return {}, {
            field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for field, msgs in err.normalized_messages().items()
        }
    if data.get("occupation") != OTHER_OCCUPATION:
        data["occupation_other"] = None
    data["consent"] = True
    return data, {}
