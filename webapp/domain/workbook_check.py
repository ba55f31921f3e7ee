"""An XLSX upload checked before a spreadsheet library unpacks it: bounded time and memory.

A zip of a few hundred KB can unpack to gigabytes (a "zip bomb"), and openpyxl's time
grows with the XML elements it parses, its memory with the shared strings and with the
parts it reads whole. ``check_workbook`` reads the zip's directory and unpacks each part
a piece at a time, dropping it as it goes, and refuses a file beyond the limits below
(``WorkbookRefused``, with a ``kind`` for the caller's message and a ``reason`` for the
log). The limits are set against a real file of 20,000 lines (bench/zip_bomb.py).
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from xml.etree import ElementTree

BROKEN = "broken"  # damaged, encrypted, or its parts are not what they declare
TOO_LARGE = "too_large"  # beyond the limits
NOT_A_WORKBOOK = "not_a_workbook"  # a zip, but no spreadsheet (a .docx, an .ods)

_ZIP = b"PK\x03\x04"

# What an XLSX may unpack to, against a real file of 20,000 lines
# (bench/zip_bomb.py): our own batch file, 23 columns, with NO_KPJ and
# TGL_KEPESERTAAN filled in, as XlsxWriter writes it (2.9 MB, text in the sheet) and as
# Excel saves it (2.7 MB, text in a shared strings table); "real:" gives the larger of
# the two. openpyxl reads either in about 5 s. Its time grows with the XML elements (3
# to 6 µs each), its memory with the shared strings (about 140 bytes each, besides the
# text) and with any part it reads whole: those limits are set by time and memory (a
# file at them takes about 2.5 times as long, or 40 MB), the others leave several
# times what the real file needs.
_MB = 1024 * 1024
MAX_PARTS = 1_000  # real: 10
MAX_PART_BYTES = 100 * _MB  # any one part; real: the sheet, 26.6 MB
MAX_UNPACKED_BYTES = 160 * _MB  # all parts; real: 26.7 MB
MAX_RATIO = 100  # unpacked : packed, of a part over RATIO_FLOOR; real: 8.9, deflate's most: 1032
RATIO_FLOOR = _MB
MAX_XML_ELEMENTS = 3_000_000  # real: 1.35 million
MAX_RECORD_ELEMENTS = 20_000  # in one row, one shared string or one part read whole; real: 201
MAX_SHARED_STRINGS = 200_000  # real: 132,251
MAX_SHARED_STRINGS_BYTES = 16 * _MB  # real: 4.1 MB
MAX_WHOLE_PART_BYTES = 4 * _MB  # a part openpyxl reads whole (styles, theme...); real: 7 KB
MAX_XML_TEXT_BYTES = 256 * 1024  # one text or tag; an Excel cell holds 32,767 characters
_PIECE = 64 * 1024  # unpacked at a time by check_workbook; holds < MAX_RECORD_ELEMENTS
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what Excel and others write
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_START_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


class WorkbookRefused(ValueError):
    """The workbook is not read: ``kind`` says why (BROKEN, TOO_LARGE, NOT_A_WORKBOOK),
    ``reason`` which check refused it, for the log."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


def check_workbook(content: bytes) -> None:
    """Refuse an XLSX (a zip) whose parts unpack beyond what a file of ours can be.

    A zip of a few hundred KB can unpack to gigabytes, and openpyxl's time grows with
    the XML elements it parses, its memory with the shared strings and with what it
    reads whole. So, before openpyxl reads the file, from the zip's directory: the
    number of parts, each part's declared size and compression ratio, and their total
    (the limits are at the top of this module). Then each part is unpacked a piece at a
    time (64 KB, dropped as it goes): it must unpack to exactly its declared size, and
    its XML must stay within the limits on elements, shared strings and text, without a
    DTD (which could declare entities that expand).

    openpyxl reads a worksheet a row at a time and the shared strings a string at a
    time, and every other part it reads whole, into a tree: those are limited in size
    and elements as a whole, worksheets and shared strings row by row and string by
    string, as long as nothing in the package has openpyxl read them whole
    (``_streamed_parts``).

    Python's zipfile never returns more than a part's declared size (it cuts the output
    there, then checks the CRC), but reading a whole part, as openpyxl does for the
    workbook, the styles and the relationships, inflates everything the part's data
    gives, up to 1 GiB, before cutting. Hence the declared sizes are checked against the
    data itself here.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception as err:  # BadZipFile, and others on a damaged directory
        raise WorkbookRefused(BROKEN, "zip directory") from err
    with archive:
        parts = archive.infolist()
        if not any(part.filename == "xl/workbook.xml" for part in parts):
            raise WorkbookRefused(NOT_A_WORKBOOK, "no xl/workbook.xml")  # a .docx, .ods, a zip
        _check_directory(parts)
        scans: dict[str, _XmlScan] = {}
        totals = _XmlTotals()
        for part in parts:
            pieces = _unpacked(content, part)
            first = next(pieces, b"")
            if not _is_xml(part.filename, first):
                for _ in pieces:  # its size is still checked
                    pass
                continue
            scan = scans[part.filename] = _XmlScan(part, totals)
            for piece in chain((first,), pieces):
                scan.feed(piece)
            scan.close()
        streamed = _streamed_parts(archive, scans)
    for name, scan in scans.items():
        if name not in streamed:
            scan.check_whole()


def _check_directory(parts: Sequence[zipfile.ZipInfo]) -> None:
    """What the zip's directory declares: the parts, their sizes and ratios."""
    if len(parts) > MAX_PARTS:
        raise WorkbookRefused(TOO_LARGE, f"more than {MAX_PARTS} parts")
    unpacked = 0
    for part in parts:
        if part.flag_bits & 0x1 or part.compress_type not in _METHODS:
            raise WorkbookRefused(BROKEN, f"{part.filename}: encrypted or not deflated")
        if part.file_size > MAX_PART_BYTES:
            raise WorkbookRefused(TOO_LARGE, f"{part.filename}: part size")
        unpacked += part.file_size
        if unpacked > MAX_UNPACKED_BYTES:
            raise WorkbookRefused(TOO_LARGE, "unpacked size")
        if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * part.compress_size:
            raise WorkbookRefused(TOO_LARGE, f"{part.filename}: compression ratio")


def _unpacked(content: bytes, part: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes, in pieces of at most _PIECE; WorkbookRefused unless its data unpacks
    to exactly its declared size."""
    header = content[part.header_offset : part.header_offset + 30]
    if len(header) < 30 or not header.startswith(_ZIP):
        raise WorkbookRefused(BROKEN, f"{part.filename}: local header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = part.header_offset + 30 + name_length + extra_length
    packed = memoryview(content)[start : start + part.compress_size]
    if len(packed) != part.compress_size:
        raise WorkbookRefused(BROKEN, f"{part.filename}: truncated")
    if part.compress_type == zipfile.ZIP_STORED or part.file_size == part.compress_size == 0:
        if part.compress_size != part.file_size:
            raise WorkbookRefused(BROKEN, f"{part.filename}: stored size")
        for at in range(0, len(packed), _PIECE):
            yield bytes(packed[at : at + _PIECE])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size, at, data = 0, 0, b""
    while not inflater.eof:
        if not data:
            if at >= len(packed):
                break
            data = packed[at : at + _PIECE]
            at += _PIECE
        piece = inflater.decompress(data, _PIECE)
        data = inflater.unconsumed_tail
        size += len(piece)
        if size > part.file_size:
            raise WorkbookRefused(BROKEN, f"{part.filename}: larger than declared")
        if piece:
            yield piece
    piece = inflater.flush()  # what zlib still holds: at most the end of one match
    size += len(piece)
    if not inflater.eof or size != part.file_size:
        raise WorkbookRefused(BROKEN, f"{part.filename}: not its declared size")
    if piece:
        yield piece


def _is_xml(name: str, first: bytes) -> bool:
    """Whether an XML parser could read the part (images and printer settings are not
    read, and not XML)."""
    if name.lower().endswith((".xml", ".rels", ".vml")) or first.startswith(_UTF16_BOMS):
        return True
    head = first.removeprefix(b"\xef\xbb\xbf").lstrip()
    return not head or head.startswith(b"<")


@dataclass
class _XmlTotals:
    elements: int = 0
    shared_strings: int = 0


class _XmlScan:
    """Counts one part's XML elements as its pieces come, with bytes operations only.

    The data is cut before its last ``<``, so that no tag is split between two pieces
    (inside a tag, no ``<`` can occur). A part openpyxl reads a record at a time (the
    rows of a worksheet, the strings of the shared strings) may hold many records, so
    the elements between two record starts are counted; a 64 KB piece holds fewer
    elements than their limit, so only the record open at each cut is followed.
    Comments, CDATA and processing instructions may hold a ``<`` that is not a tag
    (Excel writes none): after one inside the root element, the rest of the part counts
    as one record.
    """

    def __init__(self, part: zipfile.ZipInfo, totals: _XmlTotals) -> None:
        self.name = part.filename
        self.size = part.file_size
        self.totals = totals
        self.root = b""  # the root element's tag, without its prefix
        self.elements = 0
        self.starts: tuple[bytes, ...] = ()  # how a record's tag starts, if any
        self.in_record = 0  # elements since the last record start
        self.carry = b""  # from the last "<" of what came, to be read with the next piece
        self.first = True

    def feed(self, piece: bytes) -> None:
        data = self.carry + piece
        # Between two "<" lies one text, or one tag with its attributes.
        text = data.find(b"<", 1)
        if (text if text >= 0 else len(data)) > MAX_XML_TEXT_BYTES:
            raise WorkbookRefused(TOO_LARGE, f"{self.name}: a text or tag")
        cut = data.rfind(b"<")
        if cut <= 0:
            self.carry = data
            return
        self.carry = data[cut:]
        self._count(data[:cut])

    def close(self) -> None:
        self._count(self.carry)
        self.carry = b""

    def check_whole(self) -> None:
        """Refuse the part if it is too large to be read whole, as openpyxl reads it."""
        if self.elements > MAX_RECORD_ELEMENTS or self.size > MAX_WHOLE_PART_BYTES:
            raise WorkbookRefused(TOO_LARGE, f"{self.name}: too large to read whole")

    def _count(self, body: bytes) -> None:
        if b"<!DOCTYPE" in body:
            raise WorkbookRefused(BROKEN, f"{self.name}: DTD")
        root = 0
        if self.first:  # what comes before the root (the XML declaration) holds no element
            self.first = False
            root = self._find_root(body)
        prolog = body.count(b"<?", 0, root) + body.count(b"<!", 0, root)
        others = body.count(b"<?", root) + body.count(b"<!", root)
        if others:
            self.starts = ()
        elements = _elements(body, 0, len(body)) - prolog - others
        self.elements += elements
        self.totals.elements += elements
        if self.totals.elements > MAX_XML_ELEMENTS:
            raise WorkbookRefused(TOO_LARGE, "XML elements")
        found = [at for at in map(body.find, self.starts) if at >= 0]
        if not found:
            self.in_record += elements
        else:
            self.in_record += _elements(body, 0, min(found))
            self._check_record()
            self.in_record = _elements(body, max(map(body.rfind, self.starts)), len(body))
            if self.root == b"sst":
                self.totals.shared_strings += sum(map(body.count, self.starts))
                if self.totals.shared_strings > MAX_SHARED_STRINGS:
                    raise WorkbookRefused(TOO_LARGE, "shared strings")
        self._check_record()

    def _find_root(self, body: bytes) -> int:
        """Where the root element starts in the part's first piece (its end if not there)."""
        root = _START_TAG.search(body)
        if root is None:
            return len(body)
        prefix, self.root = root.group(1) or b"", root.group(2)
        streamed = _STREAMED.get(self.root)
        if streamed is None:
            self.check_whole()  # its size already: no need to count its elements
        else:
            self.starts = tuple(b"<" + prefix + streamed.record + end for end in (b" ", b">", b"/"))
        if self.root == b"sst" and self.size > MAX_SHARED_STRINGS_BYTES:
            raise WorkbookRefused(TOO_LARGE, f"{self.name}: shared strings size")
        return root.start()

    def _check_record(self) -> None:
        if self.in_record > MAX_RECORD_ELEMENTS:
            raise WorkbookRefused(TOO_LARGE, f"{self.name}: elements of one record")


def _elements(body: bytes, start: int, end: int) -> int:
    """Start and empty-element tags, plus any comment, CDATA or processing instruction."""
    return body.count(b"<", start, end) - body.count(b"</", start, end)


@dataclass(frozen=True)
class _Streamed:
    """A part openpyxl reads a record at a time (or, the calculation chain, never)."""

    record: bytes  # the records' tag
    name: re.Pattern[str]  # where Excel puts such parts
    content_type: str  # how [Content_Types].xml ends its type
    relationship: str  # how the workbook's relationship to it ends its type


_STREAMED = {  # by their root tag
    b"worksheet": _Streamed(
        b"row", re.compile(r"xl/worksheets/[^/]+\.xml"), "worksheet+xml", "/worksheet"
    ),
    b"sst": _Streamed(
        b"si", re.compile(r"xl/sharedStrings\.xml"), "sharedStrings+xml", "/sharedStrings"
    ),
    b"calcChain": _Streamed(b"c", re.compile(r"xl/calcChain\.xml"), "calcChain+xml", "/calcChain"),
}
_WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"


def _streamed_parts(archive: zipfile.ZipFile, scans: Mapping[str, _XmlScan]) -> set[str]:
    """The parts openpyxl reads a record at a time: the worksheets and the shared strings
    where Excel puts them (and the calculation chain, which it does not read), unless the
    package would have it read one of them whole as something else: the content type
    [Content_Types].xml gives it, or a relationship from anywhere but the workbook, or
    of another kind, says so. (The parts read here were checked to be small.)"""
    kinds = {
        name: kind
        for name, scan in scans.items()
        if (kind := _STREAMED.get(scan.root)) is not None and kind.name.fullmatch(name)
    }
    if not kinds:
        return set()
    for element in _xml_elements(archive, "[Content_Types].xml", scans, "Override"):
        name = element.get("PartName", "").removeprefix("/")
        if name in kinds and not element.get("ContentType", "").endswith(kinds[name].content_type):
            del kinds[name]
    for rels in [name for name in scans if name.endswith(".rels")]:
        parent = posixpath.split(posixpath.dirname(rels))[0]  # as openpyxl resolves them
        for element in _xml_elements(archive, rels, scans, "Relationship"):
            target = element.get("Target", "")
            if element.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join(parent, target))
            kind = kinds.get(target)
            if kind is not None and not (
                rels == _WORKBOOK_RELATIONSHIPS
                and element.get("Type", "").endswith(kind.relationship)
            ):
                del kinds[target]
    return set(kinds)


def _xml_elements(
    archive: zipfile.ZipFile, name: str, scans: Mapping[str, _XmlScan], tag: str
) -> list[ElementTree.Element]:
    """The elements of a part (one found small by its scan) with this tag, any namespace."""
    if name not in scans:
        return []
    scans[name].check_whole()
    try:  # without a DTD (its scan saw none), and small: nothing to expand
        root = ElementTree.fromstring(archive.read(name))  # noqa: S314
    except ElementTree.ParseError as err:
        raise WorkbookRefused(BROKEN, f"{name}: not XML") from err
    return [element for element in root.iter() if element.tag.rpartition("}")[2] == tag]
