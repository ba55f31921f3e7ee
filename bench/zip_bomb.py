"""What a KPJ upload costs: zip bombs and other hostile files against real ones.

Usage:
    .venv/bin/python bench/zip_bomb.py [--cases NAME,NAME] [--kpj PATH] [--timeout 60]
        [--memory-limit-mb 4096] [--through-app] [--save DIR]

Each case makes its file (the parent process), then a fresh Python process reads it and
hands it to ``read_kpj_file`` (webapp/enrollment/kpj.py, or the kpj.py given by --kpj,
e.g. an older one: ``git show COMMIT:webapp/enrollment/kpj.py > /tmp/kpj_old.py``; it
is loaded inside the webapp.enrollment package), and prints:
- the upload's size;
- the seconds until the answer (the lines, or the refusal);
- the process's memory growth: its peak resident memory during the call (VmHWM, reset
  just before through /proc/self/clear_refs) minus its resident memory before; both the
  C allocations (zlib, expat) and Python's are in it;
- the answer: the number of lines, or the start of the refusal and its ``reason``.
A case still running after --timeout seconds is stopped (its peak so far is shown) and
a child process may not take more than --memory-limit-mb of address space (MemoryError).
--through-app sends each file through Flask's test client to /enrollment/kpj instead, as
a logged-in coordinator, on a fresh SQLite database (the memory then includes rendering
the answer page). --save writes the files to a folder.

The cases: real files of 20,000 lines (our batch file with the KPJ columns filled in,
as XlsxWriter writes it, as Excel saves it, and as CSV); bombs (a sheet or a shared
strings table of hundreds of MB, a part lying about its size, 2,000 parts, merged
cells, a cell in the last row); the worst files within the limits (most elements, most
bytes, most shared strings, most memory, a long string in every cell); CSV files of 5
MB (one line, one line of separators, blank lines, short lines).

Targets: every bomb answered in under 2 s with under 50 MB of growth; every file within
the limits in under 50 MB; the real files of 20,000 lines read (openpyxl alone takes
about 5 s for them, so that a file at the limits of its elements takes about 12 s).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import random
import re
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINES = 20_000
TARGET_SECONDS = 2.0
TARGET_GROWTH_MB = 50.0
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ("NIK", "NO_KPJ", "TGL_KEPESERTAAN")

# ---------------------------------------------------------------------------
# Real files: our batch file of LINES people, with the KPJ columns filled in


def export_rows(n: int = LINES) -> Iterator:
    from webapp.enrollment.layout import ExportRow

    rnd = random.Random(1)
    first = ["Budi", "Sri", "Joko", "Ani", "Siti", "Agus", "Dewi", "Rina", "Bambang", "Wahyu"]
    last = ["Santoso", "Wahyuni", "Susilo", "Lestari", "Aminah", "Pratama", "Kurniawan"]
    jobs = ["Nelayan", "Pedagang kaki lima (PKL)", "Buruh harian lepas", "Ojek"]
    for i in range(n):
        yield ExportRow(
            reference=f"PS-{rnd.randrange(36**4):04X}-{i:04X}"[:12],
            nik=f"3374{rnd.randrange(10**12):012d}",
            full_name=f"{rnd.choice(first)} {rnd.choice(last)} {rnd.choice(last)}",
            birth_date=date(1960, 1, 1) + timedelta(days=rnd.randrange(15000)),
            sex=rnd.choice("LP"),
            phone=f"+628{rnd.randrange(10**10):010d}",
            address=f"Jl. {rnd.choice(last)} No. {rnd.randrange(200)} RT {rnd.randrange(1, 20):02d}"
            f"/RW {rnd.randrange(1, 15):02d}",
            kelurahan=f"Kelurahan {rnd.randrange(177)}",
            kecamatan=f"Kecamatan {rnd.randrange(16)}",
            occupation_code="nelayan",
            occupation=rnd.choice(jobs),
            occupation_other=None,
            workplace=rnd.choice(["Pasar Johar", "TPI Tambak Lorok", "", f"Toko {i % 997}"]),
            monthly_income=rnd.choice([1_000_000, 1_500_000, 2_000_000, 3_000_000]),
            heir_name=f"{rnd.choice(first)} {rnd.choice(last)}",
            heir_relationship=rnd.choice(["istri", "suami", "anak"]),
            heir_phone=f"+628{rnd.randrange(10**10):010d}",
            funding_source="APBD",
            period_start=date(2026, 12, 1),
            period_end=date(2026, 12, 31),
            monthly_contribution=21_800,
            kpj_number=f"26{rnd.randrange(10**9):09d}",
            coverage_starts_on=date(2026, 12, 1),
        )


def real_xlsxwriter() -> bytes:
    """As the batch download writes it (XlsxWriter, text in the sheet)."""
    from webapp.enrollment.export import write_xlsx

    out = io.BytesIO()
    write_xlsx(export_rows(), out)
    return out.getvalue()


def real_excel() -> bytes:
    """As Excel saves it: text in a shared strings table."""
    import xlsxwriter

    from webapp.enrollment.layout import HEADERS, row_values

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("PESERTA")
    sheet.write_row(0, 0, HEADERS)
    for n, row in enumerate(export_rows(), start=1):
        for col, value in enumerate(row_values(row)):
            if isinstance(value, int):
                sheet.write_number(n, col, value)
            elif value:
                sheet.write_string(n, col, value)
    workbook.close()
    return out.getvalue()


def real_csv() -> bytes:
    from webapp.enrollment.export import csv_chunks

    return "".join(csv_chunks(export_rows())).encode()


# ---------------------------------------------------------------------------
# Workbooks made part by part


def workbook(
    sheets: Iterable[Iterable[bytes]], shared_strings: Iterable[bytes] | None = None
) -> bytes:
    """A minimal XLSX of these sheets (each given as pieces of its XML), deflated at
    level 9 as it is written, so that the pieces never need to be in memory at once."""
    sheets = list(sheets)
    names = [f"xl/worksheets/sheet{n}.xml" for n in range(1, len(sheets) + 1)]
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.worksheet+xml"/>'
        for name in names
    )
    if shared_strings is not None:
        overrides += (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
        f'main+xml"/>{overrides}</Types>'
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        f'{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    book = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
        f'xmlns:r="{REL_NS}"><sheets>'
        + "".join(
            f'<sheet name="S{n}" sheetId="{n}" r:id="rId{n}"/>' for n in range(1, len(names) + 1)
        )
        + "</sheets></workbook>"
    )
    book_rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{REL_NS}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(names) + 1)
        )
        + (
            f'<Relationship Id="rIdS" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
            if shared_strings is not None
            else ""
        )
        + "</Relationships>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", book)
        archive.writestr("xl/_rels/workbook.xml.rels", book_rels)
        parts = list(zip(names, sheets, strict=True))
        if shared_strings is not None:
            parts.append(("xl/sharedStrings.xml", shared_strings))
        for name, pieces in parts:
            with archive.open(name, "w", force_zip64=True) as part:
                for piece in pieces:
                    part.write(piece)
    return out.getvalue()


def sheet(
    rows: Iterable[bytes], header: bytes | None = None, after: bytes = b""
) -> Iterator[bytes]:
    """A worksheet's XML: the KPJ header (inline text) in row 1, then these rows."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    yield header if header is not None else header_row()
    yield from rows
    yield b"</sheetData>" + after + b"</worksheet>"


def header_row() -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in HEADER)
    return f'<row r="1">{cells}</row>'.encode()


def repeated(piece: bytes, total_bytes: int, batch: int = 4096) -> Iterator[bytes]:
    """``piece`` over and over, total_bytes in all, in batches."""
    block = piece * batch
    for _ in range(total_bytes // len(block)):
        yield block


def shared_strings(strings: Iterable[bytes]) -> Iterator[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode()
    yield from strings
    yield b"</sst>"


def lying_part(content: bytes, name: str, pieces: Iterable[bytes], declared: bytes) -> bytes:
    """``content`` (an XLSX) with its part ``name`` replaced: the zip's directory declares
    ``declared`` (size and CRC), its data unpacks to all of ``pieces``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = b"".join(packer.compress(p) for p in pieces) + packer.flush()
    out, central = io.BytesIO(), io.BytesIO()
    entries = [(i.filename, source.read(i.filename)) for i in source.infolist()]
    for filename, data in entries:
        encoded = filename.encode()
        if filename == name:
            raw, size, crc = packed, len(declared), zlib.crc32(declared)
        else:
            packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            raw, size, crc = packer.compress(data) + packer.flush(), len(data), zlib.crc32(data)
        offset = out.tell()
        sizes = (crc, len(raw), size, len(encoded))
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, *sizes, 0))
        out.write(encoded + raw)
        zeros = (0, 0, 0, 0, 0)  # extra, comment, disk, internal and external attributes
        central.write(
            struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, *sizes, *zeros, offset)
        )
        central.write(encoded)
    directory = central.getvalue()
    start = out.tell()
    out.write(directory)
    count = len(entries)
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0))
    return out.getvalue()


# ---------------------------------------------------------------------------
# The hostile files


def sheet_bomb() -> bytes:
    """300 MB of the same blank-looking row: each parsed, none a line."""
    row = b'<row><c t="inlineStr"><is><t> </t></is></c></row>'
    return workbook([sheet(repeated(row, 300 * 2**20))])


def lying_styles() -> bytes:
    """xl/styles.xml declared 30 bytes, its data unpacking to 1 GB (read whole by openpyxl)."""
    base = workbook([sheet([b'<row r="2"><c t="inlineStr"><is><t>1</t></is></c></row>'])])
    with_styles = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in with_styles.infolist():
            archive.writestr(info.filename, with_styles.read(info.filename))
        archive.writestr("xl/styles.xml", "<styleSheet/>")
    declared = f'<styleSheet xmlns="{MAIN_NS}"/>'.encode()
    return lying_part(out.getvalue(), "xl/styles.xml", repeated(b" ", 2**30), declared)


def shared_strings_bomb() -> bytes:
    """A shared strings table of 250 MB: 13 million strings of 'aaaa'."""
    strings = shared_strings(repeated(b"<si><t>aaaa</t></si>", 250 * 2**20))
    return workbook([sheet([])], shared_strings=strings)


def many_parts() -> bytes:
    """2,000 sheets of 100 KB of empty rows each, 200 MB in all."""
    return workbook(sheet(repeated(b"<row/>", 100 * 1024, 1024), header=b"") for _ in range(2000))


def row_gap() -> bytes:
    """A header, then one cell in Excel's last row (1,048,576): a few hundred bytes."""
    last = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook([sheet([last])])


def merge_cells() -> bytes:
    """9 MB of merged-cell ranges, all different (compresses only 7:1)."""
    merges = b"".join(b'<mergeCell ref="A%d:B%d"/>' % (n, n) for n in range(3, 330_000))
    row = b'<row r="2"><c t="inlineStr"><is><t>1</t></is></c></row>'
    return workbook([sheet([row], after=b"<mergeCells>" + merges + b"</mergeCells>")])


def long_shared_string() -> bytes:
    """One string of 200,000 characters, used by the three cells of 20,000 lines."""
    header = b'<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
    rows = (
        b'<row r="%d"><c t="s"><v>3</v></c><c t="s"><v>3</v></c><c t="s"><v>3</v></c></row>' % n
        for n in range(2, LINES + 2)
    )
    names = b"".join(b"<si><t>%s</t></si>" % name.encode() for name in HEADER)
    long = b"<si><t>" + b"3374011205900012 " * 11_765 + b"</t></si>"
    return workbook([sheet(rows, header=header)], shared_strings=shared_strings([names, long]))


def most_elements() -> bytes:
    """Just under the limits: 2.9 million elements, text cells beyond column 100 in
    29,000 rows, random so that they compress little: the worst in time."""
    rnd = random.Random(2)

    def rows() -> Iterator[bytes]:
        for n in range(2, 29_002):
            cells = b"".join(
                b'<c r="CX%d" t="inlineStr"><is><t>%x</t></is></c>' % (n, rnd.getrandbits(24))
                for _ in range(33)
            )
            yield b'<row r="%d">%s</row>' % (n, cells)

    return workbook([sheet(rows())])


def most_bytes() -> bytes:
    """Just under the limits: 2 sheets of 79 MB of long texts (200 KB each, beyond
    column 100), compressing 48:1: the most XML to unpack and parse."""
    rnd = random.Random(4)
    letters = b"abcdefghijklmnopqrstuvwxyz"
    chunks = [bytes(rnd.choice(letters) for _ in range(1024)) for _ in range(8)]

    def rows() -> Iterator[bytes]:
        for n in range(2, 2 + 79 * 5):
            text = b"".join(rnd.choice(chunks) for _ in range(200))
            yield b'<row r="%d"><c r="CX%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (
                n,
                n,
                text,
            )

    return workbook([sheet(rows()), sheet(rows())])


def most_shared_strings() -> bytes:
    """Just under the limits: 199,000 shared strings of 40 digits, 10.9 MB: the
    worst in memory."""
    rnd = random.Random(3)
    names = b"".join(b"<si><t>%s</t></si>" % name.encode() for name in HEADER)
    strings = (b"<si><t>%040d</t></si>" % rnd.randrange(10**40) for _ in range(199_000))
    header = b'<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
    return workbook([sheet([], header=header)], shared_strings=shared_strings([names, *strings]))


CSV_BYTES = 5 * 2**20 - 4096  # under the upload limit with the form around it


def most_memory() -> bytes:
    """Just under the limits: 199,000 shared strings of 40 digits, and 20,000 lines
    using them (each a NIK and KPJ of 40 digits: every line in error)."""
    rnd = random.Random(5)
    names = b"".join(b"<si><t>%s</t></si>" % name.encode() for name in HEADER)
    strings = (b"<si><t>%040d</t></si>" % rnd.randrange(10**40) for _ in range(199_000))
    header = b'<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
    rows = (
        b'<row r="%d"><c t="s"><v>%d</v></c><c t="s"><v>%d</v></c><c t="s"><v>%d</v></c></row>'
        % (n, 3 + 2 * n, 4 + 2 * n, 5 + 2 * n)
        for n in range(2, LINES + 2)
    )
    return workbook([sheet(rows, header=header)], shared_strings=shared_strings([names, *strings]))


def csv_one_line() -> bytes:
    """One line of 5 MB, no separator."""
    return b"NIK" * (CSV_BYTES // 3)


def csv_separators() -> bytes:
    """A header, then 5 MB of commas on the same line."""
    return b"NIK,NO_KPJ,TGL_KEPESERTAAN" + b"," * (CSV_BYTES - 26)


def csv_blank_lines() -> bytes:
    """2.6 million lines of empty cells."""
    return b";\n" * (CSV_BYTES // 2)


def csv_short_lines() -> bytes:
    """A header, then 870,000 short lines."""
    return b"NIK,NO_KPJ,TGL_KEPESERTAAN\n" + b"1,2,3\n" * (CSV_BYTES // 6 - 5)


CASES: dict[str, Callable[[], bytes]] = {
    "real-xlsxwriter": real_xlsxwriter,
    "real-excel": real_excel,
    "real-csv": real_csv,
    "sheet-bomb": sheet_bomb,
    "lying-styles": lying_styles,
    "shared-strings-bomb": shared_strings_bomb,
    "many-parts": many_parts,
    "row-gap": row_gap,
    "merge-cells": merge_cells,
    "long-shared-string": long_shared_string,
    "most-elements": most_elements,
    "most-bytes": most_bytes,
    "most-shared-strings": most_shared_strings,
    "most-memory": most_memory,
    "csv-one-line": csv_one_line,
    "csv-separators": csv_separators,
    "csv-blank-lines": csv_blank_lines,
    "csv-short-lines": csv_short_lines,
}


# ---------------------------------------------------------------------------
# Measuring, one case per process


def status_mb(field: str, pid: str = "self") -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM to the current VmRSS (Linux 4.0+)
        return True
    except OSError:
        return False


def load_reader(path: str | None):
    if path is None:
        from webapp.enrollment.kpj import KpjFileError, read_kpj_file

        return read_kpj_file, KpjFileError
    name = "webapp.enrollment.kpj_under_test"  # its relative imports resolve in the package
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.read_kpj_file, module.KpjFileError


def through_app(content: bytes, name: str) -> Callable[[], str]:
    """A function that posts the file to /enrollment/kpj as a coordinator."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from webapp import create_app
    from webapp.domain.accounts import create_user
    from webapp.extensions import db

    folder = tempfile.mkdtemp(prefix="zip-bomb-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
            "SECRET_KEY": "z" * 48,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    with app.app_context():
        db.create_all()
        create_user("koordinator", "Rahasia-Lapangan-2026", "coordinator", full_name="K")
        db.session.commit()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"csrf_token": token, "username": "koordinator", "password": "Rahasia-Lapangan-2026"},
    )
    page = client.get("/enrollment/kpj").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    boundary, body = encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(content), name)}
    )

    def post() -> str:
        response = client.post(
            "/enrollment/kpj", data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
        text = response.get_data(as_text=True)
        error = re.search(r"data-kpj-error>([^<]{0,60})", text)
        summary = re.search(r"Bermasalah, tidak dicatat: \d+", text)
        shown = error.group(1) if error else summary.group() if summary else "?"
        return f"HTTP {response.status_code}: {shown}"

    return post


def child(case: str, path: str, kpj: str | None, app: bool, memory_limit_mb: int) -> dict:
    # The file was made by the parent: memory freed here while making it would be reused
    # by the reading, unseen by VmHWM. openpyxl is imported first, as in a server that has
    # read a workbook before.
    content = Path(path).read_bytes()
    import openpyxl.reader.excel  # noqa: F401

    if app:
        call = through_app(content, "kpj.csv" if "csv" in case else "kpj.xlsx")
    else:
        read_kpj_file, error = load_reader(kpj)

        def call() -> str:
            try:
                return f"{len(read_kpj_file(content))} lines"
            except error as err:
                reason = getattr(err, "reason", "")
                return f"refused: {str(err)[:50]}" + (f" [{reason}]" if reason else "")

    limit = memory_limit_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    reset = reset_peak()
    before = status_mb("VmRSS") or 0.0
    print(json.dumps({"before": before}), flush=True)  # the parent's baseline if it stops us
    started = time.perf_counter()
    try:
        answer = call()
    except MemoryError:
        answer = f"MemoryError (over {memory_limit_mb} MB of address space)"
    seconds = time.perf_counter() - started
    if reset:
        peak = status_mb("VmHWM") or 0.0
    else:  # the peak since the process started: an upper bound
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "growth_mb": peak - before, "answer": answer}


def run(case: str, path: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", case, "--file", path]
    command += ["--memory-limit-mb", str(args.memory_limit_mb)]
    if args.kpj:
        command += ["--kpj", args.kpj]
    if args.through_app:
        command.append("--through-app")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = json.loads(process.stdout.readline() or '{"before": 0}')
    started = time.perf_counter()
    try:
        process.wait(timeout=args.timeout)  # what it prints fits in the pipe
        return json.loads(process.stdout.read().strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        peak = status_mb("VmHWM", str(process.pid)) or 0.0
        process.kill()
        process.wait()
        return {
            "seconds": time.perf_counter() - started,
            "growth_mb": peak - first["before"],
            "answer": f"stopped after {args.timeout:g} s",
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--kpj", help="another kpj.py to measure (e.g. the one before)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--memory-limit-mb", type=int, default=4096)
    parser.add_argument("--through-app", action="store_true")
    parser.add_argument("--save", help="keep the files in this folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.file, args.kpj, args.through_app, args.memory_limit_mb)
        print(json.dumps(result))
        return
    where = "Flask test client" if args.through_app else "read_kpj_file"
    print(f"{where} of {args.kpj or 'webapp/enrollment/kpj.py'}; growth = peak RSS - RSS before")
    print(f"{'case':20} {'upload':>9} {'seconds':>8} {'growth':>9}  answer")
    with tempfile.TemporaryDirectory(prefix="zip-bomb-") as folder:
        for case in args.cases.split(","):
            path = Path(args.save or folder, case)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(CASES[case]())
            r = run(case, str(path), args)
            size = f"{path.stat().st_size / 1024:,.0f} KB"
            print(
                f"{case:20} {size:>9} {r['seconds']:8.2f} {r['growth_mb']:6.0f} MB  {r['answer']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
