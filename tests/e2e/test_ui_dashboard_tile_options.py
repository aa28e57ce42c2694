"""The tile editor's having, compare and series_label, on SQLite and PostgreSQL (issue 16)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.drafts import DraftStore, read_file
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "depot"
ITEM = """
    entity: item
    label: Item
    title: name
    fields:
      name: {type: string, required: true}
      made: {type: date}
"""
MOVE = """
    entity: stock_move
    label: Stock move
    title: note
    fields:
      note: {type: string}
      item: {type: reference, to: item}
      moved: {type: date}
      qty: {type: integer}
"""
BOARD = """
    dashboard: main
    label: Main
    tiles:
      - {kind: kpi, label: Items, entity: item, agg: count}
      # Items made per month.
      - kind: line
        label: Made
        entity: item
        agg: count
        group_by: "made:month"
"""
BASE = f"/t/{TENANT}/admin/dashboards"
BOARD_PATH = "dashboards/main.yaml"


@pytest.fixture
def admin(runtime: Runtime, tmp_path: Any) -> Iterator[TestClient[Any]]:
    """A tenant with items, stock moves and a dashboard; the admin's browser."""
    package = tmp_path / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "dashboards").mkdir()
    (package / "app.yaml").write_text("name: depot\nversion: 1.0.0\nlabel: Depot\n")
    (package / "entities" / "item.yaml").write_text(textwrap.dedent(ITEM).lstrip())
    (package / "entities" / "stock_move.yaml").write_text(textwrap.dedent(MOVE).lstrip())
    (package / "dashboards" / "main.yaml").write_text(textwrap.dedent(BOARD).lstrip())
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, package)
    add_user(runtime, TENANT, "admin@depot.test", ["admin"])
    with TestClient(app=create_web_app(runtime)) as client:
        yield signed_in_client(client, TENANT, "admin@depot.test")


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _board(runtime: Runtime) -> str:
    return read_file(runtime, TENANT, BOARD_PATH)[0]


def _line(runtime: Runtime, **extra: str) -> dict[str, str]:
    data = {
        "draft_version": str(_revision(runtime)),
        "tile": "2",
        "kind": "line",
        "label_en": "Made",
        "entity": "item",
        "agg": "count",
        "group_by": "made:month",
        "having_1_entity": "stock_move",
        "having_1_field": "item",
        "having_1_where": "qty > 0",
        "series_label_en": "Items made",
        "series_label_es": "Artículos fabricados",
        "compare_label_en": "Moves",
        "compare_label_es": "Movimientos",
        "compare_entity": "stock_move",
        "compare_agg": "sum",
        "compare_field": "qty",
        "compare_group_by": "moved:month",
        "compare_where": "qty > 0",
    }
    return {**data, **extra}


def test_having_compare_and_series_label_are_saved_kept_and_published(
    runtime: Runtime, admin: TestClient[Any]
) -> None:
    page = admin.get(f"{BASE}/main/tiles/2")
    assert page.status_code == 200 and screen_problems(page.text) == []
    assert 'name="having_1_where"' in page.text and 'name="compare_group_by"' in page.text
    assert 'name="having_2_entity"' not in page.text  # one empty row to fill
    spanish = admin.get(f"{BASE}/main/tiles/2", headers={"accept-language": "es"}).text
    assert "Gráfico de líneas: comparar con una segunda serie" in spanish

    saved = post_form(admin, f"{BASE}/main/tiles", _line(runtime))
    assert saved.status_code == 200 and "Tile saved in the draft." in saved.text
    text = _board(runtime)
    assert "# Items made per month." in text  # comments kept
    assert "having: [{entity: stock_move, field: item, where: qty > 0}]" in text
    assert "series_label: {en: Items made, es: Artículos fabricados}" in text
    assert (
        "compare: {label: {en: Moves, es: Movimientos}, entity: stock_move, agg: sum, "
        "field: qty, group_by: 'moved:month', where: qty > 0}"
    ) in text

    form = admin.get(f"{BASE}/main/tiles/2").text  # the form reads them back
    assert 'name="having_1_where" rows="2" class="code" spellcheck="false">qty &gt; 0<' in form
    assert 'name="having_2_entity"' in form  # and offers a second row
    assert 'value="Items made"' in form and 'value="moved:month"' in form

    cleared = _line(runtime, having_1_entity="", having_1_field="", having_1_where="")
    cleared.update(series_label_en="", series_label_es="")
    assert post_form(admin, f"{BASE}/main/tiles", cleared).status_code == 200
    text = _board(runtime)
    assert "having" not in text and "series_label" not in text and "compare:" in text

    again = post_form(admin, f"{BASE}/main/tiles", _line(runtime))
    assert again.status_code == 200
    done = post_form(admin, f"/t/{TENANT}/admin/publish", {"comment": "Compare"})
    assert done.status_code == 200 and "Version 2 published." in done.text
    tile = runtime.app(TENANT).model.dashboards["main"].tiles[1]
    assert tile.compare is not None and tile.compare.entity == "stock_move"
    assert tile.series_label == "Items made" and tile.having[0].where == "qty > 0"


def test_bad_having_and_compare_inputs_answer_422_naming_the_input_and_save_nothing(
    runtime: Runtime, admin: TestClient[Any]
) -> None:
    before, revision = _board(runtime), _revision(runtime)
    bad = post_form(admin, f"{BASE}/main/tiles", _line(runtime, having_1_where="qtty > 0"))
    assert bad.status_code == 422
    assert 'id="error-having_1_where"' in bad.text
    assert "error MD116: dashboard &#39;main&#39; tile 2 having 1 where:" in bad.text
    assert "qtty" in bad.text and "[RL" in bad.text  # the rule language's own error
    assert '<mark class="rule-error">qtty</mark>' in bad.text  # underlined in the preview
    broken = post_form(admin, f"{BASE}/main/tiles", _line(runtime, having_1_where="qty >"))
    assert broken.status_code == 422 and 'id="error-having_1_where"' in broken.text

    period = post_form(
        admin, f"{BASE}/main/tiles", _line(runtime, compare_group_by="moved:fortnight")
    )
    assert period.status_code == 422
    assert 'id="error-compare_group_by"' in period.text
    assert "&#39;fortnight&#39; is not a period" in period.text
    assert 'value="moved:fortnight"' in period.text  # what was typed stays
    bare = post_form(admin, f"{BASE}/main/tiles", _line(runtime, compare_group_by="moved"))
    assert bare.status_code == 422 and 'id="error-compare_group_by"' in bare.text
    other = post_form(admin, f"{BASE}/main/tiles", _line(runtime, compare_group_by="moved:week"))
    assert other.status_code == 422 and "MD115" in other.text  # not the tile's own period
    half = post_form(admin, f"{BASE}/main/tiles", _line(runtime, having_1_entity=""))
    assert half.status_code == 422 and 'id="error-having_1_entity"' in half.text
    unnamed = post_form(admin, f"{BASE}/main/tiles", _line(runtime, compare_label_en=""))
    assert unnamed.status_code == 422 and 'id="error-compare_label_en"' in unnamed.text

    preview = post_form(admin, f"{BASE}/main/preview", _line(runtime, compare_group_by="moved:x"))
    assert preview.status_code == 200 and 'data-input="compare_group_by"' in preview.text
    typo = post_form(admin, f"{BASE}/main/preview", _line(runtime, having_1_where="qtty > 0"))
    assert 'data-input="having_1_where"' in typo.text and "tile 2 having 1 where:" in typo.text
    assert _board(runtime) == before and _revision(runtime) == revision
