from datetime import UTC, date, datetime

import pytest

from webapp.domain.nik import mask_nik
from webapp.filters import format_date, format_datetime, format_rupiah


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(16_800, "Rp16.800"), (1_000_000, "Rp1.000.000"), (0, "Rp0"), (999, "Rp999")],
)
def test_rupiah(amount, shown):
    assert format_rupiah(amount) == shown


def test_dates_are_day_month_year_in_semarang_time():
    assert format_date(date(2026, 11, 6)) == "06-11-2026"
    assert format_datetime(datetime(2026, 11, 6, 20, 30, tzinfo=UTC)) == "07-11-2026 03:30 WIB"


def test_masked_nik_hides_the_birth_date():
    assert mask_nik("3374011205900012") == "3374 01•• •••• 0012"


def test_numbers_use_indonesian_separators():
    from webapp.filters import format_number

    assert format_number(7_500) == "7.500"
    assert format_number(8_500_000) == "8.500.000"
