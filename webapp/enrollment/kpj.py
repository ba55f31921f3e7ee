"""Recording the membership numbers (KPJ) that BPJS Ketenagakerjaan sends back.

A coordinator uploads a CSV or XLSX with, per line, a NIK, its KPJ number and the date
cover starts. Three steps, each on its own:

1. ``read_kpj_file``: bytes to lines, with each line's own problems (a NIK that is not
   16 digits, a date that is not a date...). A file that cannot be used at all (not a
   spreadsheet, empty, columns missing) raises ``KpjFileError`` and nothing changes.
2. ``plan_import``: what becomes of each line, decided from the lines and the matching
   registrations alone (a plain function): enrolled now, already recorded, a repeated
   line, or an error with its reason.
3. ``apply_plan``: the enrolled lines become ``enrolled`` with their KPJ number, each with
   a status event that reaches the volunteer's phone.

``import_kpj_file`` runs the three and records one audit event; the caller commits once.
Valid lines are applied even when others are not: the coordinator fixes the reported
lines and uploads the file again, and the lines already recorded change nothing.

Messages never hold a NIK: the result page shows each line's NIK masked.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain import workbook_check
from ..domain.audit import record_event
from ..domain.nik import normalise_nik
from ..domain.parsing import parse_date
from ..domain.registrations import change_status
from ..domain.workbook_check import BROKEN, NOT_A_WORKBOOK, TOO_LARGE, WorkbookRefused
from ..extensions import db
from ..lifecycle import STATUS_LABELS, RegistrationStatus
from ..models import BatchStatus, EnrollmentBatch, Registration, User, utcnow
from .batches import mark_sent

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000  # data lines; a year's target is 8,500 workers
MAX_ROWS = 2 * MAX_LINES  # rows looked at in a sheet or a CSV, blank ones included
MAX_COLUMNS = 100  # columns read from a sheet; ours are far to the left
MAX_CELL_CHARS = 200  # a text cell is cut there: a NIK has 16 digits, a date 10 characters
MAX_ROW_CHARS = 64 * 1024  # characters in one CSV row (ours: about 300)

KPJ_LENGTH = (8, 20)
LOOKUP_CHUNK = 500  # values per IN (...) query
ENROLLED_NOTE = "KPJ dicatat; kepesertaan mulai {date}"

# The three columns, by the names BPJS and spreadsheets use for them, compared in upper
# case without spaces or punctuation ("No. KPJ" is NOKPJ).
FIELDS = ("nik", "kpj", "starts_on")
COLUMN_NAMES = {"nik": "NIK", "kpj": "NO_KPJ", "starts_on": "TGL_KEPESERTAAN"}
HEADER_ALIASES = {
    "nik": {"NIK", "NONIK", "NOMORNIK", "NIKKTP", "NOKTP", "NOMORKTP", "NOMORINDUKKEPENDUDUKAN"},
    "kpj": {"KPJ", "NOKPJ", "NOMORKPJ", "NOPESERTA", "NOMORPESERTA", "NOKARTUPESERTA"},
    "starts_on": {
        "TGLKEPESERTAAN",
        "TANGGALKEPESERTAAN",
        "TGLMULAI",
        "TANGGALMULAI",
        "TGLMULAIKEPESERTAAN",
        "TANGGALMULAIKEPESERTAAN",
        "STARTDATE",
        "TMT",
        "TMTKEPESERTAAN",
    },
}
_FIELD_BY_ALIAS = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}

# Whole-file problems.
EMPTY_FILE = _l("Berkas kosong: tidak ada baris yang bisa dibaca.")
HEADER_ONLY = _l("Berkas hanya berisi judul kolom, tanpa baris data.")
NOT_SPREADSHEET = _l(
    "Berkas ini bukan lembar kerja CSV atau XLSX. Simpan data dari Excel sebagai .xlsx "
    "atau CSV, lalu unggah lagi."
)
OLD_EXCEL = _l(
    "Berkas Excel lama (.xls) atau yang dilindungi kata sandi tidak bisa dibaca. Di Excel "
    "pilih Simpan Sebagai > Buku Kerja Excel (.xlsx) tanpa kata sandi, lalu unggah lagi."
)
BROKEN_XLSX = _l("Berkas XLSX ini rusak dan tidak bisa dibuka. Simpan ulang dari Excel.")
HEADER_LOOKS_LIKE_DATA = _l(
    "Baris pertama yang terisi harus berisi judul kolom (NIK, NO_KPJ, ...)."
)
WORKBOOK_TOO_LARGE = _l(
    "Isi berkas XLSX ini terlalu besar atau terlalu rumit untuk dibaca, jauh melebihi "
    "berkas KPJ biasa. Salin kolom NIK, NO_KPJ dan TGL_KEPESERTAAN ke buku kerja baru, "
    "atau bagi menjadi beberapa berkas, lalu unggah lagi."
)

# A line's own problems.
NIK_EMPTY = _l("NIK kosong.")
NIK_FORMAT = _l("NIK harus 16 angka.")
NIK_NUMBER = _l(
    "NIK tersimpan sebagai angka; ubah kolom menjadi teks (sebagai angka Excel hanya "
    "menyimpan 15 digit)."
)
KPJ_EMPTY = _l("Nomor KPJ kosong.")
KPJ_FORMAT = _l("Nomor KPJ harus 8 sampai 20 angka.")
KPJ_NUMBER = _l("Nomor KPJ tersimpan sebagai angka yang tidak utuh; ubah kolom menjadi teks.")
DATE_EMPTY = _l("Tanggal kepesertaan kosong.")
DATE_FORMAT = _l("Tanggal kepesertaan tidak valid; tulis HH-BB-TTTT, mis. 01-12-2026.")
DATE_NUMBER = _l(
    "Tanggal kepesertaan tersimpan sebagai angka; ubah kolom menjadi tanggal atau teks HH-BB-TTTT."
)

# What the lines and the registrations say together.
NIK_NOT_FOUND = _l("NIK tidak ditemukan di data pendaftaran.")
OTHER_KPJ = _l("NIK ini sudah tercatat dengan nomor KPJ lain; tidak diubah.")
CANCELLED_BATCH = _l("Pendaftaran dengan NIK ini ada di batch yang dibatalkan.")

_SIGNATURES = (
    (b"%PDF", _l("dokumen PDF")),
    (b"\x89PNG", _l("gambar PNG")),
    (b"\xff\xd8\xff", _l("gambar JPEG")),
    (b"GIF8", _l("gambar GIF")),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected Office file
_ZIP = b"PK\x03\x04"
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
_NIK = re.compile(r"[0-9]{16}")
_KPJ = re.compile(rf"[0-9]{{{KPJ_LENGTH[0]},{KPJ_LENGTH[1]}}}")
_KPJ_SEPARATORS = re.compile(r"[\s.\-]")
_ISO_DATE_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T][0-9:.]+)?")
_LONG_DIGITS = re.compile(r"[0-9]{8,}")
_CONTROL_BYTES = frozenset(range(32)) - {9, 10, 12, 13}
_NOT_HEADER_CHARACTERS = re.compile(r"[^A-Z0-9]")

Cell = Any  # what a CSV or XLSX cell holds: str, int, float, date, datetime, bool or None
Row = tuple[int, Sequence[Cell]]  # the row number the spreadsheet shows, and the cells


class KpjFileError(ValueError):
    """The file cannot be used at all; the message is for the coordinator, ``reason``
    (if any) for the log: which check refused it."""

    def __init__(self, message: Any, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


# ---------------------------------------------------------------------------
# Reading the file


@dataclass(frozen=True)
class KpjLine:
    """One data line of the file, its values checked on their own."""

    line: int  # the row number the spreadsheet shows
    nik: str  # as read (only ever shown masked)
    kpj: str | None
    starts_on: date | None
    problems: tuple[Any, ...] = ()
    nik_ok: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def read_kpj_file(content: bytes) -> list[KpjLine]:
    """The data lines of a CSV or XLSX file; KpjFileError when the file cannot be used.

    The first non-empty row is the header. In a workbook, the first sheet that has the
    three columns is read. Lines with none of the three values (blank lines, a totals
    line) are skipped.

    What reading costs is bounded whatever the file holds: an XLSX is checked before
    openpyxl unpacks it (``check_workbook``); rows are read one at a time and only the
    three cells of each line are kept; at most MAX_ROWS rows of a sheet (blank ones
    included) and MAX_LINES lines are read; text cells are cut at MAX_CELL_CHARS
    characters (longer is never a NIK, a KPJ, a date or a column name, and the line then
    reports its value as invalid); a CSV line longer than MAX_ROW_CHARS is refused.
    """
    first_error: KpjFileError | None = None
    any_rows = False
    with closing(read_tables(content)) as tables:
        for rows in tables:
            header = next(rows, None)
            if header is None:
                continue
            any_rows = True
            try:
                columns = find_columns(header)
            except KpjFileError as err:
                first_error = first_error or err
                continue
            lines = _read_lines(rows, columns)
            if not lines:
                raise KpjFileError(HEADER_ONLY)
            return lines
    if not any_rows:
        raise KpjFileError(EMPTY_FILE)
    assert first_error is not None
    raise first_error


def _read_lines(rows: Iterator[Row], columns: Sequence[int]) -> list[KpjLine]:
    lines = []
    for number, cells in rows:
        width = len(cells)
        line = read_line(number, [_cut(cells[i]) if i < width else None for i in columns])
        if line is None:
            continue
        lines.append(line)
        if len(lines) > MAX_LINES:
            raise KpjFileError(
                _l(
                    "Berkas berisi lebih dari %(n)s baris data; bagi menjadi beberapa berkas.",
                    n=_thousands(MAX_LINES),
                )
            )
    return lines


def read_tables(content: bytes) -> Iterator[Iterator[Row]]:
    """The file's tables (one per sheet; one for a CSV), each as its rows that are not
    blank, (row number, cells), read as they are asked for. Close it when done: a
    workbook stays open until then."""
    if not content.strip():
        raise KpjFileError(EMPTY_FILE)
    if content.startswith(_OLE2):
        raise KpjFileError(OLD_EXCEL)
    for signature, kind in _SIGNATURES:
        if content.startswith(signature):
            raise KpjFileError(
                _l(
                    "Berkas ini %(kind)s, bukan lembar kerja CSV atau XLSX. Unggah berkas CSV "
                    "atau XLSX.",
                    kind=kind,
                )
            )
    if content.startswith(_ZIP):
        check_workbook(content)
        return _xlsx_tables(content)
    return _csv_tables(content)


def _csv_tables(content: bytes) -> Iterator[Iterator[Row]]:
    yield _csv_rows(_decode(content))


def _xlsx_tables(content: bytes) -> Iterator[Iterator[Row]]:
    from openpyxl import load_workbook  # only when a workbook is uploaded

    try:
        # keep_links=False: external links hold copies of other workbooks, not needed
        workbook = load_workbook(
            io.BytesIO(content), read_only=True, data_only=True, keep_links=False
        )
    except Exception as err:  # openpyxl raises many kinds on a damaged file
        raise KpjFileError(BROKEN_XLSX) from err
    try:
        for sheet in workbook.worksheets:  # chart sheets are not among them
            sheet.reset_dimensions()  # some programs write wrong dimensions
            yield _xlsx_rows(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
    finally:
        workbook.close()


def _xlsx_rows(rows: Iterator[tuple[Cell, ...]]) -> Iterator[Row]:
    """A sheet's rows that are not blank; openpyxl's errors (it raises many kinds on a
    damaged file, and only when it reaches the damage) become KpjFileError."""
    number = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception as err:
            raise KpjFileError(BROKEN_XLSX) from err
        number += 1
        _check_row_number(number)
        # A sheet's rows are as wide as MAX_COLUMNS: most of them None.
        if cells.count(None) != len(cells) and not _blank_row(cells):
            yield number, cells


def _decode(content: bytes) -> str:
    """The text of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as err:
            raise KpjFileError(NOT_SPREADSHEET) from err
    sample = content[:8192]
    if b"\x00" in sample or sum(b in _CONTROL_BYTES for b in sample) > len(sample) // 50:
        raise KpjFileError(NOT_SPREADSHEET)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = content.decode("latin-1")
    if text.lstrip().startswith("<"):  # an HTML page or XML saved under a .csv or .xls name
        raise KpjFileError(NOT_SPREADSHEET)
    return text


def _csv_rows(text: str) -> Iterator[Row]:
    """The rows of a CSV that are not blank, split on the separator of its first line."""
    first = next((line for line in islice(_text_lines(text), MAX_ROWS) if line.strip()), "")
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    number = 0
    left = MAX_ROW_CHARS  # characters the row being read may still take

    def lines() -> Iterator[str]:
        # csv joins the lines of a quoted cell into one row: the limit is per row.
        nonlocal left
        for match in _LINE.finditer(text):
            left -= match.end() - match.start()
            if left < 0:
                raise KpjFileError(
                    _l(
                        "Baris %(line)d berisi lebih dari %(n)s karakter, jauh melebihi "
                        "baris berkas KPJ. Simpan ulang data dari Excel sebagai CSV, lalu "
                        "unggah lagi.",
                        line=number + 1,
                        n=_thousands(MAX_ROW_CHARS),
                    )
                )
            yield match.group()

    reader = csv.reader(lines(), delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise KpjFileError(
                _l("Berkas CSV ini tidak bisa dibaca: %(problem)s.", problem=err)
            ) from err
        number += 1
        left = MAX_ROW_CHARS
        _check_row_number(number)
        if any(cells) and not _blank_row(cells):  # any(): all cells "" is blank
            yield number, cells


def _text_lines(text: str) -> Iterator[str]:
    """The lines of a text, one at a time (splitlines() would hold millions at once)."""
    return (match.group() for match in _LINE.finditer(text))


def _check_row_number(number: int) -> None:
    if number > MAX_ROWS:
        raise KpjFileError(
            _l(
                "Berkas ini memakai lebih dari %(n)s baris, termasuk baris kosong. Hapus "
                "baris kosong dan isian di bawah data, atau bagi menjadi beberapa berkas.",
                n=_thousands(MAX_ROWS),
            )
        )


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _cut(cell: Cell) -> Cell:
    """A text cell's first MAX_CELL_CHARS characters: all that is read of it."""
    if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
        return cell[:MAX_CELL_CHARS]
    return cell


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not _cut(cell).strip())


def _blank_row(cells: Sequence[Cell]) -> bool:
    return all(_blank(cell) for cell in cells[:MAX_COLUMNS])


# ---------------------------------------------------------------------------
# An XLSX's limits, checked before openpyxl unpacks it


_REFUSED = {BROKEN: BROKEN_XLSX, TOO_LARGE: WORKBOOK_TOO_LARGE, NOT_A_WORKBOOK: NOT_SPREADSHEET}


def check_workbook(content: bytes) -> None:
    """``workbook_check.check_workbook``, refusing with this page's messages."""
    try:
        workbook_check.check_workbook(content)
    except WorkbookRefused as err:
        raise KpjFileError(_REFUSED[err.kind], err.reason) from err


def header_key(cell: Cell) -> str:
    """'No. KPJ' -> 'NOKPJ': how column names are compared."""
    return _NOT_HEADER_CHARACTERS.sub("", str(cell).upper()) if not _blank(cell) else ""


def find_columns(row: Row) -> list[int]:
    """The positions of the NIK, KPJ and date columns in the header row."""
    header_line, cells = row
    header = [_cut(cell) for cell in cells[:MAX_COLUMNS]]
    found: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = _FIELD_BY_ALIAS.get(header_key(cell))
        if name is None:
            continue
        if name in found:
            raise KpjFileError(
                _l(
                    "Kolom %(name)s ada lebih dari satu di baris judul; sisakan satu.",
                    name=COLUMN_NAMES[name],
                )
            )
        found[name] = position
    missing = [COLUMN_NAMES[name] for name in FIELDS if name not in found]
    if missing:
        written = [str(cell).strip() for cell in header if not _blank(cell)]
        shown = ", ".join(written[:12]) + (", ..." if len(written) > 12 else "")
        message = _l(
            "Kolom yang diperlukan tidak ada: %(missing)s. Kolom yang ditemukan di baris "
            "%(line)d: %(found)s.",
            missing=", ".join(missing),
            line=header_line,
            found=shown or "-",
        )
        if any(_looks_like_data(cell) for cell in header):
            message = f"{message} {HEADER_LOOKS_LIKE_DATA}"
        raise KpjFileError(message)
    return [found[name] for name in FIELDS]


def _looks_like_data(cell: Cell) -> bool:
    return isinstance(cell, int | float) or bool(_LONG_DIGITS.search(str(cell)))


def read_line(number: int, cells: list[Cell]) -> KpjLine | None:
    """One line from its NIK, KPJ and date cells; None when all three are empty."""
    if all(_blank(cell) for cell in cells):
        return None
    (nik, nik_problem), (kpj, kpj_problem), (starts_on, date_problem) = (
        read_nik(cells[0]),
        read_kpj(cells[1]),
        read_date(cells[2]),
    )
    problems = tuple(p for p in (nik_problem, kpj_problem, date_problem) if p is not None)
    return KpjLine(number, nik, kpj, starts_on, problems, nik_ok=nik_problem is None)


def read_nik(cell: Cell) -> tuple[str, Any]:
    """The NIK and None, or what can be shown of it and the problem."""
    if _blank(cell):
        return "", NIK_EMPTY
    if isinstance(cell, bool | date):
        return str(cell), NIK_FORMAT
    if isinstance(cell, int | float):
        # Never trusted: a spreadsheet keeps 15 significant digits of a number.
        return _number_text(cell), NIK_NUMBER
    nik = normalise_nik(str(cell).strip().lstrip("'"))
    return (nik, None) if _NIK.fullmatch(nik) else (nik, NIK_FORMAT)


def read_kpj(cell: Cell) -> tuple[str | None, Any]:
    if _blank(cell):
        return None, KPJ_EMPTY
    if isinstance(cell, bool | date):
        return None, KPJ_FORMAT
    if isinstance(cell, float) and not (cell.is_integer() and 0 <= cell < 1e15):
        return None, KPJ_NUMBER
    text = _number_text(cell) if isinstance(cell, int | float) else str(cell).strip()
    kpj = _KPJ_SEPARATORS.sub("", text.lstrip("'"))
    return (kpj, None) if _KPJ.fullmatch(kpj) else (None, KPJ_FORMAT)


def read_date(cell: Cell) -> tuple[date | None, Any]:
    if _blank(cell):
        return None, DATE_EMPTY
    if isinstance(cell, datetime):
        return cell.date(), None
    if isinstance(cell, date):
        return cell, None
    if isinstance(cell, int | float | bool):
        return None, DATE_NUMBER
    text = str(cell).strip()
    if match := _ISO_DATE_TIME.fullmatch(text):
        text = match.group(1)
    parsed = parse_date(text)
    return (parsed, None) if parsed else (None, DATE_FORMAT)


def _number_text(value: int | float) -> str:
    return str(int(value)) if isinstance(value, int) or value.is_integer() else str(value)


# ---------------------------------------------------------------------------
# Deciding what each line does


class Outcome(enum.StrEnum):
    ENROLLED = "enrolled"  # recorded now
    ALREADY = "already"  # recorded before with the same KPJ: nothing to do
    DUPLICATE = "duplicate"  # the same as an earlier line of the file: skipped
    ERROR = "error"  # not recorded; the reason says why


@dataclass(frozen=True)
class Candidate:
    """A registration as the matching sees it."""

    id: int
    reference: str
    status: str
    kpj_number: str | None
    coverage_starts_on: date | None
    batch_status: str | None
    batch_period_start: date | None


@dataclass(frozen=True)
class LineResult:
    line: int
    nik: str  # only ever shown masked
    outcome: Outcome
    reasons: tuple[Any, ...] = ()
    registration_id: int | None = None
    kpj: str | None = None
    starts_on: date | None = None


def plan_import(
    lines: Sequence[KpjLine],
    registrations: Mapping[str, Sequence[Candidate]],
    kpj_holders: Mapping[str, Candidate],
    *,
    today: date,
) -> list[LineResult]:
    """What becomes of each line, in line order.

    ``registrations``: the registrations of each NIK in the file; ``kpj_holders``: the
    registration already holding each KPJ of the file.
    """
    results: dict[int, LineResult] = {}
    by_nik: dict[str, list[KpjLine]] = defaultdict(list)
    for line in lines:
        if line.nik_ok:
            by_nik[line.nik].append(line)
        if not line.ok:
            results[line.line] = LineResult(line.line, line.nik, Outcome.ERROR, line.problems)

    candidates: list[KpjLine] = []
    for same_nik in by_nik.values():
        first, *later = same_nik
        if not later:
            if first.ok:
                candidates.append(first)
            continue
        if all(
            line.ok and (line.kpj, line.starts_on) == (first.kpj, first.starts_on)
            for line in same_nik
        ):
            candidates.append(first)
            for line in later:
                reason = _l("Sama dengan baris %(line)d; dilewati.", line=first.line)
                results[line.line] = LineResult(line.line, line.nik, Outcome.DUPLICATE, (reason,))
            continue
        for line in same_nik:  # the file disagrees with itself: record none of them
            others = ", ".join(str(o.line) for o in same_nik if o is not line)
            conflict = _l(
                "NIK ini juga ada di baris %(lines)s dengan isi berbeda; tidak ada yang "
                "dicatat. Perbaiki berkasnya, lalu unggah lagi.",
                lines=others,
            )
            reasons = (*line.problems, conflict)
            results[line.line] = LineResult(line.line, line.nik, Outcome.ERROR, reasons)

    by_kpj: dict[str, list[KpjLine]] = defaultdict(list)
    for line in candidates:
        by_kpj[line.kpj].append(line)
    for line in candidates:
        same_kpj = by_kpj[line.kpj]
        if len(same_kpj) > 1:
            others = ", ".join(str(o.line) for o in same_kpj if o is not line)
            reason = _l(
                "Nomor KPJ ini juga tertulis untuk NIK lain di baris %(lines)s; tidak ada "
                "yang dicatat.",
                lines=others,
            )
            results[line.line] = LineResult(line.line, line.nik, Outcome.ERROR, (reason,))
        else:
            results[line.line] = match_line(
                line, registrations.get(line.nik, ()), kpj_holders.get(line.kpj), today=today
            )
    return [results[number] for number in sorted(results)]


def match_line(
    line: KpjLine, registrations: Sequence[Candidate], holder: Candidate | None, *, today: date
) -> LineResult:
    """A valid line against the registrations of its NIK and the holder of its KPJ."""

    def error(reason: Any) -> LineResult:
        return LineResult(line.line, line.nik, Outcome.ERROR, (reason,))

    if not registrations:
        return error(NIK_NOT_FOUND)
    enrolled = [r for r in registrations if r.status == RegistrationStatus.ENROLLED]
    for r in enrolled:
        if r.kpj_number == line.kpj:
            if r.coverage_starts_on not in (None, line.starts_on):
                return error(
                    _l(
                        "Sudah tercatat dengan nomor KPJ ini, tetapi dengan tanggal mulai "
                        "%(date)s; tidak diubah.",
                        date=_ui_date(r.coverage_starts_on),
                    )
                )
            return LineResult(line.line, line.nik, Outcome.ALREADY, registration_id=r.id)
    if enrolled:
        return error(OTHER_KPJ)
    exported = [r for r in registrations if r.status == RegistrationStatus.EXPORTED]
    in_batch = [r for r in exported if r.batch_status in (BatchStatus.READY, BatchStatus.SENT)]
    if len(in_batch) > 1:
        return error(
            _l(
                "NIK ini ada di %(n)d pendaftaran dalam batch yang dikirim; selesaikan "
                "pendaftaran ganda dulu.",
                n=len(in_batch),
            )
        )
    if not in_batch:
        if exported:
            return error(CANCELLED_BATCH)
        statuses = sorted({r.status for r in registrations})
        labels = ", ".join(str(STATUS_LABELS.get(s, s)) for s in statuses)
        return error(
            _l(
                "Pendaftaran dengan NIK ini belum dikirim ke BPJS (status: %(status)s).",
                status=labels,
            )
        )
    target = in_batch[0]
    if holder is not None and holder.id != target.id:
        return error(
            _l("Nomor KPJ ini sudah dipakai pendaftaran %(reference)s.", reference=holder.reference)
        )
    first = date((target.batch_period_start or today).year - 1, 1, 1)
    last = today + timedelta(days=365)
    assert line.starts_on is not None
    if not first <= line.starts_on <= last:
        return error(
            _l(
                "Tanggal kepesertaan di luar batas: paling awal %(first)s, paling lambat %(last)s.",
                first=_ui_date(first),
                last=_ui_date(last),
            )
        )
    return LineResult(
        line.line,
        line.nik,
        Outcome.ENROLLED,
        registration_id=target.id,
        kpj=line.kpj,
        starts_on=line.starts_on,
    )


def _ui_date(value: date) -> str:
    return value.strftime("%d-%m-%Y")


# ---------------------------------------------------------------------------
# The database


def _chunks(values: Collection[str]) -> Iterable[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        yield ordered[start : start + LOOKUP_CHUNK]


def load_candidates(niks: Collection[str]) -> dict[str, list[Candidate]]:
    """The registrations of these NIKs, with their batch's status, by NIK."""
    found: dict[str, list[Candidate]] = defaultdict(list)
    for chunk in _chunks(niks):
        for row in db.session.execute(
            select(
                Registration.nik,
                Registration.id,
                Registration.reference,
                Registration.status,
                Registration.kpj_number,
                Registration.coverage_starts_on,
                EnrollmentBatch.status,
                EnrollmentBatch.period_start,
            )
            .outerjoin(EnrollmentBatch, Registration.batch_id == EnrollmentBatch.id)
            .where(Registration.nik.in_(chunk))
            .order_by(Registration.id)
        ):
            found[row[0]].append(Candidate(*row[1:]))
    return found


def load_kpj_holders(kpjs: Collection[str]) -> dict[str, Candidate]:
    """The registrations already holding these KPJ numbers, by KPJ."""
    found: dict[str, Candidate] = {}
    for chunk in _chunks(kpjs):
        for row in db.session.execute(
            select(
                Registration.id,
                Registration.reference,
                Registration.status,
                Registration.kpj_number,
                Registration.coverage_starts_on,
            ).where(Registration.kpj_number.in_(chunk))
        ):
            found[row.kpj_number] = Candidate(*row, batch_status=None, batch_period_start=None)
    return found


def apply_plan(results: Iterable[LineResult], *, actor: User, now: datetime) -> list[str]:
    """Record the enrolled lines; return the labels of the batches this marked as sent.

    A batch still ``ready`` whose registrations get KPJ numbers was evidently received
    by BPJS Ketenagakerjaan: it is marked sent (``batches.mark_sent``, as by hand). The
    caller commits.
    """
    enrolling = {r.registration_id: r for r in results if r.outcome == Outcome.ENROLLED}
    batch_ids: set[int] = set()
    ids = sorted(i for i in enrolling if i is not None)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        for registration in db.session.scalars(
            select(Registration)
            .where(Registration.id.in_(ids[start : start + LOOKUP_CHUNK]))
            .options(selectinload(Registration.events))
        ):
            result = enrolling[registration.id]
            assert result.starts_on is not None
            registration.kpj_number = result.kpj
            registration.coverage_starts_on = result.starts_on
            registration.enrolled_at = now
            change_status(
                registration,
                RegistrationStatus.ENROLLED,
                actor=actor,
                note=ENROLLED_NOTE.format(date=_ui_date(result.starts_on)),
            )
            if registration.batch_id is not None:
                batch_ids.add(registration.batch_id)
    sent = []
    if batch_ids:
        for batch in db.session.scalars(
            select(EnrollmentBatch)
            .where(
                EnrollmentBatch.id.in_(sorted(batch_ids)),
                EnrollmentBatch.status == BatchStatus.READY,
            )
            .order_by(EnrollmentBatch.id)
        ):
            # After the enrolling: only those still waiting for a number hear "sent".
            mark_sent(batch, actor=actor, now=now, by_kpj_import=True)
            sent.append(batch.label)
    return sent


@dataclass
class ImportResult:
    """What an upload did, for the result page."""

    filename: str
    lines: list[LineResult]
    batches_sent: list[str] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(r.outcome.value for r in self.lines)

    @property
    def problems(self) -> list[LineResult]:
        """The lines not recorded now that the coordinator should look at, in line order."""
        return [r for r in self.lines if r.outcome in (Outcome.ERROR, Outcome.DUPLICATE)]


def safe_filename(filename: str) -> str:
    """The uploaded file's name for the audit log: long numbers (a NIK?) hidden, kept short."""
    return _LONG_DIGITS.sub(lambda m: "•" * len(m.group()), filename.strip())[:120]


def import_kpj_file(
    content: bytes, *, filename: str, actor: User, today: date, now: datetime | None = None
) -> ImportResult:
    """Read, match and apply an uploaded KPJ file, and audit it; the caller commits.

    Raises KpjFileError, having changed nothing, when the file cannot be used.
    """
    lines = read_kpj_file(content)
    niks = {line.nik for line in lines if line.nik_ok}
    kpjs = {line.kpj for line in lines if line.kpj}
    results = plan_import(lines, load_candidates(niks), load_kpj_holders(kpjs), today=today)
    result = ImportResult(safe_filename(filename), results)
    result.batches_sent = apply_plan(results, actor=actor, now=now or utcnow())
    counts = result.counts
    record_event(
        "kpj.import",
        actor=actor,
        details={
            "file": result.filename,
            "lines": len(results),
            "enrolled": counts[Outcome.ENROLLED],
            "already": counts[Outcome.ALREADY],
            "duplicates": counts[Outcome.DUPLICATE],
            "errors": counts[Outcome.ERROR],
            "batches_sent": result.batches_sent,
        },
    )
    return result
