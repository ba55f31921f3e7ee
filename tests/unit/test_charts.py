"""The dashboard's SVG charts: geometry from numbers, escaped and accessible markup."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from webapp.dashboard import charts
from webapp.dashboard.charts import Bar, bar_chart, bar_layout, column_chart, column_layout

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The chart as XML: it must be well formed, so every text was escaped."""
    return ET.fromstring(str(markup))  # noqa: S314  (our own output)


def test_bar_lengths_are_proportional_to_the_values():
    layout = bar_layout([Bar("a", (100,), "100"), Bar("b", (50,), "50"), Bar("c", (25,), "25")])
    a, b, c = (placed.segments[0].width for placed in layout.bars)
    assert a == pytest.approx(2 * b) == pytest.approx(4 * c)
    # The longest bar fills the width left after the widest value text.
    assert a + charts.GAP + charts.text_width("100", bold=True) <= charts.WIDTH + 0.01
    assert a > charts.WIDTH / 2


def test_stacked_segments_follow_one_another():
    [placed] = bar_layout([Bar("a", (30, 10), "40")]).bars
    first, second = placed.segments
    assert second.x == pytest.approx(first.x + first.width)
    assert first.width == pytest.approx(3 * second.width)
    assert placed.value_x > second.x + second.width


def test_a_bar_with_its_own_scale_is_measured_against_its_target():
    small = Bar("DBHCHT", (500, 250), track=1_000, scale=1_000)
    big = Bar("APBD", (3_000,), track=7_500, scale=7_500)
    layout = bar_layout([big, small])
    apbd, dbhcht = layout.bars
    # Both tracks (their targets) are as long: each bar shows how full it is.
    assert apbd.track.width == pytest.approx(dbhcht.track.width)
    assert dbhcht.segments[0].width == pytest.approx(dbhcht.track.width / 2)
    assert apbd.segments[0].width == pytest.approx(apbd.track.width * 0.4)


def test_more_than_the_target_stretches_the_bar_not_past_the_chart():
    [placed] = bar_layout([Bar("APBD", (120, 10), track=100, scale=100)]).bars
    end = placed.segments[-1].x + placed.segments[-1].width
    assert end <= charts.WIDTH + 0.01
    assert placed.track.width < end


def test_zero_and_empty_data_draw_nothing_and_do_not_fail():
    layout = bar_layout([Bar("a", (0, 0), "0"), Bar("b", (0,), "0")])
    assert all(box.width == 0 for placed in layout.bars for box in placed.segments)
    svg = parse(bar_chart(layout, chart_id="c", title="t", desc="d"))
    assert not [r for r in svg.iter(f"{SVG}rect") if r.get("class", "").startswith("segment")]

    empty = bar_layout([])
    assert empty.bars == () and empty.height > 0
    parse(bar_chart(empty, chart_id="e", title="t", desc="d"))

    columns = column_layout([0, 0, 0])
    assert columns.peak is None
    assert all(box.height == 0 for box in columns.columns)
    parse(column_chart(column_layout([]), chart_id="w", title="t", desc="d"))


def test_long_labels_are_shortened_in_the_middle_to_fit():
    name = "Pendataan pekerja rentan Tanjung Mas (12-03-2026) di Balai Kelurahan"
    [placed] = bar_layout([Bar(name, (5,), "5", note="2 terdaftar")]).bars
    label = placed.label
    assert "…" in label and label != name
    assert label.endswith(name[-5:]) and label.startswith(name[:5])
    room = charts.WIDTH - charts.text_width("2 terdaftar", charts.SMALL) - charts.GAP
    assert charts.text_width(label) <= room
    assert charts.fit("Nelayan", 1_000) == "Nelayan"


def test_every_text_is_escaped():
    nasty = '<script>alert("x")</script> & "Co"'
    layout = bar_layout([Bar(nasty, (3,), "3", note=nasty, title=nasty)])
    markup = str(bar_chart(layout, chart_id="chart-x", title=nasty, desc=nasty))
    assert "<script>" not in markup
    svg = parse(markup)  # well-formed: nothing broke out of its element
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts[0].startswith("<scrip")  # the label, as written (shortened to fit)
    assert svg.find(f"{SVG}title").text == nasty

    columns = column_layout([1, 2], ticks=[(0, nasty)])
    markup = str(column_chart(columns, chart_id="w", title=nasty, desc=nasty, titles=[nasty] * 2))
    assert "<script>" not in markup
    parse(markup)


def test_charts_are_labelled_images_without_inline_styles():
    layout = bar_layout([Bar("Nelayan", (2, 3), "5")])
    markup = str(
        bar_chart(layout, chart_id="chart-nelayan", title="Judul", desc="Isi", hatched=True)
    )
    svg = parse(markup)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-nelayan-title chart-nelayan-desc"
    assert svg.find(f"{SVG}title").get("id") == "chart-nelayan-title"
    assert svg.find(f"{SVG}desc").get("id") == "chart-nelayan-desc"
    assert svg.get("viewBox") == f"0 0 {charts.WIDTH} {charts._n(layout.height)}"
    assert svg.get("width") == "100%"
    # The Content-Security-Policy allows no inline style: presentation attributes only.
    assert "style=" not in markup and "<style" not in markup
    # The value is written on the bar: never colour alone.
    assert "5" in [t.text for t in svg.iter(f"{SVG}text")]
    assert 'fill="url(#chart-nelayan-hatch)"' in markup


def test_columns_are_proportional_under_round_grid_lines():
    layout = column_layout([10, 40, 0, 20], ticks=[(1, "Feb")], number=str)
    heights = [box.height for box in layout.columns]
    assert heights[1] == pytest.approx(4 * heights[0]) == pytest.approx(2 * heights[3])
    assert heights[2] == 0
    assert layout.top == 40 and [tick.label for tick in layout.grid] == [
        "0",
        "10",
        "20",
        "30",
        "40",
    ]
    # Columns stand on the baseline, left to right, without overlapping.
    assert all(box.y + box.height == pytest.approx(layout.baseline) for box in layout.columns)
    assert all(
        a.x + a.width < b.x for a, b in zip(layout.columns, layout.columns[1:], strict=False)
    )
    assert layout.peak == 1
    assert [tick.label for tick in layout.ticks] == ["Feb"]


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [(0, 4, 1), (3, 3, 1), (7, 8, 2), (40, 40, 10), (4_577, 6_000, 2_000), (617, 800, 200)],
)
def test_grid_lines_use_round_steps(value, top, step):
    assert charts.nice_top(value) == (top, step)
    assert top >= value


def test_lined_up_charts_share_their_left_margin():
    narrow = column_layout([5, 8], left=charts.axis_room([6_000]))
    wide = column_layout([4_000, 6_000])
    assert narrow.columns[0].x == pytest.approx(wide.columns[0].x)


def test_month_labels_under_a_year_of_weeks_never_overlap():
    weeks = 48
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov"]
    ticks = [(round(i * 4.35), name) for i, name in enumerate(months)]
    layout = column_layout([5] * weeks, ticks=ticks, number=str)
    kept = layout.ticks
    assert [t.label for t in kept] == months[::2]  # every other month, evenly
    for before, after in itertools.pairwise(kept):
        assert after.at - before.at >= charts.text_width(before.label, charts.SMALL)
    # With room enough, every label stays.
    wide = column_layout([5] * 3, ticks=[(0, "Jan"), (2, "Feb")], number=str)
    assert [t.label for t in wide.ticks] == ["Jan", "Feb"]
