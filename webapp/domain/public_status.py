"""Where a registration stands, in plain words for the worker or an heir (``/cek``).

Only what may be told to anyone holding the reference and the worker's birth date: the
stage the registration is at, why in general terms when it was not accepted, the KPJ
masked but for its last 4 digits once enrolled, and the reference kept when it was found
to be the same worker as another registration. Never the name, the NIK, a phone number,
or a coordinator's note (a note may name people); any page may reuse these words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from ..extensions import db
from ..lifecycle import RegistrationStatus
from ..models import (
    AuditEvent,
    BatchStatus,
    EnrollmentBatch,
    Registration,
    RegistrationEvent,
    RegistrationEventKind,
)
from .parsing import parse_date

S = RegistrationStatus
KPJ_SHOWN_DIGITS = 4
MASK = "•"
MAX_DUPLICATE_HOPS = 5  # a kept record merged again later: follow it this far
# 12-05-1990 as the KTP shows it, or with slashes, dots or spaces; 12051990 too.
_DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2})[-/. ]+([0-9]{1,2})[-/. ]+([0-9]{4})")
_EIGHT_DIGITS = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")


@dataclass(frozen=True)
class StatusWords:
    title: object  # a lazy string: translated when shown
    explanation: object


# By stage. "received": nobody at the office has acted on it yet; "in_review": it has
# come back to the office after a correction, or a coordinator has noted something.
WORDS = {
    "received": StatusWords(
        _l("Pendaftaran sudah diterima"),
        _l("Data pendaftaran sudah sampai di kantor dan menunggu diperiksa petugas."),
    ),
    "in_review": StatusWords(
        _l("Sedang diperiksa"),
        _l("Petugas sedang memeriksa data pendaftaran ini."),
    ),
    "needs_fix": StatusWords(
        _l("Perlu perbaikan data"),
        _l(
            "Ada data yang perlu diperbaiki. Relawan yang mendaftarkan sudah diberi tahu "
            "dan akan menghubungi pekerja bila perlu."
        ),
    ),
    "approved": StatusWords(
        _l("Disetujui"),
        _l(
            "Pendaftaran disetujui. Berikutnya data dikirim ke BPJS Ketenagakerjaan "
            "untuk didaftarkan sebagai peserta."
        ),
    ),
    "in_batch": StatusWords(
        _l("Disiapkan untuk BPJS Ketenagakerjaan"),
        _l("Data sudah masuk daftar yang akan dikirim ke BPJS Ketenagakerjaan."),
    ),
    "sent_to_bpjs": StatusWords(
        _l("Dikirim ke BPJS Ketenagakerjaan"),
        _l("Data sudah dikirim ke BPJS Ketenagakerjaan. Nomor kepesertaan (KPJ) sedang ditunggu."),
    ),
    "enrolled": StatusWords(
        _l("Terdaftar sebagai peserta BPJS Ketenagakerjaan"),
        _l(
            "Pekerja terlindungi Jaminan Kecelakaan Kerja (JKK) dan Jaminan Kematian "
            "(JKM); iurannya dibayar program PIJAR SEMAR."
        ),
    ),
    "rejected": StatusWords(
        _l("Tidak diterima"),
        _l("Pendaftaran ini tidak diterima program PIJAR SEMAR."),
    ),
    "duplicate": StatusWords(
        _l("Terdaftar dengan nomor lain"),
        _l(
            "Pekerja ini sudah terdaftar dengan nomor referensi lain. "
            "Pakai nomor itu untuk cek status."
        ),
    ),
    "other": StatusWords(
        _l("Terdaftar"),
        _l("Untuk keterangan lebih lanjut, hubungi relawan atau kantor Disnaker Kota Semarang."),
    ),
}

STAGE_BY_STATUS = {
    S.SUBMITTED: "received",  # or in_review, see public_status
    S.NEEDS_FIX: "needs_fix",
    S.APPROVED: "approved",
    S.EXPORTED: "in_batch",  # or sent_to_bpjs once its batch is sent
    S.ENROLLED: "enrolled",
    S.REJECTED: "rejected",
    S.DUPLICATE: "duplicate",
}

# Why a registration was not accepted, in general terms, by the coordinator's reason
# code (review.decisions.REJECT_REASONS); the coordinator's own note is never shown.
REJECTION_WORDS = {
    "not_eligible": _l("Tidak termasuk pekerja rentan yang menjadi sasaran program."),
    "already_covered": _l("Sudah menjadi peserta BPJS Ketenagakerjaan."),
    "not_resident": _l("Tidak tinggal atau bekerja di Kota Semarang."),
    "false_data": _l("Data pendaftaran tidak dapat dipastikan kebenarannya."),
    "no_consent": _l("Pekerja menarik persetujuannya."),
}
REJECTION_ASK = _l("Hubungi relawan atau kantor Disnaker Kota Semarang untuk penjelasannya.")


@dataclass(frozen=True)
class PublicStatus:
    """What the public lookup shows for one registration."""

    stage: str  # a key of WORDS
    title: object
    explanation: object
    reason: object | None = None  # rejected: why, in general terms
    kpj_masked: str | None = None  # enrolled
    covered_from: date | None = None  # enrolled
    kept_reference: str | None = None  # duplicate: the reference to use instead


def mask_kpj(kpj: str) -> str:
    """'••••••••5678': a KPJ number hidden but for its last 4 digits."""
    if len(kpj) <= KPJ_SHOWN_DIGITS:
        return MASK * len(kpj)
    return MASK * (len(kpj) - KPJ_SHOWN_DIGITS) + kpj[-KPJ_SHOWN_DIGITS:]


def public_status(registration: Registration) -> PublicStatus:
    """Where ``registration`` stands, in the words the worker is shown."""
    stage = STAGE_BY_STATUS.get(RegistrationStatus(registration.status), "other")
    if stage == "received" and _office_has_acted(registration.id):
        stage = "in_review"
    elif stage == "in_batch" and _batch_sent(registration.batch_id):
        stage = "sent_to_bpjs"
    words = WORDS[stage]
    return PublicStatus(
        stage,
        words.title,
        words.explanation,
        reason=REJECTION_WORDS.get(_rejection_reason(registration.id) or "", REJECTION_ASK)
        if stage == "rejected"
        else None,
        kpj_masked=mask_kpj(registration.kpj_number)
        if stage == "enrolled" and registration.kpj_number
        else None,
        covered_from=registration.coverage_starts_on if stage == "enrolled" else None,
        kept_reference=_kept_reference(registration) if stage == "duplicate" else None,
    )


def read_birth_date(text: str) -> date | None:
    """A birth date as typed from a KTP (DD-MM-YYYY, other separators too), or None."""
    text = " ".join(text.split())
    match = _DAY_MONTH_YEAR.fullmatch(text) or _EIGHT_DIGITS.fullmatch(text)
    if match:
        text = "-".join(match.groups())
    return parse_date(text)


def find_for_lookup(reference: str, birth_date: date) -> Registration | None:
    """The registration with this reference and birth date, or None.

    One query on the unique reference index, the same whether the reference is unknown
    or the birth date wrong: which of the two it was is not for the asker to learn.
    """
    return db.session.scalar(
        select(Registration).where(
            Registration.reference == reference, Registration.birth_date == birth_date
        )
    )


def _office_has_acted(registration_id: int) -> bool:
    """A decision was made on it once (it is back after a correction), or a coordinator
    wrote a note on it (a note made on a phone, a volunteer's discard, is not one)."""
    acted = (RegistrationEvent.kind == RegistrationEventKind.STATUS) | (
        (RegistrationEvent.kind == RegistrationEventKind.NOTE)
        & RegistrationEvent.device_id.is_(None)
    )
    return bool(
        db.session.scalar(
            select(exists().where(RegistrationEvent.registration_id == registration_id, acted))
        )
    )


def _batch_sent(batch_id: int | None) -> bool:
    if batch_id is None:
        return False
    return (
        db.session.scalar(select(EnrollmentBatch.status).where(EnrollmentBatch.id == batch_id))
        == BatchStatus.SENT
    )


def _rejection_reason(registration_id: int) -> str | None:
    """The reason code of the last rejection, as the audit trail recorded it."""
    details = db.session.scalar(
        select(AuditEvent.details)
        .where(
            AuditEvent.action == "registration.reject",
            AuditEvent.target_type == Registration.__tablename__,
            AuditEvent.target_id == str(registration_id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    reason = details.get("reason") if isinstance(details, dict) else None
    return reason if isinstance(reason, str) else None


def _kept_reference(registration: Registration) -> str | None:
    """The reference of the registration kept for this worker (merged ones followed)."""
    kept_id = registration.duplicate_of_id
    for _hop in range(MAX_DUPLICATE_HOPS):
        if kept_id is None:
            return None
        row = db.session.execute(
            select(Registration.reference, Registration.status, Registration.duplicate_of_id).where(
                Registration.id == kept_id
            )
        ).one_or_none()
        if row is None:
            return None
        if row.status != S.DUPLICATE or row.duplicate_of_id is None:
            return row.reference
        kept_id = row.duplicate_of_id
    return None
