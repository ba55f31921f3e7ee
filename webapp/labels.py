"""Words the UI shows for codes stored in the database."""

from functools import cache

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .domain.reference import HEIR_RELATIONSHIPS, OCCUPATIONS, wilayah_rows
from .lifecycle import STATUS_LABELS, RegistrationStatus, StatusGroups
from .models import BatchStatus, Flag, RegistrationEventKind, Role

FLAG_LABELS = {
    Flag.POSSIBLE_DUPLICATE: _l("Mungkin ganda: NIK sudah pernah didaftarkan"),
    Flag.NIK_OUTSIDE_SEMARANG: _l("NIK diterbitkan di luar Kota Semarang"),
    Flag.NIK_BIRTH_MISMATCH: _l("Tanggal lahir atau jenis kelamin tidak cocok dengan NIK"),
    Flag.AGE_OUT_OF_RANGE: _l("Usia di luar batas program"),
    Flag.INCOME_UNUSUAL: _l("Penghasilan di luar kisaran yang biasa; periksa angkanya"),
}

# The registration form's field labels, also used to name a field in the error summary.
FIELD_LABELS = {
    "nik": _l("NIK"),
    "full_name": _l("Nama lengkap"),
    "birth_date": _l("Tanggal lahir"),
    "sex": _l("Jenis kelamin"),
    "phone": _l("Nomor HP"),
    "address": _l("Alamat"),
    "kelurahan_code": _l("Kelurahan"),
    "occupation": _l("Jenis pekerjaan"),
    "occupation_other": _l("Pekerjaan lainnya"),
    "workplace": _l("Tempat kerja"),
    "monthly_income": _l("Penghasilan per bulan (Rp)"),
    "drive_id": _l("Kegiatan pendaftaran"),
    "heir_name": _l("Nama ahli waris"),
    "heir_relationship": _l("Hubungan dengan pekerja"),
    "heir_phone": _l("Nomor HP ahli waris"),
    "blk_training": _l("Minat pelatihan BLK"),
    "blk_job_fair": _l("Kabar bursa kerja"),
    "blk_trade": _l("Keterampilan yang diminati"),
    "consent": _l("Persetujuan pekerja"),
}

EVENT_LABELS = {
    RegistrationEventKind.RECEIVED: _l("Diterima dari lapangan"),
    RegistrationEventKind.EDITED: _l("Diperbaiki relawan"),
    RegistrationEventKind.STATUS: _l("Keputusan"),
    RegistrationEventKind.NOTE: _l("Catatan koordinator"),
}

BATCH_STATUS_LABELS = {
    BatchStatus.READY: _l("Siap dikirim"),
    BatchStatus.SENT: _l("Terkirim ke BPJS"),
    BatchStatus.CANCELLED: _l("Dibatalkan"),
}

MONTH_NAMES = (
    _l("Januari"),
    _l("Februari"),
    _l("Maret"),
    _l("April"),
    _l("Mei"),
    _l("Juni"),
    _l("Juli"),
    _l("Agustus"),
    _l("September"),
    _l("Oktober"),
    _l("November"),
    _l("Desember"),
)

ROLE_LABELS = {
    Role.VOLUNTEER: _l("Relawan"),
    Role.COORDINATOR: _l("Koordinator"),
    Role.ADMIN: _l("Admin"),
}


def region_name(code: str) -> str:
    """A kecamatan's or kelurahan's name from the official list shipped with the app."""
    return _region_names().get(code, code)


@cache
def _region_names() -> dict[str, str]:
    return {row["code"]: row["name"] for row in wilayah_rows()}


def occupation_name(code: str) -> str:
    english = str(get_locale()) == "en"
    for known, name_id, name_en in OCCUPATIONS:
        if known == code:
            return name_en if english else name_id
    return code


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        status_labels=STATUS_LABELS,
        Status=RegistrationStatus,
        status_groups=StatusGroups,
        flag_labels=FLAG_LABELS,
        role_labels=ROLE_LABELS,
        batch_status_labels=BATCH_STATUS_LABELS,
        month_names=MONTH_NAMES,
        field_labels=FIELD_LABELS,
        event_labels=EVENT_LABELS,
        heir_relationships=HEIR_RELATIONSHIPS,
        region_name=region_name,
        occupation_name=occupation_name,
    )
