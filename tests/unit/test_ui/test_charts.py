"""Chart geometry, value formats and calendar spans: pure functions behind the screens."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from trellis.metadata.loader import load_package
from trellis.metadata.model import AppModel, TileDef
from trellis.platform.dashboards import Group, TileData
from trellis.platform.i18n import Translator
from trellis.platform.records.errors import BadRequestError
from trellis.seed.crm import PACKAGE_PATH
from trellis.ui.screens.calendar_view import (
    build_days,
    calendar_source,
    parse_day,
    parse_view,
    span_of,
)
from trellis.ui.screens.charts import bar_chart, funnel_chart, line_chart, nice_ceiling, pie_chart
from trellis.ui.screens.dashboard_view import axis_text, format_value, tile_view, value_format


@pytest.fixture(scope="module")
def crm() -> AppModel:
    return load_package(PACKAGE_PATH)


def groups(*values: int) -> list[Group]:
    return [Group(f"k{i}", f"Group {i}", Decimal(v)) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1.0), (0.3, 0.5), (1, 1.0), (7, 10.0), (12, 20.0), (2300, 2500.0), (4100, 5000.0)],
)
def test_nice_ceiling(value: float, expected: float) -> None:
    assert nice_ceiling(value) == expected


def test_bars_scale_to_a_nice_maximum() -> None:
    chart = bar_chart(groups(5, 10, 0), ["5", "10", "0"])
    widths = [float(b.width) for b in chart.bars]
    assert widths[1] == 480 - 150 - 80  # 10 is the nice top: the full room
    assert widths[0] == widths[1] / 2
    assert widths[2] == 0
    assert [b.colour for b in chart.bars] == [0, 1, 2]
    assert chart.height == 3 * 30 + 8
    long = bar_chart([Group(1, "A very long account name indeed", Decimal(1))], ["1"])
    assert long.bars[0].label == "A very long account n…"
    assert long.bars[0].full_label == "A very long account name indeed"


def test_pie_slices_share_the_circle() -> None:
    chart = pie_chart(groups(1, 1, 2, 0), ["1", "1", "2", "0"])
    assert [s.percent for s in chart.slices] == ["25 %", "25 %", "50 %"]
    first = chart.slices[0].path
    assert first == "M110,110 L110,4 A106,106 0 0 1 216,110 Z"
    assert " 0 0 1 " in chart.slices[2].path  # half the circle is not the large arc
    whole = pie_chart(groups(3), ["3"])
    assert whole.slices[0].full
    assert pie_chart(groups(0, 0), ["0", "0"]).slices == ()


def test_line_points_run_left_to_right_and_up() -> None:
    chart = line_chart(groups(0, 5, 10), ["0", "5", "10"], ["0", "5", "10"])
    xs = [float(p.x) for p in chart.points]
    ys = [float(p.y) for p in chart.points]
    assert xs == sorted(xs) and xs[0] == 56 and xs[-1] == 480 - 16
    assert ys[0] == 220 - 40 and ys[2] == 16 and ys[1] == (ys[0] + ys[2]) / 2
    assert chart.path.startswith("M56,180 L")
    assert chart.area.endswith("Z")
    assert [t.text for t in chart.grid] == ["0", "5", "10"]
    single = line_chart(groups(4), ["4"], ["0", "2.5", "5"])
    assert float(single.points[0].x) == 56 + (480 - 56 - 16) / 2


def test_funnel_steps_narrow_with_their_value() -> None:
    chart = funnel_chart(groups(10, 5, 0), ["10", "5", "0"])
    widths = [float(s.width) for s in chart.steps]
    assert widths == [480, 240, 0]  # an empty step draws no band (issue 18: no hairline)
    assert [s.share for s in chart.steps] == ["100 %", "50 %", "0 %"]
    assert float(chart.steps[1].x) == (480 - 240) / 2
    # Labels that do not fit on their band are drawn in text colour, not white over a sliver.
    assert [s.inside for s in chart.steps] == [True, True, False]


def test_value_formats(crm: AppModel) -> None:
    money = TileDef(kind="kpi", label="A", entity="opportunity", agg="sum", field="amount")
    assert value_format(crm, money) == "decimal"
    assert format_value(Decimal("1234567.891"), "decimal") == "1,234,567.89"
    count = TileDef(kind="kpi", label="A", entity="opportunity", agg="count")
    assert value_format(crm, count) == "count"
    assert format_value(Decimal("1200"), "count") == "1,200"
    employees = TileDef(kind="kpi", label="A", entity="account", agg="max", field="employees")
    assert value_format(crm, employees) == "integer"
    mean = TileDef(kind="kpi", label="A", entity="account", agg="avg", field="employees")
    assert value_format(crm, mean) == "decimal"
    chance = TileDef(kind="kpi", label="A", entity="opportunity", agg="avg", field="probability")
    assert value_format(crm, chance) == "percent"
    assert format_value(Decimal("33.333"), "percent") == "33.33 %"
    assert format_value(None, "decimal") == "—"
    assert [axis_text(Decimal(v), "count") for v in ("0", "2.5", "5000")] == ["0", "2.5", "5,000"]
    assert axis_text(Decimal("50"), "percent") == "50 %"


def test_tile_views(crm: AppModel) -> None:
    bars = TileDef(
        kind="bar", label="By stage", entity="opportunity", agg="count", group_by="stage"
    )
    view = tile_view(crm, TileData(bars, groups=tuple(groups(2, 1))), 3)
    assert view.id == "tile-3"
    assert [(r.label, r.value) for r in view.rows] == [("Group 0", "2"), ("Group 1", "1")]
    assert view.summary == "By stage, bar chart. Group 0: 2, Group 1: 1."
    assert view.column_label == "Stage"
    assert view.chart is not None
    refused = tile_view(crm, TileData(bars, unavailable="Your role cannot see tickets."), 0)
    assert refused.chart is None and refused.unavailable == "Your role cannot see tickets."
    line = TileDef(
        kind="line", label="W", entity="opportunity", agg="sum", field="amount",
        group_by="close_date", bucket="month",
    )  # fmt: skip
    assert tile_view(crm, TileData(line), 1).column_label == "Close date (month)"
    kpi = TileDef(kind="kpi", label="Open", entity="opportunity", agg="sum", field="amount")
    shown = tile_view(crm, TileData(kpi, value=Decimal("1900")), 0)
    # Money shows its currency (the currency field defaults to EUR), issue 18.
    assert (shown.value_text, shown.summary) == ("€1,900.00", "Open: €1,900.00")


@pytest.mark.parametrize(
    ("bucket", "english", "spanish"),
    [
        ("month", "Oct 2026", "oct 2026"),
        ("quarter", "Q4 2026", "T4 2026"),
        ("week", "Week of 26 Oct 2026", "Semana del 26 oct 2026"),
    ],
)
def test_time_buckets_are_labelled_in_the_readers_language(
    crm: AppModel, bucket: str, english: str, spanish: str
) -> None:
    tile = TileDef(
        kind="bar", label="Won", entity="opportunity", agg="count",
        group_by="close_date", bucket=bucket,
    )  # fmt: skip
    data = TileData(tile, groups=(Group("2026-10-26", english, Decimal(3)),))
    assert [r.label for r in tile_view(crm, data, 0).rows] == [english]
    assert [r.label for r in tile_view(crm, data, 0, Translator("es")).rows] == [spanish]


def test_calendar_spans() -> None:
    month = span_of("month", date(2026, 11, 10))
    assert (month.first, month.end) == (date(2026, 10, 26), date(2026, 12, 7))
    assert (month.previous, month.next, month.title) == (
        date(2026, 10, 1),
        date(2026, 12, 1),
        "November 2026",
    )
    assert len(month.days) == 42
    february = span_of("month", date(2027, 2, 14))  # 1 Feb 2027 is a Monday
    assert (february.first, february.end) == (date(2027, 2, 1), date(2027, 3, 1))
    week = span_of("week", date(2026, 11, 29))  # a Sunday
    assert (week.first, week.end, week.title) == (
        date(2026, 11, 23),
        date(2026, 11, 30),
        "Week of 23 Nov 2026",
    )
    assert span_of("month", date(2026, 12, 31)).next == date(2027, 1, 1)


def test_calendar_parameters() -> None:
    today = date(2026, 11, 25)
    assert parse_view(None) == "month" and parse_view("week") == "week"
    assert parse_day(None, today) == today
    assert parse_day("2026-02-28", today) == date(2026, 2, 28)
    with pytest.raises(BadRequestError, match="view must be month or week, not 'day'"):
        parse_view("day")
    with pytest.raises(BadRequestError, match="date must be a day like 2026-11-25"):
        parse_day("2026-02-30", today)


def test_calendar_source_and_days(crm: AppModel, tmp_path: Path) -> None:
    source = calendar_source(crm)
    assert source is not None
    assert (source.entity.name, source.field, source.is_datetime) == ("activity", "due_at", True)
    span = span_of("week", date(2026, 11, 25))
    records = [
        {"id": 2, "subject": "Late", "due_at": "2026-11-25T16:00:00Z", "kind": "call"},
        {"id": 1, "subject": "", "due_at": "2026-11-23T08:05:00Z", "done": True},
        {"id": 3, "subject": "Outside", "due_at": "2026-12-25T08:05:00Z"},
    ]
    t = Translator()
    days = build_days(
        records, source, span, tenant="acme", today=date(2026, 11, 25), t=t, model=crm
    )
    assert [len(d.items) for d in days] == [1, 0, 1, 0, 0, 0, 0]
    first = days[0].items[0]
    assert (first.title, first.time, first.done, first.href) == (
        "#1",
        "08:05",
        True,
        "/t/acme/e/activity/1",
    )
    assert days[2].today and days[2].items[0].kind == "Call"
    assert days[2].label == "Wednesday 25 November 2026"
    (tmp_path / "app.yaml").write_text('name: x\nversion: "1.0"\n')
    (tmp_path / "entities").mkdir()
    (tmp_path / "entities" / "note.yaml").write_text("fields:\n  text: {type: string}\n")
    assert calendar_source(load_package(tmp_path)) is None
    (tmp_path / "entities" / "task.yaml").write_text(
        "fields:\n  starts: {type: date}\n  due_on: {type: date}\n"
    )
    found = calendar_source(load_package(tmp_path))
    assert found is not None and (found.entity.name, found.field) == ("task", "due_on")


def test_calendar_prefers_the_entity_declaring_activity_fields(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text('name: x\nversion: "1.0"\n')
    (tmp_path / "entities").mkdir()
    (tmp_path / "entities" / "invoice.yaml").write_text("fields:\n  due_on: {type: date}\n")
    (tmp_path / "entities" / "visit.yaml").write_text(
        "fields:\n  starts: {type: datetime}\n  done: {type: boolean}\n"
        "  what: {type: enum, options: [demo, repair]}\n"
        "activity_fields: {date: starts, done: done, kind: what}\n"
    )
    source = calendar_source(load_package(tmp_path))
    assert source is not None
    assert (source.entity.name, source.field, source.kind, source.done) == (
        "visit",
        "starts",
        "what",
        "done",
    )
    span = span_of("week", date(2026, 11, 25))
    records = [{"id": 7, "starts": "2026-11-24T09:30:00Z", "done": True, "what": "repair"}]
    model = load_package(tmp_path)
    days = build_days(
        records, source, span, tenant="acme", today=date(2026, 11, 25), t=Translator(), model=model
    )
    item = days[1].items[0]
    assert (item.kind, item.done, item.href) == ("Repair", True, "/t/acme/e/visit/7")
