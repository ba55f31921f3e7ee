"""Reference data: regions, occupations, heir relationships, funding sources and the
programme settings, with the idempotent seed that loads them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import FundingSource, FundingTarget, Occupation, ProgrammeSetting, Region

WILAYAH_CSV = Path(__file__).parents[1] / "data" / "semarang_wilayah.csv"

# (code, Indonesian name, English name): the codes are part of the sync contract.
OCCUPATIONS = [
    ("pkl", "Pedagang kaki lima (PKL)", "Street vendor (PKL)"),
    ("pedagang_pasar", "Pedagang pasar", "Market trader"),
    ("nelayan", "Nelayan", "Fisher"),
    ("juru_parkir", "Juru parkir", "Parking attendant"),
    ("sopir", "Sopir", "Driver"),
    ("ojek", "Pengemudi ojek", "Ojek rider"),
    ("buruh_gendong", "Buruh gendong", "Porter (buruh gendong)"),
    ("pemulung", "Pemulung", "Waste picker"),
    ("art", "Asisten rumah tangga (ART)", "Domestic worker (ART)"),
    ("lainnya", "Lainnya", "Other"),
]
OTHER_OCCUPATION = "lainnya"

HEIR_RELATIONSHIPS = {
    "suami": _l("Suami"),
    "istri": _l("Istri"),
    "anak": _l("Anak"),
    "orang_tua": _l("Orang tua"),
    "saudara": _l("Saudara kandung"),
    "lainnya": _l("Lainnya"),
}

FUNDING_SOURCES = [
    ("APBD", "APBD Kota Semarang", False),
    ("DBHCHT", "Dana Bagi Hasil Cukai Hasil Tembakau (DBHCHT)", False),
]
FUNDING_TARGETS = [(2026, "APBD", 7_500), (2026, "DBHCHT", 1_000)]

# key: (value, unit, description). Whole numbers; rates in basis points (100 = 1%).
DEFAULT_SETTINGS = {
    "jkk_rate_bp": (100, "basis_points", "Iuran JKK: persen dari penghasilan (100 = 1%)"),
    "jkk_income_floor": (1_000_000, "rupiah", "Penghasilan terendah untuk dasar iuran JKK"),
    "jkm_monthly": (6_800, "rupiah", "Iuran JKM per bulan"),
    "min_age": (18, "years", "Usia terendah tanpa tanda"),
    "max_age": (65, "years", "Usia tertinggi tanpa tanda"),
    "income_usual_min": (100_000, "rupiah", "Penghasilan terendah tanpa tanda"),
    "income_usual_max": (50_000_000, "rupiah", "Penghasilan tertinggi tanpa tanda"),
}


@dataclass(frozen=True)
class ProgrammeSettings:
    jkk_rate_bp: int
    jkk_income_floor: int
    jkm_monthly: int
    min_age: int
    max_age: int
    # New settings get their seeded value as a default, so older callers keep working.
    income_usual_min: int = DEFAULT_SETTINGS["income_usual_min"][0]
    income_usual_max: int = DEFAULT_SETTINGS["income_usual_max"][0]


def load_settings() -> ProgrammeSettings:
    """The programme settings as stored (seeded defaults where an admin changed nothing)."""
    stored = dict(db.session.execute(select(ProgrammeSetting.key, ProgrammeSetting.value)).all())
    values = {key: stored.get(key, default[0]) for key, default in DEFAULT_SETTINGS.items()}
    return ProgrammeSettings(**values)


@cache
def wilayah_rows() -> tuple[dict[str, str], ...]:
    """The rows of the official code list shipped with the app."""
    with WILAYAH_CSV.open(newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def seed() -> dict[str, int]:
    """Insert the reference data that is missing; never overwrite what an admin changed.

    Returns how many rows of each kind were added.
    """
    added = {"regions": 0, "occupations": 0, "funding_sources": 0, "targets": 0, "settings": 0}

    have = set(db.session.scalars(select(Region.code)))
    for row in wilayah_rows():
        if row["code"] not in have:
            db.session.add(
                Region(
                    code=row["code"],
                    level=row["level"],
                    name=row["name"],
                    parent_code=row["parent_code"],
                )
            )
            added["regions"] += 1

    have = set(db.session.scalars(select(Occupation.code)))
    for order, (code, name_id, name_en) in enumerate(OCCUPATIONS):
        if code not in have:
            db.session.add(
                Occupation(code=code, name_id=name_id, name_en=name_en, sort_order=order)
            )
            added["occupations"] += 1

    have = set(db.session.scalars(select(FundingSource.code)))
    for code, name, is_sponsor in FUNDING_SOURCES:
        if code not in have:
            db.session.add(FundingSource(code=code, name=name, is_sponsor=is_sponsor))
            added["funding_sources"] += 1
    db.session.flush()

    have = set(db.session.execute(select(FundingTarget.year, FundingTarget.funding_source_code)))
    for year, source, workers in FUNDING_TARGETS:
        if (year, source) not in have:
            db.session.add(FundingTarget(year=year, funding_source_code=source, workers=workers))
            added["targets"] += 1

    have = set(db.session.scalars(select(ProgrammeSetting.key)))
    for key, (value, unit, description) in DEFAULT_SETTINGS.items():
        if key not in have:
            db.session.add(
                ProgrammeSetting(key=key, value=value, unit=unit, description=description)
            )
            added["settings"] += 1

    db.session.commit()
    return added
