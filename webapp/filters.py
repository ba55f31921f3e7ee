"""Jinja filters for how the UI shows dates, money and NIKs."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from .clock import WIB
from .domain.nik import mask_nik


def format_date(value: date | None) -> str:
    """DD-MM-YYYY, as dates are written in the UI."""
    return value.strftime("%d-%m-%Y") if value else ""


def format_datetime(value: datetime | None) -> str:
    """DD-MM-YYYY HH:MM in Semarang's time (WIB)."""
    return value.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB") if value else ""


def format_number(value: int | None) -> str:
    """7.500: Indonesian thousands separators."""
    return "" if value is None else f"{value:,}".replace(",", ".")


def format_rupiah(amount: int | None) -> str:
    """Rp16.800: Indonesian thousands separators, no decimals."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_number(abs(amount))}"


def init_app(app: Flask) -> None:
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_rupiah, "rupiah")
    app.add_template_filter(mask_nik, "mask_nik")
