"""The dashboard's charts: its figures turned into SVG, with the words in the user's language."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup

from ..domain.field_health import FieldHealth
from ..filters import format_date as day_text
from ..filters import format_number, format_rupiah
from ..lifecycle import STATUS_LABELS
from . import charts
from .figures import Dashboard, Group, Progress, SourceBudget, StatusCount, Week

TOP = 16  # bars in a breakdown chart (all 16 kecamatan); the table and the CSV hold every row


def percent_text(enrolled: int, target: int) -> str:
    """'85%' of the target enrolled (rounded down), '' without a target."""
    return f"{format_number(enrolled * 100 // target)}%" if target else ""


def progress_text(enrolled: int, target: int) -> str:
    """'7.217 / 8.500', or just the number enrolled when there is no target."""
    if not target:
        return format_number(enrolled)
    return f"{format_number(enrolled)} / {format_number(target)}"


def progress_chart(progress: Progress, year: int) -> Markup | None:
    if not progress.sources:
        return None
    total = progress.total
    rows = [(_("Total"), total)] if len(progress.sources) > 1 else []
    rows += [(s.code, s) for s in progress.sources]
    bars = []
    for label, s in rows:
        percent = percent_text(s.enrolled, s.target)
        bars.append(
            charts.Bar(
                label=label,
                segments=(s.enrolled, s.in_process),
                track=s.target,
                scale=max(s.target, 1),
                note=progress_text(s.enrolled, s.target) + (f" · {percent}" if percent else ""),
                title=_(
                    "%(source)s: %(enrolled)s terdaftar di BPJS, %(in_process)s dalam proses, "
                    "target %(target)s",
                    source=label,
                    enrolled=format_number(s.enrolled),
                    in_process=format_number(s.in_process),
                    target=format_number(s.target),
                ),
            )
        )
    return charts.bar_chart(
        charts.bar_layout(bars),
        chart_id="chart-progress",
        hatched=True,
        title=_("Kemajuan %(year)s terhadap target", year=year),
        desc=_(
            "%(enrolled)s pekerja terdaftar di BPJS dari target %(target)s; "
            "%(in_process)s lagi dalam proses.",
            enrolled=format_number(total.enrolled),
            target=format_number(total.target),
            in_process=format_number(total.in_process),
        ),
    )


def pipeline_chart(pipeline: list[StatusCount]) -> Markup:
    bars = [
        charts.Bar(
            label=str(STATUS_LABELS[s.status]), segments=(s.count,), value=format_number(s.count)
        )
        for s in pipeline
    ]
    return charts.bar_chart(
        charts.bar_layout(bars),
        chart_id="chart-pipeline",
        title=_("Pendaftaran menurut status saat ini"),
        desc="; ".join(f"{STATUS_LABELS[s.status]}: {format_number(s.count)}" for s in pipeline),
    )


BREAKDOWN_ORDER = ("occupation", "kecamatan", "drive", "volunteer")
BREAKDOWN_TITLES = {
    "occupation": lambda year: _("Pendaftaran %(year)s menurut pekerjaan", year=year),
    "kecamatan": lambda year: _("Pendaftaran %(year)s menurut kecamatan", year=year),
    "drive": lambda year: _("Pendaftaran %(year)s menurut kegiatan pendaftaran", year=year),
    "volunteer": lambda year: _("Pendaftaran %(year)s menurut relawan", year=year),
}


def breakdown_captions(year: int) -> dict[str, str]:
    return {name: title(year) for name, title in BREAKDOWN_TITLES.items()}


def breakdown_headers() -> dict[str, str]:
    """What the first column of each breakdown's table holds."""
    return {
        "occupation": _("Pekerjaan"),
        "kecamatan": _("Kecamatan"),
        "drive": _("Kegiatan pendaftaran"),
        "volunteer": _("Relawan"),
    }


def charted_groups(name: str, groups: list[Group]) -> list[Group]:
    """The groups a breakdown chart draws: the largest TOP, without the registrations made
    outside any drive (a bar so long it would flatten the others; the table has it)."""
    if name == "drive":
        groups = [g for g in groups if g.key]
    return groups[:TOP]


def breakdown_chart(name: str, groups: list[Group], year: int) -> Markup | None:
    shown = charted_groups(name, groups)
    if not shown:
        return None
    bars = [
        charts.Bar(
            label=g.label,
            segments=(g.enrolled, g.registrations - g.enrolled),
            value=format_number(g.registrations),
            note=_("%(n)s terdaftar", n=format_number(g.enrolled)),
            title=_(
                "%(label)s: %(registrations)s pendaftaran, %(enrolled)s terdaftar di BPJS",
                label=g.label,
                registrations=format_number(g.registrations),
                enrolled=format_number(g.enrolled),
            ),
        )
        for g in shown
    ]
    top = shown[0]
    return charts.bar_chart(
        charts.bar_layout(bars),
        chart_id=f"chart-{name}",
        title=BREAKDOWN_TITLES[name](year),
        desc=_(
            "%(shown)s terbesar dari %(all)s. Terbanyak: %(label)s, %(n)s pendaftaran.",
            shown=len(shown),
            all=len(groups),
            label=top.label,
            n=format_number(top.registrations),
        ),
    )


def month_ticks(weeks: list[Week]) -> list[tuple[int, str]]:
    """A tick at the first week starting in each month, named by its month."""
    return [
        (i, format_date(w.monday, "MMM"))
        for i, w in enumerate(weeks)
        if w.monday.day <= 7 and w.monday.year == weeks[-1].monday.year
    ]


def weekly_charts(weeks: list[Week], year: int) -> Markup | None:
    """Two charts one above the other, each under its own heading, on the same x axis."""
    if not weeks:
        return None
    ticks = month_ticks(weeks)
    left = max(
        charts.axis_room([w.received for w in weeks], format_number),
        charts.axis_room([w.enrolled for w in weeks], format_number),
    )
    series = [
        ("received", _("Pendaftaran diterima per minggu, %(year)s", year=year), charts.SERIES[0]),
        ("enrolled", _("Pekerja terdaftar di BPJS per minggu, %(year)s", year=year), charts.SECOND),
    ]
    made = []
    for field, title, colour in series:
        chart_id = f"chart-weekly-{field}"
        values = [getattr(w, field) for w in weeks]
        layout = charts.column_layout(values, ticks=ticks, number=format_number, left=left)
        if layout.peak is None:
            desc = _("Belum ada.")
            peak_label = ""
        else:
            peak = weeks[layout.peak]
            desc = _(
                "Jumlah %(total)s. Minggu tertinggi mulai %(day)s: %(n)s.",
                total=format_number(sum(values)),
                day=day_text(peak.monday),
                n=format_number(values[layout.peak]),
            )
            peak_label = format_number(values[layout.peak])
        tips = [
            _("Minggu mulai %(day)s: %(n)s", day=day_text(w.monday), n=format_number(v))
            for w, v in zip(weeks, values, strict=True)
        ]
        made.append(Markup('<p class="dash-series">{}</p>').format(title))
        made.append(
            charts.column_chart(
                layout,
                chart_id=chart_id,
                title=title,
                desc=desc,
                titles=tips,
                peak_label=peak_label,
                colour=colour,
            )
        )
    return Markup("").join(made)


def budget_chart(budgets: list[SourceBudget], year: int) -> Markup | None:
    if not budgets:
        return None
    bars = []
    for b in budgets:
        for label, amount in (
            (_("%(source)s: sudah terikat", source=b.code), b.budget.committed),
            (_("%(source)s: perkiraan", source=b.code), b.budget.projected),
            (_("%(source)s: bila kuota penuh", source=b.code), b.budget.at_full_quota),
        ):
            bars.append(charts.Bar(label=label, segments=(amount,), value=format_rupiah(amount)))
    return charts.bar_chart(
        charts.bar_layout(bars),
        chart_id="chart-budget",
        title=_("Anggaran iuran sisa tahun %(year)s per sumber dana", year=year),
        desc="; ".join(
            _(
                "%(source)s: terikat %(committed)s, perkiraan %(projected)s, "
                "bila kuota penuh %(full)s",
                source=b.code,
                committed=format_rupiah(b.budget.committed),
                projected=format_rupiah(b.budget.projected),
                full=format_rupiah(b.budget.at_full_quota),
            )
            for b in budgets
        ),
    )


def field_chart(field: FieldHealth) -> Markup | None:
    waiting = sorted(
        (d for d in field.devices if d.pending), key=lambda d: (-d.pending, d.volunteer)
    )[:TOP]
    if not waiting:
        return None
    bars = [
        charts.Bar(
            label=" · ".join(t for t in (d.volunteer, d.label) if t),
            segments=(d.pending,),
            value=format_number(d.pending),
            note=_("diam") if d.silent else "",
            alert=d.silent,
        )
        for d in waiting
    ]
    return charts.bar_chart(
        charts.bar_layout(bars),
        chart_id="chart-field",
        title=_("Pendaftaran yang masih menunggu di ponsel"),
        desc=_(
            "%(n)s pendaftaran menunggu di %(devices)s ponsel; %(silent)s ponsel diam.",
            n=format_number(field.waiting),
            devices=len([d for d in field.devices if d.pending]),
            silent=len(field.silent),
        ),
    )


@dataclass(frozen=True)
class Charts:
    progress: Markup | None
    pipeline: Markup
    breakdowns: dict[str, Markup | None]
    weekly: Markup | None
    budget: Markup | None
    field: Markup | None


def dashboard_charts(d: Dashboard) -> Charts:
    return Charts(
        progress=progress_chart(d.progress, d.year),
        pipeline=pipeline_chart(d.pipeline),
        breakdowns={name: breakdown_chart(name, g, d.year) for name, g in d.breakdowns.items()},
        weekly=weekly_charts(d.weeks, d.year),
        budget=budget_chart(d.budgets, d.year),
        field=field_chart(d.field),
    )
