"""The columns of the enrollment file for BPJS Ketenagakerjaan: the one place that sets them.

BPJS Ketenagakerjaan's template for collective BPU enrollment is not public, so the file
follows the information its forms ask for. To adapt it to the template BPJS hands over,
change ``COLUMNS`` only: rename a header, reorder, drop a column, or add one (if it needs
a value the export does not read yet, add it to ``ExportRow`` and to the query in
``export.batch_rows``). The CSV and the XLSX writers, the column sheet in the XLSX and
docs/bpjs-export.md all follow this tuple.

Values are fixed Indonesian text whatever language the coordinator's screen is in: the
file is read by BPJS, not by the person who downloads it. Plain functions, no Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

CITY = "KOTA SEMARANG"
PROGRAMMES = "JKK+JKM"
DATE_FORMAT = "%d-%m-%Y"  # DD-MM-YYYY, as dates are written in Indonesia
OTHER_OCCUPATION = "lainnya"

# The heir's relationship as written in the file (the codes are the form's).
HEIR_RELATIONSHIP_NAMES = {
    "suami": "Suami",
    "istri": "Istri",
    "anak": "Anak",
    "orang_tua": "Orang tua",
    "saudara": "Saudara kandung",
    "lainnya": "Lainnya",
}


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One registration of a batch, with the names of its codes looked up."""

    reference: str
    nik: str
    full_name: str
    birth_date: date
    sex: str  # L or P
    phone: str  # as stored: +628...
    address: str
    kelurahan: str  # name
    kecamatan: str  # name
    occupation_code: str
    occupation: str  # Indonesian name of the code
    occupation_other: str | None
    workplace: str | None
    monthly_income: int  # whole rupiah
    heir_name: str
    heir_relationship: str  # code
    heir_phone: str  # as stored: +628...
    funding_source: str  # code, e.g. APBD
    period_start: date
    period_end: date
    monthly_contribution: int  # JKK + JKM per month, whole rupiah
    kpj_number: str | None = None
    coverage_starts_on: date | None = None


@dataclass(frozen=True)
class Column:
    """A column of the file: its header, what it holds, and how to get it from a row.

    ``value`` returns text, or a whole number for amounts (a number cell in the XLSX).
    Identifiers (NIK, phone numbers, KPJ) are always text: as numbers a spreadsheet would
    drop leading zeros and keep only 15 of a NIK's 16 digits.
    """

    header: str
    description: str
    value: Callable[[ExportRow], str | int]
    # Amounts are number cells in the XLSX, so that a spreadsheet can add them up.
    number: bool = False
    # Digits that are not a number (NIK, phone, KPJ): the XLSX column is formatted as
    # text, so that what someone types there later stays text too.
    digits: bool = False
    width: int = 0  # in the XLSX, in characters; 0: as wide as the header

    @property
    def xlsx_width(self) -> int:
        return max(self.width, len(self.header) + 2)


def national_phone(phone: str) -> str:
    """'+6281234567890' -> '081234567890', the way phone numbers are written in Indonesia."""
    return "0" + phone[3:] if phone.startswith("+62") else phone


def format_date(value: date | None) -> str:
    return value.strftime(DATE_FORMAT) if value else ""


def occupation_text(row: ExportRow) -> str:
    """The occupation's name; for 'lainnya', what the volunteer typed instead."""
    if row.occupation_code == OTHER_OCCUPATION and row.occupation_other:
        return row.occupation_other
    return row.occupation


def heir_relationship_text(row: ExportRow) -> str:
    return HEIR_RELATIONSHIP_NAMES.get(row.heir_relationship, row.heir_relationship)


COLUMNS: tuple[Column, ...] = (
    Column(
        "NIK",
        "Nomor Induk Kependudukan, 16 angka, sesuai KTP.",
        lambda r: r.nik,
        digits=True,
        width=19,
    ),
    Column("NAMA_LENGKAP", "Nama lengkap sesuai KTP.", lambda r: r.full_name, width=30),
    Column("TGL_LAHIR", "Tanggal lahir, HH-BB-TTTT.", lambda r: format_date(r.birth_date)),
    Column("JENIS_KELAMIN", "L (laki-laki) atau P (perempuan).", lambda r: r.sex),
    Column("ALAMAT", "Alamat tempat tinggal (jalan, RT/RW).", lambda r: r.address, width=40),
    Column("KELURAHAN", "Kelurahan tempat tinggal.", lambda r: r.kelurahan, width=20),
    Column("KECAMATAN", "Kecamatan tempat tinggal.", lambda r: r.kecamatan, width=20),
    Column("KOTA", "Selalu KOTA SEMARANG.", lambda r: CITY, width=16),
    Column(
        "NO_HP",
        "Nomor HP pekerja, format 08...",
        lambda r: national_phone(r.phone),
        digits=True,
        width=15,
    ),
    Column(
        "PEKERJAAN",
        "Jenis pekerjaan; untuk 'Lainnya', pekerjaan yang ditulis relawan.",
        occupation_text,
        width=26,
    ),
    Column(
        "LOKASI_KERJA", "Tempat bekerja, mis. Pasar Johar.", lambda r: r.workplace or "", width=24
    ),
    Column(
        "PENGHASILAN",
        "Penghasilan per bulan yang dilaporkan, rupiah tanpa titik.",
        lambda r: r.monthly_income,
        number=True,
    ),
    Column("NAMA_AHLI_WARIS", "Nama ahli waris (untuk JKM).", lambda r: r.heir_name, width=30),
    Column(
        "HUBUNGAN_AHLI_WARIS",
        "Suami, Istri, Anak, Orang tua, Saudara kandung atau Lainnya.",
        heir_relationship_text,
    ),
    Column(
        "NO_HP_AHLI_WARIS",
        "Nomor HP ahli waris, format 08...",
        lambda r: national_phone(r.heir_phone),
        digits=True,
    ),
    Column("PROGRAM", "Program yang dibayar: JKK+JKM.", lambda r: PROGRAMMES),
    Column(
        "IURAN_PER_BULAN",
        "Iuran JKK + JKM per bulan, rupiah tanpa titik.",
        lambda r: r.monthly_contribution,
        number=True,
    ),
    Column("SUMBER_DANA", "Kode sumber dana, mis. APBD atau DBHCHT.", lambda r: r.funding_source),
    Column(
        "PERIODE_AWAL",
        "Awal masa iuran yang dibayar, HH-BB-TTTT.",
        lambda r: format_date(r.period_start),
    ),
    Column(
        "PERIODE_AKHIR",
        "Akhir masa iuran yang dibayar, HH-BB-TTTT.",
        lambda r: format_date(r.period_end),
    ),
    Column(
        "NO_REFERENSI",
        "Nomor pendaftaran PIJAR SEMAR (PS-...), untuk menanyakan data ini.",
        lambda r: r.reference,
        width=15,
    ),
    Column(
        "NO_KPJ",
        "Nomor KPJ dari BPJS Ketenagakerjaan; kosong sampai nomornya dicatat.",
        lambda r: r.kpj_number or "",
        digits=True,
        width=16,
    ),
    Column(
        "TGL_KEPESERTAAN",
        "Tanggal mulai kepesertaan, HH-BB-TTTT; kosong sampai nomor KPJ dicatat.",
        lambda r: format_date(r.coverage_starts_on),
    ),
)

HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)


def row_values(row: ExportRow) -> list[str | int]:
    """The values of one row, in column order."""
    return [column.value(row) for column in COLUMNS]
