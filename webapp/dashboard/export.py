"""The dashboard's tables as CSV files: one per section, the numbers as plain integers.

Comma-separated, UTF-8 with a BOM (so that Excel reads the names right), CRLF line ends.
No personal data: counts, codes, and the names of drives and volunteers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from flask_babel import gettext as _

from ..clock import WIB
from ..domain.contributions import ContributionSettings
from ..domain.field_health import field_health
from ..domain.funding import load_quotas
from ..domain.spreadsheets import BOM, csv_line
from ..lifecycle import STATUS_LABELS
from . import figures

Table = tuple[list[str], list[list[Any]]]


def csv_text(header: list[str], rows: Iterable[list[Any]]) -> str:
    """The file: a BOM, the header, the rows; each line by ``spreadsheets.csv_line``."""
    return BOM + csv_line(header) + "".join(map(csv_line, rows))


def _progress(year: int, today: date, settings: ContributionSettings) -> Table:
    progress = figures.progress(load_quotas(year))
    header = [
        _("Sumber dana"),
        _("Nama"),
        _("Target"),
        _("Terdaftar di BPJS"),
        _("Dalam proses"),
        _("Persen terdaftar"),
    ]
    rows = [
        [s.code, s.name, s.target, s.enrolled, s.in_process, "" if s.percent is None else s.percent]
        for s in progress.sources
    ]
    total = progress.total
    percent = "" if total.percent is None else total.percent
    rows.append(["", _("Total"), total.target, total.enrolled, total.in_process, percent])
    return header, rows


def _pipeline(year: int, today: date, settings: ContributionSettings) -> Table:
    header = [_("Kode status"), _("Status"), _("Jumlah")]
    return header, [[s.status, str(STATUS_LABELS[s.status]), s.count] for s in figures.pipeline()]


def _breakdown(name: str) -> Callable[[int, date, ContributionSettings], Table]:
    key_headers = {
        "occupation": lambda: _("Kode pekerjaan"),
        "kecamatan": lambda: _("Kode kecamatan"),
        "drive": lambda: _("ID kegiatan"),
        "volunteer": lambda: _("Nama pengguna"),
    }

    def table(year: int, today: date, settings: ContributionSettings) -> Table:
        groups = figures.breakdowns(year, only=[name])[name]
        header = [key_headers[name](), _("Nama"), _("Pendaftaran"), _("Terdaftar di BPJS")]
        return header, [[g.key, g.label, g.registrations, g.enrolled] for g in groups]

    return table


def _weekly(year: int, today: date, settings: ContributionSettings) -> Table:
    header = [_("Minggu mulai (Senin)"), _("Pendaftaran diterima"), _("Terdaftar di BPJS")]
    weeks = figures.weekly(year, today)
    return header, [[w.monday.isoformat(), w.received, w.enrolled] for w in weeks]


def _budget(year: int, today: date, settings: ContributionSettings) -> Table:
    header = [
        _("Sumber dana"),
        _("Pekerja ditanggung"),
        _("Iuran per bulan (Rp)"),
        _("Sudah terikat (Rp)"),
        _("Pekerja menunggu batch"),
        _("Perkiraan (Rp)"),
        _("Kuota belum terisi"),
        _("Bila kuota penuh (Rp)"),
    ]
    budgets = figures.budgets(settings, load_quotas(year), year=year, today=today)
    rows = [
        [
            b.code,
            b.budget.workers_covered,
            b.budget.monthly,
            b.budget.committed,
            b.budget.workers_waiting,
            b.budget.projected,
            b.budget.open_places,
            b.budget.at_full_quota,
        ]
        for b in budgets
    ]
    return header, rows


def _field(year: int, today: date, settings: ContributionSettings) -> Table:
    header = [
        _("Relawan"),
        _("Perangkat"),
        _("Terakhir terlihat"),
        _("Menunggu"),
        _("Perlu diperbaiki"),
        _("Diam"),
    ]
    rows = [
        [
            d.volunteer,
            d.label,
            d.last_seen_at.astimezone(WIB).isoformat(timespec="minutes") if d.last_seen_at else "",
            d.pending,
            d.needs_fix,
            _("ya") if d.silent else _("tidak"),
        ]
        for d in field_health().devices
    ]
    return header, rows


SECTIONS: dict[str, Callable[[int, date, ContributionSettings], Table]] = {
    "progress": _progress,
    "pipeline": _pipeline,
    **{name: _breakdown(name) for name in figures.BREAKDOWNS},
    "weekly": _weekly,
    "budget": _budget,
    "field": _field,
}


def section_table(section: str, year: int, today: date, settings: ContributionSettings) -> Table:
    """(header, rows) of one section; KeyError for an unknown one."""
    return SECTIONS[section](year, today, settings)
