"""The enrollment file written as CSV and XLSX, streamed from the database."""

from __future__ import annotations

import csv
import glob
import io
import os
import tempfile
from dataclasses import replace
from datetime import date

import openpyxl
import pytest
from flask import Response, stream_with_context
from sqlalchemy import select, update

from tests.conftest import user_id
from tests.unit.test_export_layout import SAMPLE
from webapp.domain.spreadsheets import FORMULA_STARTS, csv_line
from webapp.enrollment.export import (
    BOM,
    batch_rows,
    csv_chunks,
    export_filename,
    xlsx_chunks,
)
from webapp.enrollment.layout import HEADERS
from webapp.extensions import db
from webapp.models import EnrollmentBatch, Registration


def read_csv(chunks) -> list[list[str]]:
    text = "".join(chunks)
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


def read_xlsx(chunks) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(b"".join(chunks)))


def leftover_files() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "pijar-semar-*")))


# ---------------------------------------------------------------------------
# CSV


def test_csv_has_a_bom_a_header_and_one_line_per_row():
    rows = [SAMPLE, replace(SAMPLE, reference="PS-0000-0002")]
    text = "".join(csv_chunks(rows))
    assert text.startswith(BOM + "NIK,NAMA_LENGKAP,TGL_LAHIR,")
    assert text.count("\r\n") == 3
    parsed = read_csv([text])
    assert parsed[0] == list(HEADERS)
    assert [line[HEADERS.index("NO_REFERENSI")] for line in parsed[1:]] == [
        "PS-K7M4-9QXA",
        "PS-0000-0002",
    ]
    assert parsed[1][:3] == ["3374011205900012", "Budi Santoso", "12-05-1990"]
    assert parsed[1][HEADERS.index("NO_HP")] == "081234567890"
    assert parsed[1][HEADERS.index("PENGHASILAN")] == "1500000"


def test_csv_quotes_commas_quotes_and_line_breaks():
    row = replace(SAMPLE, address='Jl. Kakap, Gg. "Buntu"\nRT 1/RW 2', full_name="Ani; Budi")
    [_, line] = read_csv(csv_chunks([row]))
    assert line[HEADERS.index("ALAMAT")] == 'Jl. Kakap, Gg. "Buntu"\nRT 1/RW 2'
    assert line[HEADERS.index("NAMA_LENGKAP")] == "Ani; Budi"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://x.test","klik")', '\'=HYPERLINK("http://x.test","klik")'),
        ("+62 812", "'+62 812"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t'=1"),  # a program splitting on tabs would start a cell at "=1"
        ("＝1+1", "'＝1+1"),
    ],
)
def test_csv_cells_never_start_a_formula(typed, written):
    row = replace(SAMPLE, full_name=typed, workplace=typed, heir_name=typed)
    [_, line] = read_csv(csv_chunks([row]))
    for header in ("NAMA_LENGKAP", "LOKASI_KERJA", "NAMA_AHLI_WARIS"):
        assert line[HEADERS.index(header)] == written


# What was typed, and the text a spreadsheet shows: a ' before each formula lead that a
# program splitting on ";", tabs or lines could take as a cell's start.
TRICKY_CELLS = [
    (";=2+5", ";'=2+5"),
    ("a;b", "a;b"),
    ("x,y", "x,y"),
    ('"q"', '"q"'),
    ("line\nbreak", "line\nbreak"),
    ("=1+1", "'=1+1"),
    ("Rp5.000,-", "Rp5.000,-"),
    ("x;=1+1;y", "x;'=1+1;y"),
    ("Jl. Kakap\r\n-1+1", "Jl. Kakap\r\n'-1+1"),
    ('a;"=1+1";', 'a;"\'=1+1";'),
    ("a\t@SUM(A1)", "a\t'@SUM(A1)"),
    ("a;＋1", "a;'＋1"),
]


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize(("typed", "shown"), TRICKY_CELLS)
def test_a_csv_cell_reads_back_whole_with_either_separator(typed, shown, delimiter):
    """A cell first on its line (where Excel with either list separator sees our quotes)
    is one cell with its text, read with "," or with ";"."""
    line = csv_line([typed])
    assert list(csv.reader(io.StringIO(line, newline=""), delimiter=delimiter)) == [[shown]]


def test_no_cell_starts_a_formula_for_a_program_splitting_on_semicolons():
    """Excel with Indonesian settings splits our lines at every ";": our quotes count for
    it only at the start of a line, and line breaks inside a cell end its lines."""
    tricky = [typed for typed, _ in TRICKY_CELLS]
    rows = [replace(SAMPLE, full_name=typed, address=typed, heir_name=typed) for typed in tricky]
    text = "".join(csv_chunks(rows))[len(BOM) :]
    for delimiter in (";", "\t"):
        cells = [
            c for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for c in r
        ]
        assert cells and not [c for c in cells if c.startswith(FORMULA_STARTS)]
    by_comma = read_csv([BOM + text])
    for typed, shown in TRICKY_CELLS:
        line = by_comma[tricky.index(typed) + 1]
        for header in ("NAMA_LENGKAP", "ALAMAT", "NAMA_AHLI_WARIS"):
            assert line[HEADERS.index(header)] == shown


def test_csv_quotes_only_what_needs_it_and_leaves_numbers_alone():
    row = replace(SAMPLE, full_name="Ani; Budi", address="Jl. Kakap")
    [header, line] = "".join(csv_chunks([row])).removeprefix(BOM).split("\r\n")[:2]
    assert header == ",".join(HEADERS)
    assert line.startswith('3374011205900012,"Ani; Budi",12-05-1990,L,Jl. Kakap,')
    assert ",1500000," in line and ",21800," in line
    assert csv_line([None, 0, -5, 2.5, True, "-"]) == ",0,-5,2.5,True,'-\r\n"


def test_csv_keeps_nik_and_phone_digits_as_they_are():
    [_, line] = read_csv(csv_chunks([SAMPLE]))
    assert line[HEADERS.index("NIK")] == "3374011205900012"
    assert line[HEADERS.index("NO_HP_AHLI_WARIS")] == "081298765432"


def test_csv_comes_in_pieces_starting_with_the_header():
    chunks = list(csv_chunks([SAMPLE] * 1_200))
    assert chunks[0] == BOM + ",".join(HEADERS) + "\r\n"
    assert len(chunks) == 4  # the header, then 500 + 500 + 200 rows
    assert len(read_csv(chunks)) == 1_201


def test_an_empty_batch_is_a_header_alone():
    assert read_csv(csv_chunks([])) == [list(HEADERS)]


# ---------------------------------------------------------------------------
# XLSX


def test_xlsx_read_back():
    rows = [SAMPLE, replace(SAMPLE, nik="9601015507850003", reference="PS-0000-0002")] * 3
    workbook = read_xlsx(xlsx_chunks(rows))
    assert workbook.sheetnames == ["PESERTA", "KETERANGAN"]
    sheet = workbook["PESERTA"]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 7
    nik = sheet.cell(row=3, column=1)
    # Above 2**53: as a number it would not even survive as a float.
    assert (nik.value, nik.data_type) == ("9601015507850003", "s")
    assert nik.number_format == "@"  # a NIK typed into the column later stays text too
    by_header = {h: c for h, c in zip(HEADERS, sheet[2], strict=True)}
    assert by_header["NO_HP"].value == "081234567890" and by_header["NO_HP"].data_type == "s"
    assert by_header["PENGHASILAN"].value == 1_500_000
    assert by_header["IURAN_PER_BULAN"].value == 21_800
    assert by_header["TGL_LAHIR"].value == "12-05-1990"
    assert by_header["NO_KPJ"].value is None
    assert sheet.column_dimensions["A"].width >= 16
    notes = workbook["KETERANGAN"]
    assert [r[0] for r in notes.iter_rows(min_row=2, values_only=True)] == list(HEADERS)


def test_xlsx_writes_text_that_looks_like_a_formula_as_text():
    row = replace(SAMPLE, full_name='=HYPERLINK("http://x.test")', kpj_number="00123456789")
    sheet = read_xlsx(xlsx_chunks([row]))["PESERTA"]
    name = sheet.cell(row=2, column=HEADERS.index("NAMA_LENGKAP") + 1)
    assert (name.value, name.data_type) == ('=HYPERLINK("http://x.test")', "s")
    assert sheet.cell(row=2, column=HEADERS.index("NO_KPJ") + 1).value == "00123456789"


def test_xlsx_temporary_files_are_removed_when_done_abandoned_or_failed():
    before = leftover_files()
    b"".join(xlsx_chunks([SAMPLE] * 10))
    assert leftover_files() == before
    chunks = xlsx_chunks([SAMPLE] * 10)
    next(chunks)
    assert len(leftover_files() - before) == 1
    chunks.close()  # what the server does when the download is cancelled
    assert leftover_files() == before

    def failing():
        yield SAMPLE
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        next(xlsx_chunks(failing()))
    assert leftover_files() == before


def test_nothing_is_written_until_the_download_starts():
    before = leftover_files()
    xlsx_chunks([SAMPLE])
    assert leftover_files() == before


# ---------------------------------------------------------------------------
# From the database


def test_file_names_say_the_batch_and_source_only(app):
    batch = EnrollmentBatch(id=7, year=2026, funding_source_code="APBD")
    assert export_filename(batch, "xlsx") == "pijar-semar-B-2026-0007-APBD.xlsx"
    sponsor = EnrollmentBatch(id=12, year=2026, funding_source_code="CSR Bank/Jateng")
    assert export_filename(sponsor, "csv") == "pijar-semar-B-2026-0012-CSR-Bank-Jateng.csv"


@pytest.fixture
def batch_of_three(app, make_user, make_registration):
    """A batch with Budi, Sri (a becak driver: 'lainnya') and Joko (enrolled since)."""
    volunteer = make_user("volunteer")
    joko = make_registration(
        volunteer,
        nik="3374021203880001",
        full_name="Joko Susilo",
        birth_date="1988-03-12",
        monthly_income="3000000",
    )
    budi = make_registration(volunteer)
    sri = make_registration(
        volunteer,
        nik="3374015507850003",
        full_name="Sri Wahyuni",
        sex="P",
        birth_date="1985-07-15",
        kelurahan_code="33.74.01.1001",
        occupation="lainnya",
        occupation_other="Tukang becak",
        workplace="",
    )
    outside = make_registration(  # approved, in no batch
        volunteer,
        nik="3374024406920002",
        full_name="Ani Lestari",
        sex="P",
        birth_date="1992-06-04",
        status="approved",
    )
    with app.app_context():
        batch = EnrollmentBatch(
            funding_source_code="DBHCHT",
            year=2026,
            period_start=date(2026, 12, 1),
            period_end=date(2026, 12, 31),
            status="sent",
            row_count=3,
            created_by_id=user_id(app, volunteer),
        )
        db.session.add(batch)
        db.session.flush()
        db.session.execute(
            update(Registration)
            .where(Registration.id.in_([joko, budi, sri]))
            .values(
                status="exported",
                batch_id=batch.id,
                funding_source_code="DBHCHT",
                funding_year=2026,
            )
        )
        db.session.execute(
            update(Registration)
            .where(Registration.id == joko)
            .values(
                status="enrolled", kpj_number="26012345678", coverage_starts_on=date(2026, 12, 1)
            )
        )
        db.session.commit()
        return {"batch": batch.id, "ids": [joko, budi, sri], "outside": outside}


def test_batch_rows_in_id_order_with_names_looked_up(app, batch_of_three):
    with app.app_context():
        batch = db.session.get(EnrollmentBatch, batch_of_three["batch"])
        rows = list(batch_rows(batch))
        references = dict(
            db.session.execute(
                select(Registration.id, Registration.reference).where(
                    Registration.id.in_(batch_of_three["ids"])
                )
            ).all()
        )
    assert [r.reference for r in rows] == [references[i] for i in batch_of_three["ids"]]
    joko, budi, sri = rows
    assert (budi.nik, budi.kelurahan, budi.kecamatan, budi.occupation) == (
        "3374011205900012",
        "Tanjung Mas",
        "Semarang Utara",
        "Nelayan",
    )
    assert (budi.funding_source, budi.period_start, budi.period_end) == (
        "DBHCHT",
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    assert budi.monthly_contribution == 15_000 + 6_800  # 1% of Rp1.500.000 + JKM
    assert joko.monthly_contribution == 30_000 + 6_800
    assert (joko.kpj_number, joko.coverage_starts_on) == ("26012345678", date(2026, 12, 1))
    assert (sri.occupation_code, sri.occupation_other, sri.workplace) == (
        "lainnya",
        "Tukang becak",
        None,
    )
    assert sri.kecamatan == "Semarang Tengah"


def test_batch_files_stream_through_a_response(app, batch_of_three):
    """As the download views send them: Response(stream_with_context(...))."""
    with app.test_request_context():
        batch = db.session.get(EnrollmentBatch, batch_of_three["batch"])
        body = Response(stream_with_context(csv_chunks(batch_rows(batch)))).get_data()
        parsed = read_csv([body.decode("utf-8")])
        assert len(parsed) == 4
        assert parsed[3][HEADERS.index("PEKERJAAN")] == "Tukang becak"
        assert parsed[2][HEADERS.index("SUMBER_DANA")] == "DBHCHT"
    with app.test_request_context():
        batch = db.session.get(EnrollmentBatch, batch_of_three["batch"])
        body = Response(stream_with_context(xlsx_chunks(batch_rows(batch)))).get_data()
        sheet = read_xlsx([body])["PESERTA"]
        assert sheet.max_row == 4
        assert sheet.cell(row=2, column=HEADERS.index("NO_KPJ") + 1).value == "26012345678"
