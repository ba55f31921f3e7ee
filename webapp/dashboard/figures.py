"""The dashboard's figures: grouped queries returning plain dataclasses, no ORM objects.

Years and weeks are Semarang's (WIB, UTC+7) while times are stored in UTC: a year runs
from 1 January 00:00 WIB, and a week from Monday 00:00 WIB. Their bounds are computed
here, in Python, and the database counts the rows between them, which an index on the
timestamp answers without reading the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from ..clock import semarang_midnight
from ..domain.budget import source_budgets
from ..domain.contributions import Budget, ContributionSettings
from ..domain.field_health import FieldHealth, field_health
from ..domain.funding import Quota, load_quotas, target_years
from ..domain.registrations import count_by_status
from ..extensions import db
from ..labels import occupation_name, region_name
from ..lifecycle import COVERED, PIPELINE, TURNED_AWAY
from ..models import Drive, Registration, User

NO_DRIVE = _l("Tanpa kegiatan")


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first moment of ``year`` and of the next one in Semarang, as UTC datetimes."""
    return semarang_midnight(date(year, 1, 1)), semarang_midnight(date(year + 1, 1, 1))


def week_start(day: date) -> date:
    """The Monday on or before ``day``."""
    return day - timedelta(days=day.weekday())


def in_year(column: ColumnElement, year: int) -> ColumnElement[bool]:
    start, end = year_bounds(year)
    return and_(column >= start, column < end)


class NotSearched(ColumnElement):
    """A column SQLite is not to search by its own index (written ``+column`` there).

    The breakdowns read a year of rows, nearly the whole table: walking the narrow
    ``ix_registrations_breakdown`` in GROUP BY order beats finding the rows by date and
    then sorting them (about 45 ms instead of 130 at 100,000 rows). Other databases see
    the plain column.
    """

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement) -> None:
        self.column = column
        self.type = column.type


@compiles(NotSearched)
def _plain(element: NotSearched, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(NotSearched, "sqlite")
def _unary_plus(element: NotSearched, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


def years_offered(*years: int) -> list[int]:
    """The years that have funding targets, and ``years``, newest first."""
    return sorted(target_years(*years), reverse=True)


# Progress -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceProgress:
    """A funding source's year: its target, the workers enrolled, and those on the way."""

    code: str
    name: str
    target: int
    enrolled: int
    in_process: int  # approved or exported, paid by this source, not yet enrolled

    @property
    def allocated(self) -> int:
        return self.enrolled + self.in_process

    @property
    def percent(self) -> int | None:
        """Whole percent of the target enrolled (rounded down); None without a target."""
        return self.enrolled * 100 // self.target if self.target else None


@dataclass(frozen=True)
class Progress:
    sources: list[SourceProgress]

    @property
    def total(self) -> SourceProgress:
        return SourceProgress(
            code="",
            name="",
            target=sum(s.target for s in self.sources),
            enrolled=sum(s.enrolled for s in self.sources),
            in_process=sum(s.in_process for s in self.sources),
        )


def progress(quotas: dict[str, Quota]) -> Progress:
    """Each active source with a target or workers this year, from ``load_quotas``."""
    return Progress(
        [
            SourceProgress(q.source, q.name, q.workers, q.enrolled, q.allocated - q.enrolled)
            for q in quotas.values()
            if q.workers or q.allocated
        ]
    )


# Pipeline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int


def pipeline() -> list[StatusCount]:
    """How many registrations are in each status now (of every year), in PIPELINE order."""
    counts = count_by_status()
    return [StatusCount(s.value, counts.get(s.value, 0)) for s in PIPELINE]


# Breakdowns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: registrations received in the year, and how many enrolled."""

    key: str  # a code, id or username ("" for none), for the CSV
    label: str
    registrations: int
    enrolled: int


# What each breakdown groups on. Integer columns first: SQLite sorts them faster.
BREAKDOWN_COLUMNS = {
    "volunteer": Registration.collected_by_id,
    "drive": Registration.drive_id,
    "kecamatan": Registration.kecamatan_code,
    "occupation": Registration.occupation,
}
BREAKDOWNS = tuple(BREAKDOWN_COLUMNS)


def breakdowns(year: int, only: Sequence[str] = BREAKDOWNS) -> dict[str, list[Group]]:
    """Registrations received in ``year`` (less rejected and duplicate ones), and how many of
    them are enrolled, by each of ``only`` (volunteer, drive, kecamatan, occupation).

    One statement: the year's registrations are grouped on every column at once (one
    sort of the year's rows, the costly part on SQLite), then each breakdown is summed
    from those groups.
    """
    names = [name for name in BREAKDOWNS if name in only]
    enrolled = func.sum(case((Registration.status.in_(COVERED), 1), else_=0))
    columns = [BREAKDOWN_COLUMNS[name].label(name) for name in names]
    groups = (
        select(*columns, func.count().label("n"), enrolled.label("e"))
        .where(
            in_year(NotSearched(Registration.received_at), year),
            Registration.status.not_in(TURNED_AWAY),
        )
        .group_by(*columns)
        .cte("groups")
    )
    totals = union_all(
        *(
            select(
                literal_column(f"'{name}'"),
                cast(groups.c[name], String),
                func.sum(groups.c.n),
                func.sum(groups.c.e),
            ).group_by(groups.c[name])
            for name in names
        )
    )
    tallies: dict[str, dict[str | None, tuple[int, int]]] = {name: {} for name in names}
    for name, key, n, e in db.session.execute(totals):
        tallies[name][key] = (int(n), int(e))
    found = {}
    for name in names:
        labels = LABELS[name](list(tallies[name]))
        rows = [Group(*labels[key], n, e) for key, (n, e) in tallies[name].items()]
        found[name] = sorted(rows, key=lambda g: (-g.registrations, g.label.casefold(), g.key))
    return found


def _occupation_labels(codes: list[str | None]) -> dict:
    return {code: (code, occupation_name(code)) for code in codes}


def _kecamatan_labels(codes: list[str | None]) -> dict:
    return {code: (code, region_name(code)) for code in codes}


def _drive_labels(keys: list[str | None]) -> dict:
    ids = [int(key) for key in keys if key is not None]
    names = dict(db.session.execute(select(Drive.id, Drive.name).where(Drive.id.in_(ids))).all())
    return {
        key: ("", str(NO_DRIVE)) if key is None else (key, names.get(int(key), key)) for key in keys
    }


def _volunteer_labels(keys: list[str | None]) -> dict:
    """Username (for the CSV) and the name the office knows them by."""
    ids = [int(key) for key in keys if key is not None]
    users = {
        str(u.id): (u.username, u.full_name or u.username)
        for u in db.session.execute(
            select(User.id, User.username, User.full_name).where(User.id.in_(ids))
        )
    }
    return {key: users.get(key, (key, key)) for key in keys}


LABELS = {
    "occupation": _occupation_labels,
    "kecamatan": _kecamatan_labels,
    "drive": _drive_labels,
    "volunteer": _volunteer_labels,
}


# Weeks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    monday: date
    received: int
    enrolled: int


def weeks_of(year: int, today: date) -> list[date]:
    """The Mondays of the weeks of ``year`` up to today's week (all of them for a past year,
    none for a future one). The first may fall in December of the year before."""
    if today.year < year:
        return []
    last = min(date(year, 12, 31), today)
    monday, mondays = week_start(date(year, 1, 1)), []
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


def _counts_per_week(column: ColumnElement, year: int, mondays: list[date]) -> list[int]:
    """Rows with ``column`` in each week (within ``year``), in one statement: a count per
    week between its bounds, each answered from the index on ``column``."""
    if not mondays:
        return []
    start, end = year_bounds(year)
    counts = []
    for monday in mondays:
        low = max(semarang_midnight(monday), start)
        high = min(semarang_midnight(monday + timedelta(days=7)), end)
        counts.append(select(func.count()).where(column >= low, column < high).scalar_subquery())
    return list(db.session.execute(select(*counts)).one())


def weekly(year: int, today: date) -> list[Week]:
    """Registrations received and workers enrolled (by enrolled_at) in each week of ``year``;
    a week reaching into another year counts only its days in ``year``."""
    mondays = weeks_of(year, today)
    received = _counts_per_week(Registration.received_at, year, mondays)
    enrolled = _counts_per_week(Registration.enrolled_at, year, mondays)
    return [Week(*row) for row in zip(mondays, received, enrolled, strict=True)]


# Budget -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceBudget:
    code: str
    name: str
    budget: Budget


def budgets(
    settings: ContributionSettings, quotas: dict[str, Quota], *, year: int, today: date
) -> list[SourceBudget]:
    """Each source's money for the rest of the year (see ``contributions.Budget``)."""
    found = source_budgets(settings, quotas, year=year, today=today)
    return [
        SourceBudget(code, quota.name, found[code])
        for code, quota in quotas.items()
        if quota.workers or quota.allocated
    ]


# All of it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    year: int
    progress: Progress
    pipeline: list[StatusCount]
    breakdowns: dict[str, list[Group]]
    weeks: list[Week]
    budgets: list[SourceBudget]
    field: FieldHealth


def load_dashboard(year: int, *, today: date, settings: ContributionSettings) -> Dashboard:
    """Every figure the dashboard shows for ``year``."""
    quotas = load_quotas(year)
    return Dashboard(
        year=year,
        progress=progress(quotas),
        pipeline=pipeline(),
        breakdowns=breakdowns(year),
        weeks=weekly(year, today),
        budgets=budgets(settings, quotas, year=year, today=today),
        field=field_health(),
    )
