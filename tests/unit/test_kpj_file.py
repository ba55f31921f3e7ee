"""Reading a KPJ file and deciding each line, without the database."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
import xlsxwriter

from webapp.enrollment.kpj import (
    Candidate,
    KpjFileError,
    KpjLine,
    Outcome,
    plan_import,
    read_kpj_file,
    safe_filename,
)

NIK = "3374011205900012"
NIK2 = "3374015507850003"
TODAY = date(2026, 11, 24)


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx_bytes(rows, sheet_title: str = "Sheet1", extra_sheets=()) -> bytes:
    """A workbook made by openpyxl, as Excel would save it (date cells are dates)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for row in rows:
        sheet.append(list(row))
    for title, more in extra_sheets:
        other = workbook.create_sheet(title)
        for row in more:
            other.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def problems(line: KpjLine) -> str:
    return " ".join(str(p) for p in line.problems)


def file_error(content: bytes) -> str:
    with pytest.raises(KpjFileError) as caught:
        read_kpj_file(content)
    return str(caught.value)


# ---------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize(
    "text",
    [
        "NIK,NO_KPJ,TGL_KEPESERTAAN\r\n3374011205900012,26012345678,01-12-2026\r\n",
        "nik;No. KPJ;Tgl Kepesertaan\n3374011205900012;26012345678;01/12/2026\n",
        "\ufeffNIK;KPJ;TMT\n3374011205900012;2601-2345-678;2026-12-01\n",
        "Nomor KPJ\tNIK\tTanggal Mulai\n26012345678\t3374 0112 0590 0012\t01.12.2026\n",
    ],
    ids=["comma", "semicolon-aliases", "bom-iso-date", "tab-other-order"],
)
def test_csv_with_any_separator_and_column_names(text):
    [line] = read_kpj_file(csv_bytes(text))
    assert (line.line, line.nik, line.kpj, line.starts_on) == (
        2,
        NIK,
        "26012345678",
        date(2026, 12, 1),
    )
    assert line.ok


def test_a_csv_saved_by_excel_in_windows_1252_or_utf16():
    text = "NIK;NO_KPJ;TGL_KEPESERTAAN;NAMA\n3374011205900012;26012345678;01-12-2026;Dédé\n"
    for encoding in ("cp1252", "utf-16"):
        [line] = read_kpj_file(text.encode(encoding))
        assert line.ok and line.kpj == "26012345678"


def test_blank_lines_are_skipped_and_line_numbers_are_the_spreadsheets():
    text = (
        "\n"
        "NIK,NO_KPJ,TGL_KEPESERTAAN,CATATAN\n"
        "3374011205900012,26012345678,01-12-2026,\n"
        ",,,\n"
        "\n"
        "3374015507850003,26012345679,01-12-2026,\n"
        ",,,JUMLAH 2\n"
    )
    lines = read_kpj_file(csv_bytes(text))
    assert [(line.line, line.nik) for line in lines] == [(3, NIK), (6, NIK2)]


def test_each_bad_value_is_reported_on_its_line():
    text = (
        "NIK,NO_KPJ,TGL_KEPESERTAAN\n"
        "337401120590001,26012345678,01-12-2026\n"
        "3374011205900012,,01-12-2026\n"
        "3374011205900012,ABC123,31-02-2026\n"
        ",26012345678,\n"
        "'3374011205900012,'26012345678,01-12-2026\n"
    )
    lines = read_kpj_file(csv_bytes(text))
    assert [line.line for line in lines] == [2, 3, 4, 5, 6]
    assert problems(lines[0]) == "NIK harus 16 angka."
    assert problems(lines[1]) == "Nomor KPJ kosong."
    assert "Nomor KPJ harus 8 sampai 20 angka." in problems(lines[2])
    assert "Tanggal kepesertaan tidak valid" in problems(lines[2])
    assert problems(lines[3]) == "NIK kosong. Tanggal kepesertaan kosong."
    assert lines[4].ok  # a leading ' (Excel's "this is text") is not part of the value
    assert not lines[0].nik_ok and lines[1].nik_ok


# ---------------------------------------------------------------------------
# XLSX


def test_xlsx_with_date_cells_and_text_cells():
    content = xlsx_bytes(
        [
            ("No", "NIK", "Nama", "NO KPJ", "TGL_KEPESERTAAN"),
            (1, NIK, "Budi", "26012345678", datetime(2026, 12, 1)),
            (2, NIK2, "Sri", 26012345679, "15-12-2026"),
        ]
    )
    lines = read_kpj_file(content)
    assert [(x.line, x.nik, x.kpj, x.starts_on) for x in lines] == [
        (2, NIK, "26012345678", date(2026, 12, 1)),
        (3, NIK2, "26012345679", date(2026, 12, 15)),
    ]


def test_a_nik_stored_as_a_number_is_refused():
    content = xlsx_bytes(
        [("NIK", "KPJ", "TMT"), (3374011205900012, "26012345678", datetime(2026, 12, 1))]
    )
    [line] = read_kpj_file(content)
    assert not line.ok and not line.nik_ok
    assert "NIK tersimpan sebagai angka; ubah kolom menjadi teks" in problems(line)


def test_a_date_stored_as_a_plain_number_is_refused():
    [line] = read_kpj_file(xlsx_bytes([("NIK", "KPJ", "TMT"), (NIK, "26012345678", 46357)]))
    assert "Tanggal kepesertaan tersimpan sebagai angka" in problems(line)


def test_blank_xlsx_rows_keep_the_row_numbers():
    content = xlsx_bytes(
        [
            (None, None, None),
            ("NIK", "NO_KPJ", "TGL_KEPESERTAAN"),
            (None, None, None),
            (NIK, "26012345678", "01-12-2026"),
        ]
    )
    [line] = read_kpj_file(content)
    assert line.line == 4


def test_the_sheet_with_the_columns_is_read():
    content = xlsx_bytes(
        [("Petunjuk",), ("Isi lembar DATA",)],
        sheet_title="PETUNJUK",
        extra_sheets=[("DATA", [("NIK", "NO_KPJ", "TMT"), (NIK, "26012345678", "01-12-2026")])],
    )
    [line] = read_kpj_file(content)
    assert line.ok


def test_our_own_export_with_kpj_filled_in_can_be_read_back():
    """A batch file written by XlsxWriter (as the export does) with the KPJ columns filled."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out)
    sheet = workbook.add_worksheet("PESERTA")
    sheet.write_row(0, 0, ["NIK", "NAMA_LENGKAP", "NO_KPJ", "TGL_KEPESERTAAN"])
    sheet.write_string(1, 0, NIK)
    sheet.write_string(1, 1, "Budi Santoso")
    sheet.write_string(1, 2, "26012345678")
    sheet.write_string(1, 3, "01-12-2026")
    workbook.add_worksheet("KETERANGAN").write_row(0, 0, ["KOLOM", "KETERANGAN"])
    workbook.close()
    [line] = read_kpj_file(out.getvalue())
    assert (line.nik, line.kpj, line.starts_on) == (NIK, "26012345678", date(2026, 12, 1))


# ---------------------------------------------------------------------------
# Files that cannot be used


def test_missing_columns_are_named_with_what_was_found():
    message = file_error(csv_bytes("NIK,NAMA,KPJ\n3374011205900012,Budi,26012345678\n"))
    assert "Kolom yang diperlukan tidak ada: TGL_KEPESERTAAN" in message
    assert "Kolom yang ditemukan di baris 1: NIK, NAMA, KPJ" in message


def test_a_file_without_a_header_says_the_first_line_must_be_one():
    message = file_error(csv_bytes("3374011205900012,26012345678,01-12-2026\n"))
    assert "NIK, NO_KPJ, TGL_KEPESERTAAN" in message
    assert "Baris pertama yang terisi harus berisi judul kolom" in message


def test_a_column_given_twice_is_refused():
    assert "Kolom NO_KPJ ada lebih dari satu" in file_error(
        csv_bytes("NIK,KPJ,NO KPJ,TMT\n3374011205900012,1,2,01-12-2026\n")
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Berkas kosong"),
        (b"\r\n\r\n  \n", "Berkas kosong"),
        (b"NIK,NO_KPJ,TGL_KEPESERTAAN\r\n", "hanya berisi judul kolom"),
        (b"NIK;NO_KPJ;TGL_KEPESERTAAN\n;;\n\n", "hanya berisi judul kolom"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "gambar PNG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "dokumen PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel lama (.xls)"),
        (bytes(range(256)) * 4, "bukan lembar kerja CSV atau XLSX"),
        (b"<html><body><table><tr><td>NIK</td></tr></table></body></html>", "bukan lembar"),
        (b"PK\x03\x04 not really a zip", "rusak"),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "header-and-blank-lines",
        "png",
        "pdf",
        "xls",
        "random-bytes",
        "html",
        "broken-zip",
    ],
)
def test_files_that_cannot_be_used_get_one_clear_message(content, message):
    assert message in file_error(content)


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert "bukan lembar kerja CSV atau XLSX" in file_error(out.getvalue())


def test_an_empty_workbook_is_empty():
    assert "Berkas kosong" in file_error(xlsx_bytes([]))


def test_too_many_lines_are_refused(monkeypatch):
    monkeypatch.setattr("webapp.enrollment.kpj.MAX_LINES", 3)
    rows = "".join(f"33740112059{n:05d},2601234567{n},01-12-2026\n" for n in range(1, 5))
    assert "lebih dari 3 baris" in file_error(csv_bytes("NIK,KPJ,TMT\n" + rows))


# ---------------------------------------------------------------------------
# Deciding each line


def line(number, nik=NIK, kpj="26012345678", starts_on=date(2026, 12, 1)):
    return KpjLine(number, nik, kpj, starts_on, (), nik_ok=True)


def exported(id_=1, **changes):
    values = {
        "id": id_,
        "reference": f"PS-AAAA-000{id_}",
        "status": "exported",
        "kpj_number": None,
        "coverage_starts_on": None,
        "batch_status": "sent",
        "batch_period_start": date(2026, 12, 1),
    }
    values.update(changes)
    return Candidate(**values)


def outcomes(lines, registrations, holders=None):
    results = plan_import(lines, registrations, holders or {}, today=TODAY)
    return [(r.line, r.outcome.value, " ".join(str(x) for x in r.reasons)) for r in results]


def test_an_exported_registration_is_enrolled():
    [result] = plan_import([line(2)], {NIK: [exported()]}, {}, today=TODAY)
    assert result.outcome == Outcome.ENROLLED
    assert (result.registration_id, result.kpj, result.starts_on) == (
        1,
        "26012345678",
        date(2026, 12, 1),
    )


def test_already_enrolled_with_the_same_kpj_changes_nothing():
    enrolled = exported(status="enrolled", kpj_number="26012345678")
    enrolled = Candidate(**{**enrolled.__dict__, "coverage_starts_on": date(2026, 12, 1)})
    assert outcomes([line(2)], {NIK: [enrolled]}, {"26012345678": enrolled}) == [(2, "already", "")]


def test_the_reasons_a_line_is_not_recorded():
    other_batch = exported(2, batch_status="ready")
    cases = [
        ({}, "NIK tidak ditemukan"),
        ({NIK: [exported(status="approved", batch_status=None)]}, "status: Disetujui"),
        ({NIK: [exported(batch_status="cancelled")]}, "batch yang dibatalkan"),
        ({NIK: [exported(), other_batch]}, "ada di 2 pendaftaran"),
        ({NIK: [exported(status="enrolled", kpj_number="99999999999")]}, "nomor KPJ lain"),
    ]
    for registrations, reason in cases:
        [(_, outcome, text)] = outcomes([line(2)], registrations)
        assert outcome == "error" and reason in text, (reason, text)


def test_a_kpj_held_by_another_registration_is_refused():
    holder = exported(7, status="enrolled", kpj_number="26012345678")
    [(_, outcome, text)] = outcomes([line(2)], {NIK: [exported()]}, {"26012345678": holder})
    assert outcome == "error" and "sudah dipakai pendaftaran PS-AAAA-0007" in text


@pytest.mark.parametrize(
    ("starts_on", "ok"),
    [
        (date(2025, 1, 1), True),  # the year before the batch's period starts
        (date(2024, 12, 31), False),
        (date(2027, 11, 24), True),  # a year from today
        (date(2027, 11, 25), False),
    ],
)
def test_start_dates_far_from_the_batch_are_refused(starts_on, ok):
    [(_, outcome, text)] = outcomes([line(2, starts_on=starts_on)], {NIK: [exported()]})
    assert (outcome == "enrolled") is ok
    assert ok or "di luar batas" in text


def test_repeated_lines_that_agree_are_applied_once():
    results = outcomes([line(2), line(5)], {NIK: [exported()]})
    assert results == [(2, "enrolled", ""), (5, "duplicate", "Sama dengan baris 2; dilewati.")]


def test_repeated_lines_that_disagree_are_all_refused():
    lines = [line(2), line(3, kpj="26012345670"), line(4, starts_on=date(2026, 12, 15))]
    results = outcomes(lines, {NIK: [exported()]})
    assert [r[:2] for r in results] == [(2, "error"), (3, "error"), (4, "error")]
    assert "juga ada di baris 3, 4 dengan isi berbeda" in results[0][2]


def test_a_repeated_nik_with_a_bad_line_is_refused_too():
    bad = KpjLine(3, NIK, None, date(2026, 12, 1), ("Nomor KPJ kosong.",), nik_ok=True)
    results = outcomes([line(2), bad], {NIK: [exported()]})
    assert [r[:2] for r in results] == [(2, "error"), (3, "error")]
    assert results[1][2].startswith("Nomor KPJ kosong.")


def test_one_kpj_for_two_niks_in_the_file_is_refused():
    results = outcomes([line(2), line(3, nik=NIK2)], {NIK: [exported()], NIK2: [exported(2)]})
    assert results == [
        (
            2,
            "error",
            "Nomor KPJ ini juga tertulis untuk NIK lain di baris 3; tidak ada yang dicatat.",
        ),
        (
            3,
            "error",
            "Nomor KPJ ini juga tertulis untuk NIK lain di baris 2; tidak ada yang dicatat.",
        ),
    ]


def test_messages_never_hold_the_nik():
    lines = [line(2), line(3, kpj="26012345670"), line(4, nik=NIK2)]
    text = str(outcomes(lines, {NIK: [exported()]}))
    assert NIK not in text and NIK2 not in text


def test_file_names_in_the_audit_log_hide_long_numbers():
    assert safe_filename(f"kpj {NIK}.xlsx") == "kpj " + "•" * 16 + ".xlsx"
    assert safe_filename("KPJ-B-2026-0007.xlsx") == "KPJ-B-2026-0007.xlsx"
