"""The columns of the enrollment file for BPJS Ketenagakerjaan, and their values."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from webapp.domain.reference import HEIR_RELATIONSHIPS, OCCUPATIONS
from webapp.enrollment.layout import (
    COLUMNS,
    HEADERS,
    HEIR_RELATIONSHIP_NAMES,
    ExportRow,
    row_values,
)

DOC = Path(__file__).parents[2] / "docs" / "bpjs-export.md"

SAMPLE = ExportRow(
    reference="PS-K7M4-9QXA",
    nik="3374011205900012",
    full_name="Budi Santoso",
    birth_date=date(1990, 5, 12),
    sex="L",
    phone="+6281234567890",
    address="Jl. Tambak Lorok RT 02/RW 13",
    kelurahan="Tanjung Mas",
    kecamatan="Semarang Utara",
    occupation_code="nelayan",
    occupation="Nelayan",
    occupation_other=None,
    workplace="TPI Tambak Lorok",
    monthly_income=1_500_000,
    heir_name="Siti Aminah",
    heir_relationship="istri",
    heir_phone="+6281298765432",
    funding_source="APBD",
    period_start=date(2026, 12, 1),
    period_end=date(2026, 12, 31),
    monthly_contribution=21_800,
)


def values(row: ExportRow) -> dict[str, str | int]:
    return dict(zip(HEADERS, row_values(row), strict=True))


def test_the_columns_in_order():
    assert HEADERS == (
        "NIK",
        "NAMA_LENGKAP",
        "TGL_LAHIR",
        "JENIS_KELAMIN",
        "ALAMAT",
        "KELURAHAN",
        "KECAMATAN",
        "KOTA",
        "NO_HP",
        "PEKERJAAN",
        "LOKASI_KERJA",
        "PENGHASILAN",
        "NAMA_AHLI_WARIS",
        "HUBUNGAN_AHLI_WARIS",
        "NO_HP_AHLI_WARIS",
        "PROGRAM",
        "IURAN_PER_BULAN",
        "SUMBER_DANA",
        "PERIODE_AWAL",
        "PERIODE_AKHIR",
        "NO_REFERENSI",
        "NO_KPJ",
        "TGL_KEPESERTAAN",
    )


def test_headers_are_unique_upper_case_names_each_with_a_description():
    assert len(set(HEADERS)) == len(HEADERS)
    for column in COLUMNS:
        assert re.fullmatch(r"[A-Z][A-Z_]*", column.header)
        assert column.description.strip()


def test_the_values_of_a_registration():
    assert values(SAMPLE) == {
        "NIK": "3374011205900012",
        "NAMA_LENGKAP": "Budi Santoso",
        "TGL_LAHIR": "12-05-1990",
        "JENIS_KELAMIN": "L",
        "ALAMAT": "Jl. Tambak Lorok RT 02/RW 13",
        "KELURAHAN": "Tanjung Mas",
        "KECAMATAN": "Semarang Utara",
        "KOTA": "KOTA SEMARANG",
        "NO_HP": "081234567890",
        "PEKERJAAN": "Nelayan",
        "LOKASI_KERJA": "TPI Tambak Lorok",
        "PENGHASILAN": 1_500_000,
        "NAMA_AHLI_WARIS": "Siti Aminah",
        "HUBUNGAN_AHLI_WARIS": "Istri",
        "NO_HP_AHLI_WARIS": "081298765432",
        "PROGRAM": "JKK+JKM",
        "IURAN_PER_BULAN": 21_800,
        "SUMBER_DANA": "APBD",
        "PERIODE_AWAL": "01-12-2026",
        "PERIODE_AKHIR": "31-12-2026",
        "NO_REFERENSI": "PS-K7M4-9QXA",
        "NO_KPJ": "",
        "TGL_KEPESERTAAN": "",
    }


def test_another_occupation_is_written_as_typed():
    row = replace(
        SAMPLE, occupation_code="lainnya", occupation="Lainnya", occupation_other="Tukang becak"
    )
    assert values(row)["PEKERJAAN"] == "Tukang becak"


def test_an_enrolled_worker_has_the_kpj_number_and_start_date():
    row = replace(SAMPLE, kpj_number="26012345678", coverage_starts_on=date(2026, 12, 1))
    assert values(row)["NO_KPJ"] == "26012345678"
    assert values(row)["TGL_KEPESERTAAN"] == "01-12-2026"


def test_empty_workplace_is_an_empty_cell():
    assert values(replace(SAMPLE, workplace=None))["LOKASI_KERJA"] == ""


def test_only_amounts_are_numbers():
    numbers = {c.header for c in COLUMNS if c.number}
    assert numbers == {"PENGHASILAN", "IURAN_PER_BULAN"}
    for column, value in zip(COLUMNS, row_values(SAMPLE), strict=True):
        assert isinstance(value, int) if column.number else isinstance(value, str)


def test_every_heir_relationship_and_occupation_has_a_name_in_the_file():
    assert set(HEIR_RELATIONSHIP_NAMES) == set(HEIR_RELATIONSHIPS)
    assert "lainnya" in {code for code, _, _ in OCCUPATIONS}


def test_the_documentation_lists_every_column():
    documented = DOC.read_text(encoding="utf-8")
    for header in HEADERS:
        assert f"`{header}`" in documented, header
