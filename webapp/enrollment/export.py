"""An enrollment batch as a file for BPJS Ketenagakerjaan, streamed as CSV or XLSX.

The columns come from ``layout.COLUMNS``. Both writers are generators fed by
``batch_rows``, which reads the batch from the database in slices, so the memory an
export takes does not grow with the batch. A download view sends them as they are::

    Response(stream_with_context(csv_chunks(batch_rows(batch))), mimetype=CSV_MIMETYPE)
    Response(stream_with_context(xlsx_chunks(batch_rows(batch))), mimetype=XLSX_MIMETYPE)
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator

import xlsxwriter
from sqlalchemy import select

from ..domain.contributions import ContributionSettings, monthly_contribution
from ..domain.reference import load_settings
from ..domain.spreadsheets import BOM, csv_line
from ..extensions import db
from ..lifecycle import IN_BATCH
from ..models import EnrollmentBatch, Occupation, Region, Registration
from .layout import COLUMNS, HEADERS, ExportRow, row_values

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "PESERTA"
NOTES_SHEET = "KETERANGAN"

ROWS_PER_QUERY = 1_000  # rows fetched from the database at a time
ROWS_PER_CSV_CHUNK = 500
XLSX_CHUNK_BYTES = 256 * 1024

_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")


def batch_rows(
    batch: EnrollmentBatch, *, settings: ContributionSettings | None = None
) -> Iterator[ExportRow]:
    """The batch's registrations as export rows, in a stable order (by id), streamed.

    The batch's fields, the names of regions and occupations and the contribution
    settings are read now; the registrations are read as the rows are consumed, a slice
    at a time (a server-side cursor on PostgreSQL).
    """
    settings = settings or load_settings()
    regions = dict(db.session.execute(select(Region.code, Region.name)).all())
    occupations = dict(db.session.execute(select(Occupation.code, Occupation.name_id)).all())
    batch_id, source = batch.id, batch.funding_source_code
    period_start, period_end = batch.period_start, batch.period_end
    query = (
        select(
            Registration.reference,
            Registration.nik,
            Registration.full_name,
            Registration.birth_date,
            Registration.sex,
            Registration.phone,
            Registration.address,
            Registration.kelurahan_code,
            Registration.kecamatan_code,
            Registration.occupation,
            Registration.occupation_other,
            Registration.workplace,
            Registration.monthly_income,
            Registration.heir_name,
            Registration.heir_relationship,
            Registration.heir_phone,
            Registration.kpj_number,
            Registration.coverage_starts_on,
        )
        # In the file while in the batch: exported, or enrolled since.
        .where(Registration.batch_id == batch_id, Registration.status.in_(IN_BATCH))
        .order_by(Registration.id)
        .execution_options(yield_per=ROWS_PER_QUERY)
    )

    def rows() -> Iterator[ExportRow]:
        contributions: dict[int, int] = {}  # declared incomes are few round numbers
        for r in db.session.execute(query):
            income = r.monthly_income
            if income not in contributions:
                contributions[income] = monthly_contribution(settings, income).total
            yield ExportRow(
                reference=r.reference,
                nik=r.nik,
                full_name=r.full_name,
                birth_date=r.birth_date,
                sex=r.sex,
                phone=r.phone,
                address=r.address,
                kelurahan=regions.get(r.kelurahan_code, r.kelurahan_code),
                kecamatan=regions.get(r.kecamatan_code, r.kecamatan_code),
                occupation_code=r.occupation,
                occupation=occupations.get(r.occupation, r.occupation),
                occupation_other=r.occupation_other,
                workplace=r.workplace,
                monthly_income=income,
                heir_name=r.heir_name,
                heir_relationship=r.heir_relationship,
                heir_phone=r.heir_phone,
                funding_source=source,
                period_start=period_start,
                period_end=period_end,
                monthly_contribution=contributions[income],
                kpj_number=r.kpj_number,
                coverage_starts_on=r.coverage_starts_on,
            )

    return rows()


def export_filename(batch: EnrollmentBatch, ext: str) -> str:
    """'pijar-semar-B-2026-0007-APBD.xlsx': the batch and its source, no personal data."""
    source = _UNSAFE_IN_FILENAME.sub("-", batch.funding_source_code).strip("-")
    return f"pijar-semar-{batch.label}-{source}.{ext}"


def csv_chunks(rows: Iterable[ExportRow]) -> Iterator[str]:
    """The CSV file in pieces: a UTF-8 BOM and the header first, then the rows.

    Comma-separated, CRLF line ends, each line written by ``spreadsheets.csv_line``: a
    value quoted where it holds a comma, semicolon, tab, quote or line break (RFC 4180),
    and never read as a formula, with "," or ";" as the list separator.
    """
    yield BOM + csv_line(HEADERS)  # the download starts at once
    lines: list[str] = []
    for row in rows:
        lines.append(csv_line(row_values(row)))
        if len(lines) == ROWS_PER_CSV_CHUNK:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def write_xlsx(
    rows: Iterable[ExportRow], target: str | io.BytesIO, *, tmpdir: str | None = None
) -> int:
    """Write the workbook: the rows on sheet PESERTA, the columns explained on KETERANGAN.

    ``constant_memory`` writes each row out as soon as the next starts, so memory stays
    flat. Every text value is written with ``write_string``, never guessed: a NIK or a
    phone number stays text (as a number a 16-digit NIK would lose its last digit), and
    nothing typed can become a formula. XlsxWriter keeps each sheet's rows in a file in
    ``tmpdir`` until it closes the workbook. Returns the number of rows written.
    """
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "tmpdir": tmpdir,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"title": "PIJAR SEMAR: pendaftaran peserta BPU"})
    bold = workbook.add_format({"bold": True})
    as_text = workbook.add_format({"num_format": "@"})

    sheet = workbook.add_worksheet(DATA_SHEET)
    sheet.freeze_panes(1, 0)
    for col, column in enumerate(COLUMNS):
        sheet.set_column(col, col, column.xlsx_width, as_text if column.digits else None)
        sheet.write_string(0, col, column.header, bold)
    notes = workbook.add_worksheet(NOTES_SHEET)
    notes.set_column(0, 0, max(len(h) for h in HEADERS) + 2)
    notes.set_column(1, 1, 80)
    notes.write_string(0, 0, "KOLOM", bold)
    notes.write_string(0, 1, "KETERANGAN", bold)
    for n, column in enumerate(COLUMNS, start=1):
        notes.write_string(n, 0, column.header)
        notes.write_string(n, 1, column.description)

    numbers = [column.number for column in COLUMNS]
    write_string, write_number = sheet.write_string, sheet.write_number
    count = 0
    try:
        for count, row in enumerate(rows, start=1):
            for col, (value, is_number) in enumerate(zip(row_values(row), numbers, strict=True)):
                if is_number:
                    write_number(count, col, value)
                elif value:
                    write_string(count, col, value)
    finally:
        workbook.close()  # also when reading the rows failed: it closes the sheets' files
    return count


def xlsx_chunks(rows: Iterable[ExportRow]) -> Iterator[bytes]:
    """The XLSX file in pieces of bytes.

    An XLSX is a zip that can only be sent once it is complete: the workbook is written
    to a temporary folder on the first request for a piece, then read back in pieces.
    The folder is deleted when the last piece is sent, the download is abandoned, or
    writing fails.
    """
    with tempfile.TemporaryDirectory(prefix="pijar-semar-") as folder:
        path = os.path.join(folder, "export.xlsx")
        write_xlsx(rows, path, tmpdir=folder)
        with open(path, "rb") as f:
            while chunk := f.read(XLSX_CHUNK_BYTES):
                yield chunk
