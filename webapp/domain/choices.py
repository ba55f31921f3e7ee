"""What forms offer and filters narrow by: regions, occupations, drives, read from the database.

``FormChoices`` is what the registration form offers and the schema accepts (open
drives only); ``registration_choices`` is what registrations may be filtered by in the
office (closed drives too).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Drive, Occupation, Region


@dataclass(frozen=True)
class FormChoices:
    """What the registration form offers and the schema accepts, read once per request."""

    kecamatan: list[tuple[str, str]]  # (code, name)
    kelurahan: dict[str, list[tuple[str, str]]]  # kecamatan code -> [(code, name)]
    occupations: list[tuple[str, str, str]]  # (code, name_id, name_en)
    drives: list[tuple[int, str]]  # open drives (id, name)

    @cached_property
    def kelurahan_codes(self) -> set[str]:
        return {code for rows in self.kelurahan.values() for code, _ in rows}

    @cached_property
    def occupation_codes(self) -> set[str]:
        return {code for code, _, _ in self.occupations}

    @cached_property
    def drive_ids(self) -> set[int]:
        return {drive_id for drive_id, _ in self.drives}


def load_form_choices() -> FormChoices:
    regions = db.session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code).order_by(Region.code)
    ).all()
    kecamatan = [(r.code, r.name) for r in regions if r.level == "kecamatan"]
    kelurahan: dict[str, list[tuple[str, str]]] = {code: [] for code, _ in kecamatan}
    for r in regions:
        if r.level == "kelurahan":
            kelurahan.setdefault(r.parent_code, []).append((r.code, r.name))
    for rows in kelurahan.values():
        rows.sort(key=lambda row: row[1])
    occupations = list(
        db.session.execute(
            select(Occupation.code, Occupation.name_id, Occupation.name_en)
            .where(Occupation.active)
            .order_by(Occupation.sort_order)
        ).all()
    )
    drives = list(
        db.session.execute(
            select(Drive.id, Drive.name).where(Drive.closed_at.is_(None)).order_by(Drive.starts_on)
        ).all()
    )
    return FormChoices(kecamatan, kelurahan, occupations, drives)


def registration_choices() -> dict[str, Any]:
    """What registrations may be narrowed by: every drive (closed ones too, newest first),
    occupation and kecamatan, as (value, label) pairs for select lists."""
    return {
        "drives": db.session.execute(
            select(Drive.id, Drive.name).order_by(Drive.starts_on.desc())
        ).all(),
        "occupations": db.session.execute(
            select(Occupation.code, Occupation.name_id).order_by(Occupation.sort_order)
        ).all(),
        "kecamatan": db.session.execute(
            select(Region.code, Region.name)
            .where(Region.level == "kecamatan")
            .order_by(Region.code)
        ).all(),
    }
