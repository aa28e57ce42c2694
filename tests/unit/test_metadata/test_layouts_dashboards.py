"""Layouts (``layouts:`` of an entity) and dashboards (``dashboards/*.yaml``) as metadata."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from trellis.metadata.loader import load_package, validate_package
from trellis.metadata.model import AppModel, KanbanLayout, ListLayout
from trellis.rules.checker import RuleExpressionChecker
from trellis.seed.crm import PACKAGE_PATH

from metadata_test_support import NameChecker

APP = 'name: demo\nversion: "1.0"\n'
DEAL = """\
fields:
  name: {type: string}
  amount: {type: money}
  stage: {type: enum, options: [open, won, lost]}
  close_date: {type: date}
"""


def _package(root: Path, files_: dict[str, str]) -> Path:
    (root / "app.yaml").parent.mkdir(parents=True, exist_ok=True)
    (root / "app.yaml").write_text(APP, encoding="utf-8")
    for relative, text in files_.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def _lines(root: Path) -> list[str]:
    return [str(d) for d in validate_package(root, checker=NameChecker()).diagnostics]


@pytest.fixture(scope="module")
def crm() -> AppModel:
    return load_package(PACKAGE_PATH, checker=RuleExpressionChecker())


def test_dashboard_meta_schema_is_valid_draft_2020_12() -> None:
    resource = files("trellis.metadata.loader") / "schemas" / "dashboard.schema.json"
    Draft202012Validator.check_schema(json.loads(resource.read_text("utf-8")))


def test_crm_opportunity_layouts(crm: AppModel) -> None:
    layouts = crm.entity("opportunity").layouts
    assert layouts is not None and layouts.list is not None and layouts.detail is not None
    assert layouts.list.columns[:4] == ("number", "name", "account", "stage")
    assert (layouts.list.sort, layouts.list.sort_fields) == ("-close_date", ("close_date",))
    assert layouts.list.filters == ("stage", "account", "owner_id", "tags")
    kanban = layouts.kanban
    assert kanban is not None
    assert (kanban.field, kanban.card, kanban.total) == (
        "stage",
        ("account", "amount", "close_date"),
        "amount",
    )
    tabs = [(s.label, s.tab) for s in layouts.detail.sections]
    assert tabs[0] == ("Deal", "Overview")
    assert tabs[-1] == ("Record", "Details")
    assert layouts.form is not None
    assert "owner_id" in layouts.form.sections[-1].fields
    assert kanban.source.path.endswith("entities/opportunity.yaml")


def test_crm_account_related_lists(crm: AppModel) -> None:
    detail = crm.entity("account").layouts.detail  # type: ignore[union-attr]
    assert detail is not None
    related = [(r.entity, r.field, r.label) for r in detail.related]
    assert related[:4] == [
        ("contact", "account", "Contacts"),
        ("opportunity", "account", "Opportunities"),
        ("ticket", "account", "Tickets"),
        ("activity", "account", "Activities"),
    ]
    assert [r[0] for r in related[4:]] == ["quote", "sales_order", "account", "note"]
    assert detail.related[1].columns == ("number", "name", "stage", "amount", "close_date")


def test_crm_dashboards(crm: AppModel) -> None:
    assert sorted(crm.dashboards) == ["forecast", "marketing", "sales", "support"]
    sales = crm.dashboards["sales"]
    assert sales.label == "Sales"
    kinds = [t.kind for t in sales.tiles]
    assert {"kpi", "bar", "line", "funnel", "pie"} <= set(kinds)
    line = next(t for t in sales.tiles if t.kind == "line")
    assert (line.group_by, line.bucket, line.agg, line.field) == (
        "close_date",
        "month",
        "sum",
        "amount",
    )
    assert line.where == "stage.won"
    assert line.where_source is not None and line.where_source.path.endswith("sales.yaml")
    kpi = sales.tiles[0]
    assert (kpi.is_chart, kpi.group_by, kpi.bucket) == (False, None, None)
    support = crm.dashboards["support"]
    pie = next(t for t in support.tiles if t.kind == "pie")
    assert (pie.entity, pie.group_by, pie.bucket) == ("ticket", "priority", None)


def test_an_entity_without_layouts_has_none(tmp_path: Path) -> None:
    model = load_package(_package(tmp_path, {"entities/deal.yaml": DEAL}))
    assert model.entity("deal").layouts is None
    assert dict(model.dashboards) == {}


def test_a_partial_layout_keeps_the_other_layouts_empty(tmp_path: Path) -> None:
    text = DEAL + "layouts:\n  list: {columns: [name, amount], sort: 'name, -amount'}\n"
    layouts = load_package(_package(tmp_path, {"entities/deal.yaml": text})).entity("deal").layouts
    assert layouts is not None
    assert layouts.list == ListLayout(("name", "amount"), "name, -amount", (), layouts.list.source)  # type: ignore[union-attr]
    assert layouts.list.sort_fields == ("name", "amount")  # type: ignore[union-attr]
    assert (layouts.detail, layouts.form, layouts.kanban) == (None, None, None)


def test_kanban_on_a_pipeline_field_is_accepted(tmp_path: Path) -> None:
    pipeline = (
        "stages:\n  - {name: open, probability: 10}\n  - {name: won, probability: 100, won: true}\n"
    )
    entity = (
        "fields:\n  amount: {type: decimal}\n  stage: {type: pipeline, pipeline: deal}\n"
        "layouts:\n  kanban: {field: stage, total: amount}\n"
    )
    root = _package(tmp_path, {"entities/deal.yaml": entity, "pipelines/deal.yaml": pipeline})
    kanban = load_package(root).entity("deal").layouts.kanban  # type: ignore[union-attr]
    assert kanban == KanbanLayout("stage", (), "amount", kanban.source)  # type: ignore[union-attr]


def test_layout_schema_problems_are_placed(tmp_path: Path) -> None:
    text = DEAL + (
        "layouts:\n"
        "  lst: {columns: [name]}\n"
        "  detail: {sections: [{label: Deal}]}\n"
        "  kanban: {card: [name]}\n"
        "  form: {sections: []}\n"
    )
    root = _package(tmp_path / "p", {"entities/deal.yaml": text})
    assert _lines(root) == [
        f"{root}/entities/deal.yaml:7:3: error MD003: 'layouts': unknown key 'lst' "
        "(did you mean 'list'?)",
        f"{root}/entities/deal.yaml:8:23: error MD002: 'layouts.detail.sections' item 1: "
        "missing required key 'fields'",
        f"{root}/entities/deal.yaml:9:3: error MD002: 'layouts.kanban': "
        "missing required key 'field'",
        f"{root}/entities/deal.yaml:10:20: error MD008: 'layouts.form.sections' must not be empty",
    ]


def test_a_bad_sort_is_refused_by_its_form(tmp_path: Path) -> None:
    text = DEAL + "layouts:\n  list: {sort: 'name desc'}\n"
    (line,) = _lines(_package(tmp_path / "p", {"entities/deal.yaml": text}))
    assert "error MD006: 'layouts.list.sort' is 'name desc'; expected field names" in line


def test_dashboard_schema_problems_are_placed(tmp_path: Path) -> None:
    board = (
        "tiles:\n"
        "  - {kind: donut, label: A, entity: deal, agg: count}\n"
        "  - {kind: bar, label: B, entity: deal, agg: count, group_by: 'close_date:hour'}\n"
        "  - {kind: kpi, entity: deal, agg: count, colour: red}\n"
    )
    root = _package(tmp_path / "p", {"entities/deal.yaml": DEAL, "dashboards/main.yaml": board})
    lines = _lines(root)
    assert [line.split(": error ")[1].split(":")[0] for line in lines] == [
        "MD007",
        "MD006",
        "MD002",
        "MD003",
    ]
    assert "tile 1: 'kind' is 'donut', not one of kpi, ratio, bar, line, funnel, pie" in lines[0]
    assert "(did you mean 'bar'?)" not in lines[0]
    assert "tile 2: 'group_by' is 'close_date:hour'; expected a field name" in lines[1]
    assert "tile 3: missing required key 'label'" in lines[2]
    assert "tile 3: unknown key 'colour'" in lines[3]


def test_a_dashboard_folder_item_that_is_not_yaml_is_a_warning(tmp_path: Path) -> None:
    root = _package(tmp_path / "p", {"entities/deal.yaml": DEAL, "dashboards/notes.txt": "hello\n"})
    result = validate_package(root)
    assert result.model is not None
    assert [(d.code, d.severity.value) for d in result.diagnostics] == [("MD031", "warning")]


def test_the_rule_checker_types_tile_conditions(tmp_path: Path) -> None:
    board = (
        "tiles:\n"
        "  - {kind: kpi, label: A, entity: deal, agg: count, where: 'amount + 1'}\n"
        "  - {kind: kpi, label: B, entity: deal, agg: count, where: 'stage == \"won\"'}\n"
    )
    root = _package(tmp_path / "p", {"entities/deal.yaml": DEAL, "dashboards/main.yaml": board})
    result = validate_package(root, checker=RuleExpressionChecker())
    (problem,) = result.diagnostics
    assert problem.code == "MD116"
    assert problem.message.startswith("dashboard 'main' tile 1 where: ")
    assert "[RL" in problem.message
    assert (problem.span.line, problem.span.col) == (2, 61)  # where 'amount + 1' starts


def test_seed_validates_with_the_rule_checker(crm: AppModel) -> None:
    assert crm.dashboards["sales"].tiles[0].where == "not stage.won and not stage.lost"
    result = validate_package(PACKAGE_PATH, checker=RuleExpressionChecker())
    assert [str(d) for d in result.diagnostics] == []
