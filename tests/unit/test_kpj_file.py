"""Reading a KPJ file and deciding each line, without the database."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from dataclasses import replace
from datetime import date, datetime

import openpyxl
import pytest
import xlsxwriter

from tests.unit.test_export_layout import SAMPLE
from webapp.domain import workbook_check
from webapp.domain.workbook_check import (
    MAX_PART_BYTES,
    MAX_RATIO,
    MAX_RECORD_ELEMENTS,
    MAX_SHARED_STRINGS,
    MAX_UNPACKED_BYTES,
    MAX_XML_ELEMENTS,
)
from webapp.enrollment.export import write_xlsx
from webapp.enrollment.kpj import (
    BROKEN_XLSX,
    MAX_CELL_CHARS,
    MAX_LINES,
    WORKBOOK_TOO_LARGE,
    Candidate,
    KpjFileError,
    KpjLine,
    Outcome,
    check_workbook,
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
# Files that would cost minutes or gigabytes: refused at once, or read within bounds

MIB = 2**20
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_START = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="%s"><sheetData>' % MAIN_NS
SHEET_END = b"</sheetData></worksheet>"
HEADER_ROW = (
    b'<row r="1"><c t="inlineStr"><is><t>NIK</t></is></c><c t="inlineStr"><is><t>NO_KPJ'
    b'</t></is></c><c t="inlineStr"><is><t>TGL_KEPESERTAAN</t></is></c></row>'
)
BLANK_ROW = b'<row><c t="inlineStr"><is><t> </t></is></c></row>'
TOO_LARGE = str(WORKBOOK_TOO_LARGE)


def deflated(*pieces: tuple[bytes, int]) -> tuple[bytes, int, int]:
    """(deflate data, size, CRC) of these pieces, each (bytes, times over), made at once
    however large: each piece is packed once, then fully flushed, so that every copy of
    it packs to the same bytes, which are repeated."""
    data, size, crc = [], 0, 0
    for block, times in pieces:
        packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        data.append((packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)) * times)
        size += len(block) * times
        for _ in range(times):
            crc = zlib.crc32(block, crc)
    return b"".join(data) + b"\x03\x00", size, crc  # and an empty last block


def zip_of(parts: dict[str, bytes | tuple[bytes, int, int]]) -> bytes:
    """A zip of these parts: bytes are deflated as they are; a tuple is (deflate data,
    size, CRC) as the directory should declare them, true or not."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, part in parts.items():
        raw, size, crc = deflated((part, 1)) if isinstance(part, bytes) else part
        encoded, offset = name.encode(), out.tell()
        sizes = (crc, len(raw), size, len(encoded))
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, *sizes, 0))
        out.write(encoded + raw)
        zeros = (0, 0, 0, 0, 0)  # extra, comment, disk, internal and external attributes
        directory.write(
            struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, *sizes, *zeros, offset)
        )
        directory.write(encoded)
    start, count, listing = out.tell(), len(parts), directory.getvalue()
    out.write(listing)
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, len(listing), start, 0))
    return out.getvalue()


def workbook(
    sheets: list[bytes | tuple[bytes, int, int]],
    shared_strings: bytes | tuple[bytes, int, int] | None = None,
    more: dict[str, bytes | tuple[bytes, int, int]] | None = None,
) -> bytes:
    """A minimal XLSX, as openpyxl reads it, of these sheets (their whole XML) and more
    parts."""
    n = range(1, len(sheets) + 1)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{kind}.worksheet+xml"/>'
        for i in n
    )
    if shared_strings is not None:
        overrides += (
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/>'
        )
    package = "http://schemas.openxmlformats.org/package/2006"
    relations = f'<?xml version="1.0"?><Relationships xmlns="{package}/relationships">'
    parts: dict[str, bytes | tuple[bytes, int, int]] = {
        "[Content_Types].xml": (
            f'<?xml version="1.0"?><Types xmlns="{package}/content-types"><Default '
            f'Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
            f"{overrides}</Types>"
        ).encode(),
        "_rels/.rels": (
            f'{relations}<Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
            f'Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{MAIN_NS.decode()}" xmlns:r="{REL_NS}">'
            + "<sheets>"
            + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in n)
            + "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            relations
            + "".join(
                f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in n
            )
            + "</Relationships>"
        ).encode(),
    }
    for i, sheet in zip(n, sheets, strict=True):
        parts[f"xl/worksheets/sheet{i}.xml"] = sheet
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    parts.update(more or {})
    return zip_of(parts)


def sheet_of(*rows: bytes, after: bytes = b"") -> bytes:
    return SHEET_START + HEADER_ROW + b"".join(rows) + b"</sheetData>" + after + b"</worksheet>"


def big_sheet() -> bytes:
    """More rows than openpyxl may hold at once, harmless one at a time."""
    return sheet_of(*(b'<row r="%d"/>' % n for n in range(2, MAX_RECORD_ELEMENTS + 2)))


def strings_of(*strings: bytes) -> bytes:
    return b'<sst xmlns="%s">%s</sst>' % (MAIN_NS, b"".join(strings))


def refused(content: bytes) -> tuple[KpjFileError, float, float]:
    """The refusal, the seconds it took and the most memory Python held meanwhile (MB)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(KpjFileError) as caught:
            read_kpj_file(content)
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    return caught.value, seconds, peak


def sheet_bomb() -> bytes:
    """A sheet of 256 MB of the same row, in a zip of 400 KB."""
    return workbook(
        [deflated((SHEET_START + HEADER_ROW, 1), (BLANK_ROW * 20_000, 256), (SHEET_END, 1))]
    )


def shared_strings_bomb() -> bytes:
    """A shared strings table of 256 MB: 13 million strings of 'aaaa'."""
    strings = deflated(
        (b'<sst xmlns="%s">' % MAIN_NS, 1), (b"<si><t>aaaa</t></si>" * 50_000, 256), (b"</sst>", 1)
    )
    return workbook([sheet_of()], shared_strings=strings)


def lying_styles() -> bytes:
    """xl/styles.xml declared 32 bytes long, its data unpacking to 256 MB: zipfile cuts
    what it returns at 32 bytes, but reading the whole part inflates all of it first."""
    styles = b'<styleSheet xmlns="%s"/>' % MAIN_NS
    data, _, _ = deflated((b" " * MIB, 256))
    return workbook([sheet_of()], more={"xl/styles.xml": (data, len(styles), zlib.crc32(styles))})


def many_parts() -> bytes:
    """2,000 parts (the sheets of a workbook) of 100 KB of empty rows each."""
    return workbook([deflated((SHEET_START, 1), (b"<row/>" * 17_000, 1), (SHEET_END, 1))] * 2_000)


def row_gap() -> bytes:
    """A header, then a cell in Excel's last row: a few hundred bytes."""
    last = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook([sheet_of(last)])


BOMBS = {
    "sheet": (sheet_bomb, TOO_LARGE, "xl/worksheets/sheet1.xml: part size"),
    "shared-strings": (shared_strings_bomb, TOO_LARGE, "xl/sharedStrings.xml: part size"),
    "lying-size": (lying_styles, str(BROKEN_XLSX), "xl/styles.xml: larger than declared"),
    "many-parts": (many_parts, TOO_LARGE, "more than 1000 parts"),
    "row-gap": (row_gap, "lebih dari 40.000 baris, termasuk baris kosong", ""),
}


@pytest.mark.parametrize(("make", "message", "reason"), BOMBS.values(), ids=BOMBS)
def test_a_bomb_is_refused_at_once_with_a_message(make, message, reason):
    content = make()
    assert len(content) < 1024 * 1024
    err, seconds, peak_mb = refused(content)
    assert message in str(err) and err.reason == reason
    assert seconds < 5 and peak_mb < 20  # in practice, milliseconds and kilobytes


def test_any_part_too_large_or_compressed_too_well_or_all_too_large_is_refused():
    row = deflated((SHEET_START, 1), (BLANK_ROW * 20_000, 64), (SHEET_END, 1))  # 64 MB
    assert row[1] < MAX_PART_BYTES and row[1] > 100 * len(row[0])
    assert refused(workbook([row]))[0].reason == "xl/worksheets/sheet1.xml: compression ratio"
    # Parts of 1 MB are not checked for their ratio: their total is.
    small = deflated((SHEET_START, 1), (b"<row/>" * 174_000, 1), (SHEET_END, 1))
    assert MAX_UNPACKED_BYTES < 200 * small[1] <= 200 * MIB
    assert refused(workbook([small] * 200))[0].reason == "unpacked size"


def test_a_lying_sheet_is_refused_before_openpyxl_reads_it():
    data, _, _ = deflated((SHEET_START + HEADER_ROW, 1), (BLANK_ROW * 20_000, 256), (SHEET_END, 1))
    real = sheet_of()
    err, seconds, peak_mb = refused(workbook([(data, len(real), zlib.crc32(real))]))
    assert err.reason == "xl/worksheets/sheet1.xml: larger than declared"
    assert seconds < 5 and peak_mb < 20


@pytest.mark.parametrize(
    ("sheet", "reason"),
    [
        (
            sheet_of(
                after=b"<mergeCells>%s</mergeCells>"
                % b"".join(
                    b'<mergeCell ref="A%d:B%d"/>' % (n, n)
                    for n in range(3, MAX_RECORD_ELEMENTS + 4)
                )
            ),
            "xl/worksheets/sheet1.xml: elements of one record",
        ),
        (
            sheet_of(
                b'<row r="2">%s</row>'
                % b"".join(
                    b'<c r="A2"><v>%d</v></c>' % n for n in range(MAX_RECORD_ELEMENTS // 2 + 1)
                )
            ),
            "xl/worksheets/sheet1.xml: elements of one record",
        ),
        (
            sheet_of(
                b'<row r="2"><c t="inlineStr"><is><t>%s</t></is></c></row>' % (b"x" * 300_000)
            ),
            "xl/worksheets/sheet1.xml: a text or tag",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
            + b'<worksheet xmlns="%s"><sheetData>%s%s' % (MAIN_NS, HEADER_ROW, SHEET_END),
            "xl/worksheets/sheet1.xml: DTD",
        ),
        (  # after which the rows are not told apart: "<row" could be in the comment
            big_sheet().replace(b"<sheetData>", b"<sheetData><!-- a comment -->"),
            "xl/worksheets/sheet1.xml: elements of one record",
        ),
    ],
    ids=["merged-cells", "a-row-of-10001-cells", "a-text-of-300-KB", "a-DTD", "a-comment"],
)
def test_xml_that_openpyxl_would_keep_whole_or_expand_is_refused(sheet, reason):
    err, seconds, _ = refused(workbook([sheet]))
    assert err.reason == reason and seconds < 5


def content_types(workbook_part: str = "/xl/workbook.xml") -> bytes:
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="{workbook_part}" ContentType="{kind}.sheet.main+xml"/></Types>'
    ).encode()


def test_our_parts_may_be_large_where_openpyxl_reads_them_a_record_at_a_time():
    """A sheet and the shared strings a row or a string at a time; the calculation chain
    of a formula column of 20,000 lines, never."""
    strings = strings_of(*(b"<si><t>%d</t></si>" % n for n in range(MAX_RECORD_ELEMENTS)))
    chain = b'<calcChain xmlns="%s">%s</calcChain>' % (
        MAIN_NS,
        b"".join(b'<c r="D%d" i="1"/>' % n for n in range(2, 30_002)),
    )
    # As some programs write a sheet: a comment first, the elements with a prefix.
    prefixed = (
        big_sheet()
        .replace(b"<worksheet", b"<!-- made by a program --><x:worksheet")
        .replace(b'xmlns="', b'xmlns:x="')
        .replace(b"<row", b"<x:row")
    )
    assert prefixed.count(b"<x:row") > MAX_RECORD_ELEMENTS
    more = {"xl/calcChain.xml": chain}
    check_workbook(workbook([big_sheet(), prefixed], strings, more=more))


@pytest.mark.parametrize(
    ("more", "reason"),
    [
        ({"xl/styles.xml": big_sheet()}, "xl/styles.xml: too large to read whole"),
        (
            {"[Content_Types].xml": content_types("/xl/worksheets/sheet1.xml")},
            "xl/worksheets/sheet1.xml: too large to read whole",
        ),
        (
            {
                "xl/drawings/_rels/drawing1.xml.rels": (
                    f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                    f'relationships"><Relationship Id="rId1" Type="{REL_NS}/chart" '
                    f'Target="../worksheets/sheet1.xml"/></Relationships>'
                ).encode()
            },
            "xl/worksheets/sheet1.xml: too large to read whole",
        ),
    ],
    ids=["a-sheet-as-the-styles", "a-sheet-as-the-workbook", "a-sheet-as-a-chart"],
)
def test_a_part_openpyxl_would_read_whole_is_limited_as_a_whole(more, reason):
    err, seconds, _ = refused(workbook([big_sheet()], more=more))
    assert err.reason == reason and seconds < 5


def test_more_shared_strings_than_a_real_file_are_refused():
    strings = strings_of(*(b"<si><t>%x</t></si>" % n for n in range(MAX_SHARED_STRINGS + 1)))
    err, seconds, _ = refused(workbook([sheet_of()], shared_strings=strings))
    assert err.reason == "shared strings" and seconds < 5


def test_more_xml_elements_than_the_limit_are_refused(monkeypatch):
    monkeypatch.setattr(workbook_check, "MAX_XML_ELEMENTS", 1_000)
    rows = [b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(2, 400)]
    assert refused(workbook([sheet_of(*rows)]))[0].reason == "XML elements"


def test_a_row_far_below_the_data_and_too_many_csv_rows_are_refused():
    message = "lebih dari 40.000 baris, termasuk baris kosong"
    assert message in str(refused(row_gap())[0])
    assert message in str(refused(b";\n" * (5 * MIB // 2 - 1))[0])


def test_a_text_that_long_is_cut_and_reported_on_its_line():
    """One shared string of 200,000 characters used by every cell of 2,000 lines."""
    header = b"".join(b'<c t="s"><v>%d</v></c>' % i for i in range(3))
    rows = b"".join(
        b'<row r="%d"><c t="s"><v>3</v></c><c t="s"><v>3</v></c><c t="s"><v>3</v></c></row>' % n
        for n in range(2, 2_002)
    )
    names = b"".join(b"<si><t>%s</t></si>" % n for n in (b"NIK", b"NO_KPJ", b"TGL_KEPESERTAAN"))
    long = b"<si><t>%s</t></si>" % ((NIK.encode() + b" ") * 11_765)
    sheet = SHEET_START + b'<row r="1">' + header + b"</row>" + rows + SHEET_END
    content = workbook([sheet], shared_strings=strings_of(names, long))
    started = time.perf_counter()
    lines = read_kpj_file(content)
    assert time.perf_counter() - started < 5
    assert len(lines) == 2_000 and not any(line.ok for line in lines)
    assert max(len(line.nik) for line in lines) <= MAX_CELL_CHARS
    assert "NIK harus 16 angka." in problems(lines[0])
    [csv_line] = read_kpj_file(csv_bytes(f"NIK;KPJ;TMT\n{'1' * 5_000};26012345678;01-12-2026\n"))
    assert len(csv_line.nik) == MAX_CELL_CHARS


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"NIK" * (5 * MIB // 3), "Baris 1 berisi lebih dari 65.536 karakter"),
        (b"NIK,NO_KPJ,TGL_KEPESERTAAN" + b"," * (5 * MIB - 30), "Baris 1 berisi lebih dari"),
        (b'NIK,KPJ,TMT\n1,"' + b"2\n" * (2 * MIB) + b'",3\n', "Baris 2 berisi lebih dari"),
        (b"\n" * (5 * MIB), "Berkas kosong"),
        (b"NIK,KPJ,TMT\n" + b"1,2,3\n" * (5 * MIB // 6 - 2), "lebih dari 20.000 baris data"),
    ],
    ids=["one-line", "one-line-of-separators", "one-quoted-cell", "blank-lines", "short-lines"],
)
def test_a_csv_of_5_mb_is_answered_at_once_within_bounds(content, message):
    err, seconds, peak_mb = refused(content)
    assert message in str(err)
    assert seconds < 5 and peak_mb < 50


def test_a_real_file_of_20000_lines_is_read():
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet("PESERTA")
    sheet.write_row(0, 0, ["NIK", "NO_KPJ", "TGL_KEPESERTAAN"])
    for n in range(1, MAX_LINES + 1):
        sheet.write_row(n, 0, [f"3374{n:012d}", f"26{n:09d}", "01-12-2026"])
    book.close()
    lines = read_kpj_file(out.getvalue())
    assert len(lines) == MAX_LINES and all(line.ok for line in lines)


def test_the_limits_leave_room_for_our_own_batch_file_of_20000_lines():
    """Our 23 columns, NO_KPJ and TGL_KEPESERTAAN filled in, as BPJS may send it back:
    measured on 2,000 lines, ten times that fits twice in every limit."""
    rows = (
        replace(SAMPLE, nik=f"3374{n:012d}", kpj_number=f"26{n:09d}", coverage_starts_on=TODAY)
        for n in range(2_000)
    )
    out = io.BytesIO()
    write_xlsx(rows, out)
    content = out.getvalue()
    check_workbook(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = [(p.file_size, p.compress_size, archive.read(p)) for p in archive.infolist()]
    scale = MAX_LINES // 2_000 * 2
    assert scale * max(size for size, _, _ in parts) <= MAX_PART_BYTES
    assert scale * sum(size for size, _, _ in parts) <= MAX_UNPACKED_BYTES
    assert 2 * max(size / packed for size, packed, _ in parts) <= MAX_RATIO
    elements = sum(data.count(b"<") - data.count(b"</") for _, _, data in parts)
    assert scale * elements <= MAX_XML_ELEMENTS


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
