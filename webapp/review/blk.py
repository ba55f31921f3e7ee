"""The workers who would like the Disnaker's BLK to call them: for training, for news of
job fairs, or both. A list for coordinators and a CSV file for the BLK unit.

Only registrations still on their way or covered: a rejected one, or the duplicate of
another (``lifecycle.TURNED_AWAY``), is left out. Newest first, keyset pages (no OFFSET).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select, tuple_

from ..clock import WIB
from ..domain.spreadsheets import BOM, csv_line
from ..extensions import db
from ..lifecycle import TURNED_AWAY
from ..models import Occupation, Region, Registration
from .queue import decode_cursor, encode_cursor

PAGE_SIZE = 50
ROWS_PER_QUERY = 1000
INTERESTS = {"training": _l("Pelatihan"), "job_fair": _l("Bursa kerja")}
OTHER_OCCUPATION = "lainnya"

# The CSV file for the BLK unit: one line per worker, these columns.
CSV_HEADERS = (
    "NAMA",
    "REFERENSI",
    "NO_HP",
    "KECAMATAN",
    "PEKERJAAN",
    "KEAHLIAN_DIMINATI",
    "MINAT_PELATIHAN",
    "MINAT_BURSA_KERJA",
    "TANGGAL_DITERIMA",
)
YES, NO = "Ya", "Tidak"

COLUMNS = (
    Registration.id,
    Registration.full_name,
    Registration.reference,
    Registration.phone,
    Registration.kecamatan_code,
    Registration.occupation,
    Registration.occupation_other,
    Registration.blk_trade,
    Registration.blk_training,
    Registration.blk_job_fair,
    Registration.received_at,
)


@dataclass(frozen=True)
class BlkFilters:
    kecamatan: str = ""
    occupation: str = ""
    interest: str = ""  # "" (either), or a key of INTERESTS
    after: str = ""

    def as_params(self, **changes: Any) -> dict[str, str]:
        """Query parameters for a link to this view (empty ones left out)."""
        values = replace(self, **changes)
        return {f.name: getattr(values, f.name) for f in fields(values) if getattr(values, f.name)}


def parse_blk_filters(args: Mapping[str, str]) -> BlkFilters:
    """The filters from query parameters; anything malformed is simply ignored."""
    kecamatan = args.get("kecamatan", "")
    interest = args.get("interest", "")
    return BlkFilters(
        kecamatan=kecamatan if re.fullmatch(r"33\.74\.[0-9]{2}", kecamatan) else "",
        occupation=args.get("occupation", "")[:32],
        interest=interest if interest in INTERESTS else "",
        after=args.get("after", "")[:200],
    )


def interested(f: BlkFilters) -> Select:
    """The registrations (as rows of COLUMNS) of workers interested in the BLK, filtered."""
    if f.interest == "training":
        wants = Registration.blk_training.is_(True)
    elif f.interest == "job_fair":
        wants = Registration.blk_job_fair.is_(True)
    else:
        wants = or_(Registration.blk_training.is_(True), Registration.blk_job_fair.is_(True))
    query = select(*COLUMNS).where(wants, Registration.status.not_in(TURNED_AWAY))
    if f.kecamatan:
        query = query.where(Registration.kecamatan_code == f.kecamatan)
    if f.occupation:
        query = query.where(Registration.occupation == f.occupation)
    return query


@dataclass
class BlkPage:
    rows: list[Any]
    next_cursor: str | None


def blk_page(f: BlkFilters, limit: int | None = None) -> BlkPage:
    """One page (PAGE_SIZE rows), newest first, after ``f.after``; keyset on (received_at, id)."""
    limit = limit or PAGE_SIZE
    key = tuple_(Registration.received_at, Registration.id)
    query = interested(f)
    position = decode_cursor(f.after, "newest") if f.after else None
    if position is not None:
        query = query.where(key < position)
    rows = list(
        db.session.execute(
            query.order_by(Registration.received_at.desc(), Registration.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return BlkPage(rows, encode_cursor(rows[-1], "newest") if more and rows else None)


def local_phone(phone: str) -> str:
    """'+6281234567890' as people write it: '081234567890'."""
    return "0" + phone[3:] if phone.startswith("+62") else phone


def interest_names(row: Any) -> list[object]:
    """What the worker said yes to, in words."""
    return [
        INTERESTS[key]
        for key, wanted in (("training", row.blk_training), ("job_fair", row.blk_job_fair))
        if wanted
    ]


def blk_csv(f: BlkFilters) -> tuple[str, int]:
    """The CSV file for the BLK unit, and how many workers it lists, newest first.

    A BOM, the header, a line per worker, each written by ``spreadsheets.csv_line``.
    Made whole in memory, as the dashboard's files are: those interested in the BLK
    are a part of one year's registrations, thousands at most.
    """
    regions = dict(db.session.execute(select(Region.code, Region.name)).all())
    occupations = dict(db.session.execute(select(Occupation.code, Occupation.name_id)).all())
    query = interested(f).order_by(Registration.received_at.desc(), Registration.id.desc())
    lines = [BOM + csv_line(CSV_HEADERS)]
    for row in db.session.execute(query.execution_options(yield_per=ROWS_PER_QUERY)):
        occupation = occupations.get(row.occupation, row.occupation)
        if row.occupation == OTHER_OCCUPATION and row.occupation_other:
            occupation = f"{occupation}: {row.occupation_other}"
        lines.append(
            csv_line(
                (
                    row.full_name,
                    row.reference,
                    local_phone(row.phone),
                    regions.get(row.kecamatan_code, row.kecamatan_code),
                    occupation,
                    row.blk_trade or "",
                    YES if row.blk_training else NO,
                    YES if row.blk_job_fair else NO,
                    row.received_at.astimezone(WIB).strftime("%d-%m-%Y"),
                )
            )
        )
    return "".join(lines), len(lines) - 1
