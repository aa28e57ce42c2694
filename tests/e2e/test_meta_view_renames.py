"""Saved views follow a field rename: columns, builder rows, sort and filter (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from trellis.platform.drafts import Rename, publish_draft, rename_in_draft
from trellis.platform.drafts.view_renames import rewrite_query
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.views.store import list_views, save_view

from helpers import PackageWriter

TENANT = "views"
ITEM = """
    label: Item
    title: name
    fields:
      name: {type: string}
      price: {type: decimal, scale: 2}
"""
ORDER = """
    label: Order
    fields:
      label: {type: string}
      item: {type: reference, to: item}
"""
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _save(runtime: Runtime, entity: str, name: str, query: list[tuple[str, str]]) -> None:
    app = runtime.app(TENANT)
    with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
        save_view(
            conn,
            app,
            entity=entity,
            user_id=1,
            name=name,
            query=urlencode(query),
            shared=True,
            now=NOW,
        )


def _views(runtime: Runtime, entity: str) -> dict[str, list[tuple[str, str]]]:
    app = runtime.app(TENANT)
    with runtime.engines.tenant_connection(TENANT) as conn:
        return {v.name: parse_qsl(v.query) for v in list_views(conn, app, entity, 1)}


def test_a_published_field_rename_rewrites_the_saved_views_that_name_it(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM, "order": ORDER}))
    cheap = [
        ("filter", 'price < 10 and name != "price"'),
        ("sort", "-price,name"),
        ("f", "price"),
        ("op", "lt"),
        ("v", "5"),
        ("col", "name"),
        ("col", "price"),
    ]
    _save(runtime, "item", "Cheap", cheap)
    _save(runtime, "item", "Names", [("col", "name"), ("sort", "name")])
    _save(runtime, "order", "By price", [("sort", "item.price"), ("col", "item.price")])
    broken = urlencode([("filter", "price <"), ("col", "price")])
    model = runtime.app(TENANT).model
    assert parse_qsl(
        rewrite_query(model, "item", broken, Rename("field", "item", "price", "c"))
    ) == [
        ("filter", "price <"),  # a filter that does not parse is left as saved
        ("col", "c"),
    ]

    rename_in_draft(
        runtime, TENANT, Rename("field", "item", "price", "unit_cost"), expected=None, actor="a"
    )
    planned = publish_draft(runtime, TENANT, actor="admin@views.test", comment="", confirm=False)
    assert planned["unchanged"] is False

    items = _views(runtime, "item")
    assert items["Cheap"] == [
        ("filter", 'unit_cost < 10 and name != "price"'),  # the string stays
        ("sort", "-unit_cost,name"),
        ("f", "unit_cost"),
        ("op", "lt"),
        ("v", "5"),
        ("col", "name"),
        ("col", "unit_cost"),
    ]
    assert items["Names"] == [("col", "name"), ("sort", "name")]
    assert _views(runtime, "order")["By price"] == [
        ("sort", "item.unit_cost"),
        ("col", "item.unit_cost"),
    ]
