"""Each funding source's budget for the rest of a year, from the registrations it pays for."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..lifecycle import IN_BATCH, RegistrationStatus
from ..models import EnrollmentBatch, Registration
from .contributions import Budget, ContributionSettings, CoverGroup, IncomeGroup, budget
from .funding import Quota


def source_budgets(
    settings: ContributionSettings, quotas: dict[str, Quota], *, year: int, today: date
) -> dict[str, Budget]:
    """source code -> its Budget for the rest of ``year`` (see ``contributions.budget``).

    Two grouped queries: workers in a batch or enrolled, by cover period and income;
    approved workers waiting for a batch, by income. Incomes are few distinct round
    numbers, so the groups stay small however many registrations there are.
    """
    start = func.coalesce(Registration.coverage_starts_on, EnrollmentBatch.period_start)
    covered: dict[str, list[CoverGroup]] = {}
    for source, starts, ends, income, workers in db.session.execute(
        select(
            Registration.funding_source_code,
            start,
            EnrollmentBatch.period_end,
            Registration.monthly_income,
            func.count(),
        )
        .join(EnrollmentBatch, Registration.batch_id == EnrollmentBatch.id)
        .where(
            Registration.funding_year == year,
            Registration.status.in_(IN_BATCH),
        )
        .group_by(
            Registration.funding_source_code,
            start,
            EnrollmentBatch.period_end,
            Registration.monthly_income,
        )
    ):
        covered.setdefault(source, []).append(CoverGroup(starts, ends, income, workers))
    waiting: dict[str, list[IncomeGroup]] = {}
    for source, income, workers in db.session.execute(
        select(Registration.funding_source_code, Registration.monthly_income, func.count())
        .where(
            Registration.funding_year == year,
            Registration.status == RegistrationStatus.APPROVED,
        )
        .group_by(Registration.funding_source_code, Registration.monthly_income)
    ):
        waiting.setdefault(source, []).append(IncomeGroup(income, workers))
    return {
        code: budget(
            settings,
            year=year,
            today=today,
            covered=covered.get(code, ()),
            waiting=waiting.get(code, ()),
            open_places=quota.room,
        )
        for code, quota in quotas.items()
    }
