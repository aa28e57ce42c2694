"""Ratio tiles of dashboards: how they are read, and each bad declaration placed in its file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from trellis.metadata.loader import load_package, validate_package
from trellis.metadata.model import MeasureDef, RatioDef
from trellis.platform.dashboards.ratio import ratio_value
from trellis.rules.checker import RuleExpressionChecker

APP = 'name: demo\nversion: "1.0"\n'
DEAL = """\
fields:
  name: {type: string}
  amount: {type: money}
  cost: {type: money}
  stage: {type: enum, options: [open, won, lost]}
"""
GOOD = """\
tiles:
  - kind: ratio
    label: {en: Win rate, es: Tasa de éxito}
    percent: true
    numerator: {entity: deal, agg: count, where: 'stage == "won"'}
    denominator: {entity: deal, agg: count, where: 'stage != "open"'}
  - kind: ratio
    label: Return
    numerator: {entity: deal, agg: sum, field: amount}
    minus: {entity: deal, agg: sum, field: cost}
    denominator: {entity: deal, agg: sum, field: cost}
"""


def _package(root: Path, board: str) -> Path:
    root.mkdir(parents=True)
    (root / "app.yaml").write_text(APP, encoding="utf-8")
    (root / "entities").mkdir()
    (root / "entities" / "deal.yaml").write_text(DEAL, encoding="utf-8")
    (root / "dashboards").mkdir()
    (root / "dashboards" / "main.yaml").write_text(board, encoding="utf-8")
    return root


def _lines(root: Path) -> list[str]:
    checker = RuleExpressionChecker()
    return [str(d) for d in validate_package(root, checker=checker).diagnostics]


def test_a_ratio_tile_is_read_with_its_parts(tmp_path: Path) -> None:
    model = load_package(_package(tmp_path / "p", GOOD), checker=RuleExpressionChecker())
    win, ret = model.dashboards["main"].tiles
    assert win.kind == "ratio" and win.ratio is not None
    assert (win.entity, win.agg, win.is_chart) == ("deal", "count", False)
    assert win.ratio.percent is True and win.ratio.minus is None
    assert [name for name, _ in win.ratio.parts] == ["numerator", "denominator"]
    assert win.ratio.numerator.where == 'stage == "won"'
    span = win.ratio.numerator.where_source
    assert span is not None and (span.line, span.col) == (5, 51)
    assert ret.ratio is not None and ret.ratio.minus is not None
    assert [name for name, _ in ret.ratio.parts] == ["numerator", "minus", "denominator"]
    assert (ret.ratio.minus.agg, ret.ratio.minus.field, ret.ratio.percent) == ("sum", "cost", False)


def test_bad_ratio_parts_are_placed_with_their_codes(tmp_path: Path) -> None:
    board = """\
tiles:
  - kind: ratio
    label: A
    numerator: {entity: dael, agg: count}
    denominator: {entity: deal, agg: sum, field: amont}
  - kind: ratio
    label: B
    numerator: {entity: deal, agg: sum, field: stage}
    minus: {entity: deal, agg: count, field: amount}
    denominator: {entity: deal, agg: count, where: "stge == 1"}
  - kind: ratio
    label: C
    numerator: {entity: deal, agg: count}
"""
    lines = _lines(_package(tmp_path / "p", board))
    shown = [line.split(": error ") for line in lines]
    places = [(where.split("main.yaml:")[1], rest.split(":")[0]) for where, rest in shown]
    assert places == [
        ("4:25", "MD111"),
        ("5:50", "MD112"),
        ("8:48", "MD113"),
        ("9:46", "MD113"),
        ("10:53", "MD116"),
        ("11:5", "MD002"),
    ]
    assert "tile 1 numerator: unknown entity 'dael'" in lines[0]
    assert "(did you mean 'deal'?)" in lines[0]
    assert "tile 1 denominator: unknown field 'amont'" in lines[1]
    assert "(did you mean 'amount'?)" in lines[1]
    assert "tile 2 minus: 'count' counts records and takes no 'field'" in lines[3]
    assert "tile 2 denominator where:" in lines[4] and "did you mean 'stage'?" in lines[4]
    assert "tile 3: missing required key 'denominator'" in lines[5]


def test_ratio_keys_on_other_tiles_and_aggregate_keys_on_ratios_are_refused(
    tmp_path: Path,
) -> None:
    board = """\
tiles:
  - kind: ratio
    label: A
    where: 'stage == "won"'
    numerator: {entity: deal, agg: count}
    denominator: {entity: deal, agg: count}
  - {kind: kpi, label: B, entity: deal, agg: count, denominator: {entity: deal, agg: count}}
"""
    lines = _lines(_package(tmp_path / "p", board))
    assert [line.split("main.yaml:")[1].split(": error")[0] for line in lines] == ["4:12", "7:66"]
    assert all(" MD420: " in line for line in lines)
    assert "tile 1: a ratio takes 'where' in its parts" in lines[0]
    assert "tile 2: 'denominator' belongs to a ratio tile, not a kpi" in lines[1]


def _ratio(*, minus: bool = False, percent: bool = False) -> RatioDef:
    part = MeasureDef("deal", "count")
    return RatioDef(part, part, part if minus else None, percent)


def test_ratio_value_divides_and_scales() -> None:
    assert ratio_value(_ratio(), [Decimal(1), Decimal(4)]) == Decimal("0.25")
    assert ratio_value(_ratio(percent=True), [Decimal(1), Decimal(4)]) == Decimal(25)
    values = [Decimal(3000), Decimal(1000), Decimal(1000)]
    assert ratio_value(_ratio(minus=True, percent=True), values) == Decimal(200)


def test_ratio_value_of_an_empty_or_zero_denominator_is_none() -> None:
    assert ratio_value(_ratio(), [Decimal(1), Decimal(0)]) is None
    assert ratio_value(_ratio(), [Decimal(1), None]) is None
    assert ratio_value(_ratio(), [None, Decimal(2)]) == Decimal(0)
