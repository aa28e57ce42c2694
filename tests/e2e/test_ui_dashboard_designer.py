"""The dashboards designer and enum option labels, on SQLite and PostgreSQL (issue 16)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.drafts import DraftStore, read_file
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import create, screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    entity: item
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true, label: {en: Name, es: Nombre}}
      quantity: {type: integer, label: {en: Quantity, es: Cantidad}}
      status:
        # Where an item stands.
        type: enum
        label: {en: Status, es: Estado}
        options: [new, done]
        option_labels: {new: {en: New, es: Nuevo}, done: {en: Done, es: Hecho}}
"""
BOARD = """
    dashboard: main
    label: {en: Main, es: Principal}
    tiles:
      # Everything we hold.
      - kind: kpi
        label: {en: Items, es: Artículos}
        entity: item
        agg: count
      - {kind: bar, label: {en: By status, es: Por estado}, entity: item, agg: count,
         group_by: status}
"""
BASE = f"/t/{TENANT}/admin/dashboards"
BOARD_PATH = "dashboards/main.yaml"


@pytest.fixture
def shop(runtime: Runtime, tmp_path: Any) -> Runtime:
    """A tenant with items (quantities 5, 7 and 100) and a dashboard of two tiles."""
    package = tmp_path / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "dashboards").mkdir()
    (package / "app.yaml").write_text("name: shop\nversion: 1.0.0\nlabel: Shop\n")
    (package / "entities" / "item.yaml").write_text(textwrap.dedent(ITEM).lstrip())
    (package / "dashboards" / "main.yaml").write_text(textwrap.dedent(BOARD).lstrip())
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, package)
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    add_user(runtime, TENANT, "sales@shop.test", ["sales"])
    for name, quantity, status in (("A", 5, "new"), ("B", 7, "done"), ("C", 100, "done")):
        data = {"name": name, "quantity": quantity, "status": status}
        create(runtime, TENANT, "admin@shop.test", "item", data)
    return runtime


@pytest.fixture
def admin(shop: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser, signed in."""
    with TestClient(app=create_web_app(shop)) as client:
        yield signed_in_client(client, TENANT, "admin@shop.test")


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _draft_files(runtime: Runtime) -> dict[str, Any]:
    return dict(DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).files)


def _board(runtime: Runtime) -> str:
    return read_file(runtime, TENANT, BOARD_PATH)[0]


def _tile(runtime: Runtime, **extra: str) -> dict[str, str]:
    data = {
        "draft_version": str(_revision(runtime)),
        "tile": "",
        "kind": "kpi",
        "label_en": "Big quantities",
        "label_es": "Cantidades grandes",
        "entity": "item",
        "agg": "sum",
        "field": "quantity",
        "where": "quantity > 6",
    }
    return {**data, **extra}


def _table(runtime: Runtime) -> sa.Table:
    return runtime.app(TENANT).entities["item"].table


def _sql_sum(runtime: Runtime) -> int:
    """The figure computed in plain SQL, without the dashboard code."""
    t = _table(runtime)
    query = sa.select(sa.func.sum(t.c.quantity)).where(t.c.quantity > 6, t.c.deleted_at.is_(None))
    with runtime.engines.tenant_connection(TENANT) as conn:
        return int(conn.execute(query).scalar_one())


def test_add_a_tile_preview_publish_and_see_it_on_the_dashboard(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    listing = admin.get(BASE)
    assert listing.status_code == 200
    assert 'href="/t/shop/admin/dashboards/main"' in listing.text and "Main" in listing.text
    assert screen_problems(listing.text) == []
    board = admin.get(f"{BASE}/main")
    assert board.status_code == 200 and 'id="tile-2"' in board.text
    assert screen_problems(board.text) == []
    spanish = admin.get(f"{BASE}/main", headers={"accept-language": "es"}).text
    assert "Añadir un mosaico" in spanish and 'aria-label="Subir Por estado"' in spanish
    assert 'aria-label="Bajar Artículos"' in spanish
    editor = admin.get(f"{BASE}/main/tiles/new")
    assert (
        editor.status_code == 200
        and 'hx-post="/t/shop/admin/dashboards/main/preview"' in editor.text
    )
    assert screen_problems(editor.text) == []
    # The page leaves the preview to a request made once it is shown (htmx "load").
    existing = admin.get(f"{BASE}/main/tiles/1").text
    assert 'hx-trigger="load, input from:#tile-form' in existing
    assert 'id="preview-loading"' in existing and 'id="preview-value"' not in existing

    preview = post_form(admin, f"{BASE}/main/preview", _tile(shop))
    assert preview.status_code == 200
    expected = _sql_sum(shop)
    assert expected == 107
    found = re.search(r'<p class="kpi-value" id="preview-value">([^<]*)</p>', preview.text)
    assert found is not None and found.group(1) == "107"
    assert _board(shop) == textwrap.dedent(BOARD).lstrip()  # a preview saves nothing

    saved = post_form(admin, f"{BASE}/main/tiles", _tile(shop))
    assert saved.status_code == 200 and "Tile saved in the draft." in saved.text
    text = _board(shop)
    assert "# Everything we hold." in text  # comments kept
    assert text.rstrip().endswith(
        "- {kind: kpi, label: {en: Big quantities, es: Cantidades grandes}, entity: item, "
        "agg: sum, field: quantity, where: quantity > 6}"
    )
    done = post_form(admin, f"/t/{TENANT}/admin/publish", {"comment": "New tile"})
    assert done.status_code == 200 and "Version 2 published." in done.text
    page = admin.get(f"/t/{TENANT}/dashboards/main").text
    assert re.search(
        r'<h2 class="kpi-label">Big quantities</h2>\s*<p class="kpi-value">107</p>', page
    )
    spanish = admin.get(f"/t/{TENANT}/dashboards/main", headers={"accept-language": "es"}).text
    assert "Cantidades grandes" in spanish


def test_edit_move_and_remove_tiles_keep_the_comments(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    form = admin.get(f"{BASE}/main/tiles/1").text
    assert 'value="Items"' in form and 'value="Artículos"' in form
    edit = _tile(shop, tile="1", kind="kpi", label_en="Items", label_es="Artículos", agg="count")
    edit.update(field="", where='status == "done"')
    assert post_form(admin, f"{BASE}/main/tiles", edit).status_code == 200
    text = _board(shop)
    assert "  # Everything we hold.\n  - kind: kpi\n" in text
    assert '    where: status == "done"' in text or "where: 'status == \"done\"'" in text
    moved = post_form(
        admin, f"{BASE}/main", {"draft_version": str(_revision(shop)), "tile": "1", "op": "down"}
    )
    assert moved.status_code == 200
    text = _board(shop)
    assert text.index("By status") < text.index("# Everything we hold.") < text.index("Items")
    removed = post_form(
        admin, f"{BASE}/main", {"draft_version": str(_revision(shop)), "tile": "2", "op": "remove"}
    )
    assert removed.status_code == 200
    text = _board(shop)
    assert "Items" not in text and "# Everything" not in text and "By status" in text
    last = post_form(
        admin, f"{BASE}/main", {"draft_version": str(_revision(shop)), "tile": "1", "op": "remove"}
    )
    assert last.status_code == 422 and "at least one tile" in last.text


def test_bad_tiles_are_refused_with_positions_and_the_draft_is_untouched(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    before = _board(shop)
    revision = _revision(shop)
    unknown = post_form(admin, f"{BASE}/main/tiles", _tile(shop, field="quantiti"))
    assert unknown.status_code == 422
    assert re.search(
        r"dashboards/main\.yaml:\d+:\d+: error MD112: tile 3: unknown field", unknown.text
    )
    assert 'id="error-field"' in unknown.text and "quantity" in unknown.text
    bad = post_form(admin, f"{BASE}/main/tiles", _tile(shop, where="quantity > 6 and qty == 1"))
    assert bad.status_code == 422
    assert "MD116" in bad.text and 'id="error-where"' in bad.text
    assert '<mark class="rule-error">qty</mark>' in bad.text
    assert "Line 1, column 18" in bad.text
    typo = post_form(admin, f"{BASE}/main/preview", _tile(shop, field="quantiti"))
    assert re.search(
        r"dashboards/main\.yaml:\d+:\d+: error MD112: tile 3: unknown field", typo.text
    )
    assert 'data-input="field"' in typo.text and 'id="preview-value"' not in typo.text
    preview = post_form(admin, f"{BASE}/main/preview", _tile(shop, where="quantity >"))
    assert preview.status_code == 200 and "rule-error" in preview.text
    assert 'id="preview-value"' not in preview.text
    assert _board(shop) == before and _revision(shop) == revision

    other = {"draft_version": str(revision), "tile": "1", "op": "down"}
    assert post_form(admin, f"{BASE}/main", other).status_code == 200  # another admin's save
    moved = _board(shop)
    stale = post_form(admin, f"{BASE}/main/tiles", _tile(shop, draft_version=str(revision)))
    assert stale.status_code == 409 and 'id="stale"' in stale.text
    assert 'value="Big quantities"' in stale.text  # what was typed stays
    assert _board(shop) == moved


def test_a_non_admin_gets_403_everywhere(shop: Runtime) -> None:
    with TestClient(app=create_web_app(shop)) as client:
        signed_in_client(client, TENANT, "sales@shop.test")
        for url in (BASE, f"{BASE}/main", f"{BASE}/main/tiles/new", f"{BASE}/main/tiles/1"):
            assert client.get(url).status_code == 403, url
        for url in (f"{BASE}/main", f"{BASE}/main/tiles", f"{BASE}/main/preview"):
            assert post_form(client, url, _tile(shop, op="up")).status_code == 403, url
    assert _board(shop) == textwrap.dedent(BOARD).lstrip()


def test_enum_option_labels_edited_in_spanish_reach_the_list(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    page = admin.get(f"/t/{TENANT}/admin/entities/item/fields/status")
    assert page.status_code == 200
    assert 'name="optlabel_es__done" value="Hecho"' in page.text
    assert screen_problems(page.text) == []
    data = {
        "draft_version": str(_revision(shop)),
        "original": "status",
        "type": "enum",
        "opt_label_en": "Status",
        "opt_label_es": "Estado",
        "opt_options": "new\ndone",
        "option_rows": "1",
        "optlabel_en__new": "New",
        "optlabel_es__new": "Nuevo",
        "optlabel_en__done": "Done",
        "optlabel_es__done": "Terminado",
        "optcolour__done": "green",
    }
    saved = post_form(admin, f"/t/{TENANT}/admin/entities/item/fields/status", data)
    assert saved.status_code == 200, saved.text
    text = read_file(shop, TENANT, "entities/item.yaml")[0]
    assert "options: [new, done]" in text and "Terminado" in text and "done: green" in text
    assert "# Where an item stands." in text  # comments kept
    done = post_form(admin, f"/t/{TENANT}/admin/publish", {"comment": "Labels"})
    assert "Version 2 published." in done.text
    add_user(shop, TENANT, "ana@shop.test", ["admin"])
    with TestClient(app=create_web_app(shop)) as client:
        signed_in_client(client, TENANT, "ana@shop.test")
        listing = client.get(f"/t/{TENANT}/e/item", headers={"accept-language": "es"}).text
    assert "Terminado" in listing and "Hecho" not in listing
    with shop.engines.tenant_connection(TENANT) as conn:
        t = _table(shop)
        stored = conn.execute(sa.select(t.c.status).order_by(t.c.name)).scalars().all()
    assert stored == ["new", "done", "done"]


def _new(runtime: Runtime, **extra: str) -> dict[str, str]:
    data = {
        "draft_version": str(_revision(runtime)),
        "name": "stock",
        "label_en": "Stock",
        "label_es": "Existencias",
        "description_en": "What we hold",
        "description_es": "",
        "entity": "item",
    }
    return {**data, **extra}


def test_create_a_dashboard_publish_and_see_it(shop: Runtime, admin: TestClient[Any]) -> None:
    listing = admin.get(BASE)
    assert 'id="new-dashboard-form"' in listing.text and screen_problems(listing.text) == []
    assert "Nuevo panel" in admin.get(BASE, headers={"accept-language": "es"}).text
    made = post_form(admin, BASE, _new(shop))
    assert made.status_code == 200 and "Dashboard stock added to the draft." in made.text
    text = read_file(shop, TENANT, "dashboards/stock.yaml")[0]
    assert text == (
        "dashboard: stock\nlabel: {en: Stock, es: Existencias}\ndescription: What we hold\n"
        "tiles:\n  - {kind: kpi, label: {en: Item, es: Artículo}, entity: item, agg: count}\n"
    )
    done = post_form(admin, f"/t/{TENANT}/admin/publish", {"comment": "New dashboard"})
    assert "Version 2 published." in done.text
    page = admin.get(f"/t/{TENANT}/dashboards/stock")
    assert page.status_code == 200 and "Stock" in page.text
    assert re.search(r'<h2 class="kpi-label">Item</h2>\s*<p class="kpi-value">3</p>', page.text)
    spanish = admin.get(f"/t/{TENANT}/dashboards/stock", headers={"accept-language": "es"})
    assert "Existencias" in spanish.text and "Artículo" in spanish.text


def test_edit_label_and_description_keeps_the_tiles_and_comments(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    form = admin.get(f"{BASE}/main/details")
    assert form.status_code == 200 and screen_problems(form.text) == []
    assert 'value="Main"' in form.text and 'value="Principal"' in form.text
    data = {"draft_version": str(_revision(shop)), "label_en": "Overview", "label_es": "Resumen"}
    data.update(description_en="All items", description_es="Todos los artículos")
    saved = post_form(admin, f"{BASE}/main/details", data)
    assert saved.status_code == 200 and "Dashboard saved in the draft." in saved.text
    text = _board(shop)
    old = textwrap.dedent(BOARD).lstrip()
    assert text.startswith("dashboard: main\nlabel: {en: Overview, es: Resumen}\n")
    assert "description: {en: All items, es: Todos los artículos}" in text
    assert text[text.index("tiles:") :] == old[old.index("tiles:") :]  # tiles, comments kept
    data.update(draft_version=str(_revision(shop)), description_en="", description_es="")
    assert post_form(admin, f"{BASE}/main/details", data).status_code == 200
    assert "description" not in _board(shop)
    done = post_form(admin, f"/t/{TENANT}/admin/publish", {"comment": "Renamed"})
    assert "Version 2 published." in done.text
    spanish = admin.get(f"/t/{TENANT}/dashboards/main", headers={"accept-language": "es"})
    assert "Resumen" in spanish.text


def test_bad_new_dashboards_and_details_are_refused_and_nothing_changes(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    before, revision = _board(shop), _revision(shop)
    taken = post_form(admin, BASE, _new(shop, name="main"))
    assert taken.status_code == 422 and 'id="new-error-name"' in taken.text
    assert "already has a dashboard named main" in taken.text and 'value="Stock"' in taken.text
    bad = post_form(admin, BASE, _new(shop, name="Big-Board"))
    assert bad.status_code == 422 and "is not a valid dashboard name" in bad.text
    empty = post_form(admin, BASE, _new(shop, name="", label_en="", entity=""))
    assert empty.status_code == 422 and 'id="new-error-entity"' in empty.text
    unknown = post_form(admin, BASE, _new(shop, entity="nothing"))
    assert unknown.status_code == 422 and 'id="draft-errors"' in unknown.text
    assert re.search(r"dashboards/stock\.yaml:\d+:\d+: error MD\d+: ", unknown.text)
    nolabel = {"draft_version": str(revision), "label_en": "", "label_es": "Principal"}
    refused = post_form(admin, f"{BASE}/main/details", nolabel)
    assert refused.status_code == 422 and 'id="error-label"' in refused.text
    assert admin.get(f"{BASE}/nothing/details").status_code == 404
    assert _board(shop) == before and _revision(shop) == revision
    assert "dashboards/stock.yaml" not in _draft_files(shop)

    other = {"draft_version": str(revision), "tile": "1", "op": "down"}
    assert post_form(admin, f"{BASE}/main", other).status_code == 200  # another admin's save
    moved = _board(shop)
    stale = post_form(admin, BASE, _new(shop, draft_version=str(revision)))
    assert stale.status_code == 409 and 'id="stale"' in stale.text and 'value="Stock"' in stale.text
    details = {"draft_version": str(revision), "label_en": "Overview"}
    late = post_form(admin, f"{BASE}/main/details", details)
    assert late.status_code == 409 and 'id="stale"' in late.text and 'value="Overview"' in late.text
    assert _board(shop) == moved
    assert "dashboards/stock.yaml" not in _draft_files(shop)

    with TestClient(app=create_web_app(shop)) as client:
        signed_in_client(client, TENANT, "sales@shop.test")
        assert client.get(f"{BASE}/main/details").status_code == 403
        assert post_form(client, BASE, _new(shop)).status_code == 403
        assert post_form(client, f"{BASE}/main/details", details).status_code == 403
    assert _board(shop) == moved
