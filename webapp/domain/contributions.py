"""Contribution arithmetic: what the programme pays BPJS Ketenagakerjaan, and its budget.

Plain functions of the programme settings and counts; no Flask, no database. The
dashboard and the enrollment pages read their money figures from here only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

BASIS_POINTS_WHOLE = 10_000  # 100%
MONTHS = 12


class ContributionSettings(Protocol):
    jkk_rate_bp: int
    jkk_income_floor: int
    jkm_monthly: int


@dataclass(frozen=True)
class Contribution:
    """One worker's monthly contribution, in whole rupiah."""

    jkk: int
    jkm: int

    @property
    def total(self) -> int:
        return self.jkk + self.jkm


def monthly_contribution(settings: ContributionSettings, income: int) -> Contribution:
    """What the programme pays each month for one worker declaring ``income`` rupiah.

    JKK is ``jkk_rate_bp`` basis points of the declared income, but never of less than
    the floor income; JKM is a flat amount. Half a rupiah is rounded up. With the 2026
    settings (1 persen, floor Rp1.000.000, JKM Rp6.800) a worker at the floor costs
    Rp10.000 + Rp6.800 = Rp16.800.
    """
    base = max(income, settings.jkk_income_floor)
    jkk = (base * settings.jkk_rate_bp + BASIS_POINTS_WHOLE // 2) // BASIS_POINTS_WHOLE
    return Contribution(jkk=jkk, jkm=settings.jkm_monthly)


def months_in_year(start: date, end: date, year: int, *, not_before: date | None = None) -> int:
    """How many calendar months of ``year`` the cover from ``start`` to ``end`` touches.

    Months before ``not_before``'s month do not count (they are paid, not committed).
    """
    first = (start.year, start.month)
    if not_before is not None:
        first = max(first, (not_before.year, not_before.month))
    first = max(first, (year, 1))
    last = min((end.year, end.month), (year, MONTHS))
    if last < first:
        return 0
    return (last[0] - first[0]) * MONTHS + last[1] - first[1] + 1


@dataclass(frozen=True)
class CoverGroup:
    """Workers with the same cover period and declared income (one row of a GROUP BY)."""

    start: date
    end: date
    income: int
    workers: int


@dataclass(frozen=True)
class IncomeGroup:
    income: int
    workers: int


@dataclass(frozen=True)
class Budget:
    """One funding source's money for the rest of a year, in rupiah.

    ``committed``: workers already in an enrollment batch or enrolled, from the later of
    their cover start and this month, to the end of their cover period or of the year.
    ``projected``: committed, plus the approved workers waiting for a batch, from next month.
    ``at_full_quota``: projected, plus each still open quota place at the floor
    contribution, from next month.
    """

    workers_covered: int
    monthly: int  # what the covered workers cost together per month
    committed: int
    workers_waiting: int
    projected: int
    open_places: int
    at_full_quota: int


def _next_month(day: date) -> date:
    return date(day.year + day.month // MONTHS, day.month % MONTHS + 1, 1)


def budget(
    settings: ContributionSettings,
    *,
    year: int,
    today: date,
    covered: Iterable[CoverGroup],
    waiting: Iterable[IncomeGroup],
    open_places: int,
) -> Budget:
    """The budget of one funding source for the rest of ``year`` (see ``Budget``)."""
    workers_covered = monthly = committed = 0
    for group in covered:
        cost = monthly_contribution(settings, group.income).total * group.workers
        workers_covered += group.workers
        monthly += cost
        committed += cost * months_in_year(group.start, group.end, year, not_before=today)
    start = _next_month(today)
    year_end = date(year, MONTHS, 31)
    months_ahead = months_in_year(start, year_end, year)
    workers_waiting = waiting_cost = 0
    for group in waiting:
        workers_waiting += group.workers
        waiting_cost += monthly_contribution(settings, group.income).total * group.workers
    projected = committed + waiting_cost * months_ahead
    floor_cost = monthly_contribution(settings, settings.jkk_income_floor).total
    open_places = max(open_places, 0)
    return Budget(
        workers_covered=workers_covered,
        monthly=monthly,
        committed=committed,
        workers_waiting=workers_waiting,
        projected=projected,
        open_places=open_places,
        at_full_quota=projected + open_places * floor_cost * months_ahead,
    )
