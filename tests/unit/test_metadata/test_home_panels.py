"""``home:`` in app.yaml: declared panels are built; without it they derive from the app."""

from __future__ import annotations

from pathlib import Path

from trellis.metadata.loader import load_package, validate_package
from trellis.metadata.model.home import DEFAULT_LIMIT
from trellis.metadata.model.local_text import label_for
from trellis.seed.crm import PACKAGE_PATH
from trellis.ui.screens.home_view import default_panels

APP = """name: demo
version: "1.0"
home:
  - kind: notifications
    title: {en: Inbox, es: Bandeja}
    limit: 3
  - kind: pipeline
    entity: deal
  - kind: recent
"""
DEAL = """label: Deal
fields:
  name: {type: string}
  stage: {type: pipeline, pipeline: sales}
"""
SALES = """pipeline: sales
label: Sales
stages:
  - {name: open, label: Open, probability: 10}
  - {name: won, label: Won, probability: 100, won: true}
"""


def test_declared_panels_keep_order_titles_and_limits(tmp_path: Path) -> None:
    (tmp_path / "entities").mkdir()
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "app.yaml").write_text(APP, encoding="utf-8")
    (tmp_path / "entities" / "deal.yaml").write_text(DEAL, encoding="utf-8")
    (tmp_path / "pipelines" / "sales.yaml").write_text(SALES, encoding="utf-8")
    home = load_package(tmp_path).home
    assert home is not None
    assert [(p.kind, p.entity, p.limit) for p in home] == [
        ("notifications", None, 3),
        ("pipeline", "deal", DEFAULT_LIMIT),
        ("recent", None, DEFAULT_LIMIT),
    ]
    assert label_for(home[0].title, "es") == "Bandeja" and home[0].title == "Inbox"
    assert home[1].title is None


def test_an_app_without_home_gets_panels_from_what_it_declares() -> None:
    model = load_package(PACKAGE_PATH)
    assert model.home is None
    kinds = [(p.kind, p.entity) for p in default_panels(model)]
    assert kinds == [
        ("activities", "activity"),
        ("pipeline", "opportunity"),
        ("assigned", "ticket"),
        ("recent", None),
        ("notifications", None),
    ]


def test_a_bad_panel_shape_is_reported_with_its_position(tmp_path: Path) -> None:
    bad = 'name: demo\nversion: "1.0"\nhome:\n  - kind: taks\n  - kind: recent\n'
    bad += "    limit: 500\n    colour: red\n"
    (tmp_path / "app.yaml").write_text(bad, encoding="utf-8")
    lines = [str(d).split("app.yaml:")[1] for d in validate_package(tmp_path).diagnostics]
    assert lines == [
        "4:11: error MD007: 'home' item 1 'kind' is 'taks', not one of activities, pipeline, "
        "assigned, recent, notifications",
        "6:12: error MD008: 'home' item 2 'limit' must be at most 50, got 500",
        "7:5: error MD003: 'home' item 2: unknown key 'colour'",
    ]
