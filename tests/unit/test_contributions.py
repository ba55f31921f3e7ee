"""What the programme pays per worker per month, and each source's budget for the year."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from webapp.domain.contributions import (
    CoverGroup,
    IncomeGroup,
    budget,
    monthly_contribution,
    months_in_year,
)

TODAY = SimpleNamespace(jkk_rate_bp=100, jkk_income_floor=1_000_000, jkm_monthly=6_800)


@pytest.mark.parametrize(
    ("income", "jkk", "total"),
    [
        (1_000_000, 10_000, 16_800),  # at the floor: Rp10.000 JKK + Rp6.800 JKM
        (500_000, 10_000, 16_800),  # below the floor the floor counts
        (0, 10_000, 16_800),
        (1_500_000, 15_000, 21_800),
        (2_345_678, 23_457, 30_257),  # Rp23.456,78 JKK rounds to Rp23.457
        (2_345_650, 23_457, 30_257),  # exactly half a rupiah rounds up
    ],
)
def test_monthly_contribution(income, jkk, total):
    contribution = monthly_contribution(TODAY, income)
    assert contribution.jkk == jkk
    assert contribution.jkm == 6_800
    assert contribution.total == total


def test_monthly_contribution_follows_the_settings():
    changed = SimpleNamespace(jkk_rate_bp=24, jkk_income_floor=2_000_000, jkm_monthly=7_000)
    assert monthly_contribution(changed, 1_000_000).total == 4_800 + 7_000
    no_jkk = SimpleNamespace(jkk_rate_bp=0, jkk_income_floor=1_000_000, jkm_monthly=6_800)
    assert monthly_contribution(no_jkk, 5_000_000).total == 6_800
    assert monthly_contribution(changed, 1_000_021).total == 4_800 + 7_000


@pytest.mark.parametrize(
    ("start", "end", "not_before", "months"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), None, 12),
        (date(2026, 3, 15), date(2026, 12, 31), None, 10),  # March counts
        (date(2026, 1, 1), date(2026, 12, 31), date(2026, 11, 24), 2),  # Nov and Dec
        (date(2025, 10, 1), date(2026, 2, 28), None, 2),  # only 2026's months
        (date(2026, 1, 1), date(2026, 6, 30), date(2026, 11, 24), 0),  # cover already over
        (date(2027, 1, 1), date(2027, 12, 31), None, 0),  # next year's cover
    ],
)
def test_months_in_year(start, end, not_before, months):
    assert months_in_year(start, end, 2026, not_before=not_before) == months


def test_budget_for_the_rest_of_the_year():
    figures = budget(
        TODAY,
        year=2026,
        today=date(2026, 11, 24),
        covered=[
            # 100 workers covered all year at the floor: November and December committed.
            CoverGroup(date(2026, 1, 1), date(2026, 12, 31), 1_000_000, 100),
            # 10 at Rp1.500.000 whose cover starts in December: one month.
            CoverGroup(date(2026, 12, 1), date(2026, 12, 31), 1_500_000, 10),
        ],
        waiting=[IncomeGroup(1_000_000, 5)],  # approved, not yet in a batch
        open_places=20,
    )
    assert figures.workers_covered == 110
    assert figures.monthly == 100 * 16_800 + 10 * 21_800
    assert figures.committed == 100 * 16_800 * 2 + 10 * 21_800 * 1
    assert figures.workers_waiting == 5
    # Waiting workers and open places are counted from next month (December): one month.
    assert figures.projected == figures.committed + 5 * 16_800
    assert figures.at_full_quota == figures.projected + 20 * 16_800


def test_budget_of_a_source_with_nothing_yet():
    figures = budget(
        TODAY, year=2026, today=date(2026, 1, 10), covered=[], waiting=[], open_places=1_000
    )
    assert (figures.committed, figures.projected) == (0, 0)
    # 1.000 places from February to December at Rp16.800.
    assert figures.at_full_quota == 1_000 * 16_800 * 11


def test_budget_in_december_projects_nothing_beyond_the_year():
    figures = budget(
        TODAY,
        year=2026,
        today=date(2026, 12, 5),
        covered=[],
        waiting=[IncomeGroup(1_000_000, 5)],
        open_places=7,
    )
    assert figures.projected == 0
    assert figures.at_full_quota == 0
