"""Charts drawn on the server as SVG: geometry from plain numbers, then escaped markup.

No Flask here. The page's Content-Security-Policy allows no inline styles, so colours
and sizes are SVG presentation attributes, with class names for the stylesheet. Text is
sized in viewBox units: the chart scales to the width of its box, so the same chart
reads on a phone (about 0.7 of the size) and on a projector.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 440  # viewBox width of every chart
FONT = 20  # label size in viewBox units
SMALL = 18  # axis and note size
CHAR_WIDTH = 0.56  # average width of a character, in ems (digits and lower case)
BOLD_WIDTH = 0.66  # the same in bold, with room to spare (values are bold)
GAP = 8

INK = "#111111"
MUTED = "#4a4a4a"
GRID = "#c4c9d1"
TRACK = "#767676"
SERIES = ("#0b4f8a", "#0b4f8a")  # solid, then the same colour hatched
HATCH_GROUND = "#d6e4f2"
LIGHT = "#c9dcf0"  # the rest of a bar, outlined in the solid colour
ALERT = "#b00020"
SECOND = "#0a6b2d"  # a second single-series chart (enrollments), told apart by its title too


def text_width(text: str, size: float = FONT, *, bold: bool = False) -> float:
    """Roughly how wide ``text`` is drawn at ``size``, in viewBox units."""
    return len(text) * size * (BOLD_WIDTH if bold else CHAR_WIDTH)


def fit(text: str, room: float, size: float = FONT) -> str:
    """``text`` shortened in the middle ("Pendataan pe…Tanjung Mas (12-03-2026)") so that it
    fits in ``room`` units: names often differ only at their end."""
    most = max(int(room / (size * CHAR_WIDTH)), 1)
    if len(text) <= most:
        return text
    if most < 8:
        return text[: most - 1] + "…"
    head = (most - 1) // 3
    tail = most - 1 - head
    return text[:head].rstrip() + "…" + text[-tail:].lstrip()


def _n(value: float) -> str:
    """A coordinate as short text: 12, 12.5, never 12.500000001."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float


# Horizontal bars ---------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: a label above it, stacked segments, a value after it, a note on the right.

    ``track`` draws an outline behind the segments (a target to fill); ``alert`` draws the
    first segment in the alert colour (with a note saying why: never colour alone).
    ``scale``, when set, is the value this bar's full length stands for (a progress bar
    against its own target); otherwise all bars share one scale.
    """

    label: str
    segments: tuple[int, ...] = ()
    value: str = ""
    note: str = ""
    track: int = 0
    alert: bool = False
    title: str = ""  # the full text for a tooltip; label and value when empty
    scale: int = 0


@dataclass(frozen=True)
class PlacedBar:
    bar: Bar
    label: str  # fitted to the room left by the note
    label_y: float  # baseline of the label line
    segments: tuple[Box, ...]  # one per bar segment, in order; zero width for zero
    track: Box | None
    value_x: float
    value_y: float


@dataclass(frozen=True)
class BarLayout:
    width: float
    height: float
    scale: int  # the value a full-length bar stands for
    bars: tuple[PlacedBar, ...]


def bar_layout(bars: Sequence[Bar], *, width: float = WIDTH, font: float = FONT) -> BarLayout:
    """Where each bar goes. Lengths are proportional to values, the longest bar (or track)
    spanning the room left after the widest value text."""
    scale = max((max(sum(b.segments), b.track) for b in bars if not b.scale), default=0) or 1
    widest = max((text_width(b.value, font, bold=True) for b in bars if b.value), default=0.0)
    reserve = min(widest + GAP, width / 2) if widest else 0.0
    room = width - reserve
    label_h, bar_h, after = font * 1.3, font * 1.2, font * 0.9
    placed, y = [], 0.0
    for bar in bars:
        note_room = text_width(bar.note, SMALL) + GAP if bar.note else 0.0
        bar_y = y + label_h
        own = max(bar.scale, sum(bar.segments), bar.track) if bar.scale else scale
        x, segments = 0.0, []
        for value in bar.segments:
            length = room * max(value, 0) / own
            segments.append(Box(x, bar_y, length, bar_h))
            x += length
        track = Box(0.0, bar_y, room * bar.track / own, bar_h) if bar.track > 0 else None
        end = max(x, track.width if track else 0.0)
        placed.append(
            PlacedBar(
                bar=bar,
                label=fit(bar.label, width - note_room, font),
                label_y=y + font,
                segments=tuple(segments),
                track=track,
                value_x=end + GAP,
                value_y=bar_y + bar_h * 0.78,
            )
        )
        y = bar_y + bar_h + after
    return BarLayout(width=width, height=max(y, font), scale=scale, bars=tuple(placed))


# Columns (one series over time) -------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    at: float  # x for a column tick, y for a grid line
    label: str


@dataclass(frozen=True)
class ColumnLayout:
    width: float
    height: float
    top: int  # the value of the highest grid line
    columns: tuple[Box, ...]
    grid: tuple[Tick, ...]  # horizontal lines with their value
    ticks: tuple[Tick, ...]  # labels under the columns
    baseline: float
    peak: int | None  # index of the highest column (the last of equals), None when all zero


def nice_top(value: int, lines: int = 4) -> tuple[int, int]:
    """(top, step): a round step (1, 2, 2.5 or 5 times a power of ten) and the first
    multiple of it at or above ``value``, so that ``lines`` grid lines cover the data."""
    if value <= 0:
        return lines, 1
    raw = value / lines
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw and step == int(step):
            break
    else:  # pragma: no cover  (10 * power always qualifies)
        step = 10 * power
    step = max(int(step), 1)
    return step * math.ceil(value / step), step


def axis_room(
    values: Sequence[int], number: Callable[[int], str] = str, font: float = SMALL
) -> float:
    """The room on the left for the grid lines' values."""
    top, _ = nice_top(max(values, default=0))
    return max(text_width(number(top), font), font) + GAP


def _apart(ticks: Sequence[Tick], font: float) -> tuple[Tick, ...]:
    """Every tick, or every second, third... one: the fewest skipped so no labels overlap."""
    for stride in range(1, len(ticks) + 1):
        kept = tuple(ticks[::stride])
        if all(
            after.at - before.at >= text_width(before.label, font) + GAP
            for before, after in itertools.pairwise(kept)
        ):
            return kept
    return ()


def column_layout(
    values: Sequence[int],
    *,
    ticks: Sequence[tuple[int, str]] = (),
    number: Callable[[int], str] = str,
    left: float = 0.0,
    width: float = WIDTH,
    height: float = 260,
    font: float = SMALL,
) -> ColumnLayout:
    """Columns for ``values`` left to right, grid lines with round values on the left, and
    ``ticks`` ((column index, label)) under the columns. ``left``: room for the values of
    the grid lines at least (to line up charts drawn one above the other)."""
    top, step = nice_top(max(values, default=0))
    left = max(left, axis_room(values, number, font))
    baseline = height - font * 1.6
    plot_top = font * 0.8
    plot_h = baseline - plot_top
    slot = (width - left) / max(len(values), 1)
    gap = min(slot * 0.2, 3.0)
    columns = tuple(
        Box(left + i * slot + gap / 2, baseline - plot_h * v / top, slot - gap, plot_h * v / top)
        for i, v in enumerate(max(v, 0) for v in values)
    )
    grid = tuple(
        Tick(baseline - plot_h * value / top, number(value)) for value in range(0, top + 1, step)
    )
    placed_ticks = _apart(
        [Tick(left + i * slot, label) for i, label in ticks if 0 <= i < len(values)], font
    )
    highest = max(values, default=0)
    peak = None
    if highest > 0:
        peak = max(i for i, v in enumerate(values) if v == highest)
    return ColumnLayout(
        width=width,
        height=height,
        top=top,
        columns=columns,
        grid=grid,
        ticks=placed_ticks,
        baseline=baseline,
        peak=peak,
    )


# Markup -------------------------------------------------------------------------------
# Plain strings, joined once: every text from outside (labels, titles, notes) goes through
# escape(); the rest are numbers and constants of this module.


def _open(chart_id: str, width: float, height: float, title: str, desc: str, kind: str) -> str:
    cid = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" id="{cid}">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>'
    )


def _hatch(chart_id: str) -> str:
    return (
        f'<defs><pattern id="{escape(chart_id)}-hatch" width="8" height="8" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{HATCH_GROUND}"/>'
        f'<rect width="3" height="8" fill="{SERIES[1]}"/></pattern></defs>'
    )


def _rect(box: Box, fill: str, css: str, more: str = "") -> str:
    return (
        f'<rect class="{css}" x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" '
        f'height="{_n(box.height)}" fill="{fill}"{more}/>'
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    css: str,
    anchor: str = "start",
    fill: str = INK,
    bold: bool = False,
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text class="{css}" x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" '
        f'text-anchor="{anchor}" fill="{fill}"{weight}>{escape(text)}</text>'
    )


def bar_chart(
    layout: BarLayout,
    *,
    chart_id: str,
    title: str,
    desc: str,
    hatched: bool = False,
    font: float = FONT,
) -> Markup:
    """The SVG of a bar layout: the first segment of each bar solid, the others light, or
    ``hatched``. Every text is escaped."""
    parts = [_open(chart_id, layout.width, layout.height, title, desc, "bars")]
    if hatched:
        parts.append(_hatch(chart_id))
    rest = f"url(#{escape(chart_id)}-hatch)" if hatched else LIGHT
    outline = f' stroke="{SERIES[0]}" stroke-width="1"'
    for placed in layout.bars:
        bar = placed.bar
        tip = bar.title or " ".join(t for t in (bar.label, bar.value) if t)
        parts.append(f'<g class="bar"><title>{escape(tip)}</title>')
        parts.append(_text(0, placed.label_y, placed.label, size=font, css="label"))
        if bar.note:
            colour = ALERT if bar.alert else MUTED
            parts.append(
                _text(
                    layout.width,
                    placed.label_y,
                    bar.note,
                    size=SMALL,
                    css="note",
                    anchor="end",
                    fill=colour,
                )
            )
        if placed.track is not None:
            parts.append(
                _rect(placed.track, "#ffffff", "track", f' stroke="{TRACK}" stroke-width="2"')
            )
        for i, box in enumerate(placed.segments):
            if box.width > 0:
                solid = ALERT if bar.alert else SERIES[0]
                fill = solid if i == 0 else rest
                parts.append(_rect(box, fill, f"segment segment-{i}", outline))
        if bar.value:
            parts.append(
                _text(placed.value_x, placed.value_y, bar.value, size=font, css="value", bold=True)
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every outside text went through escape)


def column_chart(
    layout: ColumnLayout,
    *,
    chart_id: str,
    title: str,
    desc: str,
    titles: Sequence[str] = (),
    peak_label: str = "",
    colour: str = SERIES[0],
    font: float = SMALL,
) -> Markup:
    """The SVG of a column layout; ``titles`` are tooltips per column, ``peak_label`` is
    written above the highest column."""
    parts = [_open(chart_id, layout.width, layout.height, title, desc, "columns")]
    left = _n(layout.columns[0].x if layout.columns else 0)
    right = _n(layout.width)
    for tick in layout.grid:
        y = _n(tick.at)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="{GRID}"/>'
        )
        parts.append(_text(0, tick.at + font * 0.35, tick.label, size=font, css="axis", fill=MUTED))
    for i, box in enumerate(layout.columns):
        rect = _rect(box, colour, "column")
        if i < len(titles) and titles[i]:
            rect = f"<g><title>{escape(titles[i])}</title>{rect}</g>"
        parts.append(rect)
    bottom, below = _n(layout.baseline), _n(layout.baseline + 5)
    for tick in layout.ticks:
        x = _n(tick.at)
        parts.append(
            f'<line class="tick" x1="{x}" x2="{x}" y1="{bottom}" y2="{below}" stroke="{TRACK}"/>'
        )
        parts.append(
            _text(
                tick.at, layout.height - font * 0.3, tick.label, size=font, css="axis", fill=MUTED
            )
        )
    parts.append(
        f'<line class="baseline" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" '
        f'stroke="{INK}"/>'
    )
    if layout.peak is not None and peak_label:
        box = layout.columns[layout.peak]
        centre = box.x + box.width / 2
        anchor = "end" if centre > layout.width * 0.75 else "start" if centre < 60 else "middle"
        parts.append(
            _text(
                centre,
                max(box.y - 4, font),
                peak_label,
                size=font,
                css="peak",
                anchor=anchor,
                bold=True,
            )
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every outside text went through escape)
