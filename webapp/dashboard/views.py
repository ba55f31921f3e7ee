"""The dashboard page and its CSV downloads."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_login import current_user

from ..clock import today_in_semarang
from ..domain.audit import record_event
from ..domain.parsing import year_asked
from ..domain.reference import load_settings
from ..extensions import db
from ..models import Role
from ..security import role_required
from . import bp
from .export import SECTIONS, csv_text, section_table
from .figures import load_dashboard, years_offered
from .present import (
    BREAKDOWN_ORDER,
    breakdown_captions,
    breakdown_headers,
    charted_groups,
    dashboard_charts,
    percent_text,
    progress_text,
)


@bp.get("")
@role_required(Role.COORDINATOR)
def home():
    today = today_in_semarang()
    year, problem = year_asked(request.args.get("year"), this_year=today.year)
    figures = load_dashboard(year, today=today, settings=load_settings())
    page = render_template(
        "dashboard/home.html",
        d=figures,
        charts=dashboard_charts(figures),
        breakdown_order=BREAKDOWN_ORDER,
        breakdown_captions=breakdown_captions(year),
        breakdown_headers=breakdown_headers(),
        charted_groups=charted_groups,
        percent_text=percent_text,
        progress_text=progress_text,
        years=years_offered(today.year, year),
        problem=problem,
    )
    return page, 400 if problem else 200


@bp.get("/<section>.csv")
@role_required(Role.COORDINATOR)
def download(section: str):
    """One section's table as CSV, for ``?year=``; every download audited."""
    if section not in SECTIONS:
        abort(404)
    today = today_in_semarang()
    year, problem = year_asked(request.args.get("year"), this_year=today.year)
    if problem:
        return Response(problem, 400, mimetype="text/plain; charset=utf-8")
    header, rows = section_table(section, year, today, load_settings())
    record_event(
        "dashboard.download",
        actor=current_user,
        details={"section": section, "year": year, "rows": len(rows)},
    )
    db.session.commit()
    response = Response(csv_text(header, rows), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="pijar-semar-dasbor-{section}-{year}.csv"'
    )
    return response
