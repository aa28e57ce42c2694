"""Renames through ``POST _meta/draft/rename``: data kept, every reference rewritten (issue 16)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TENANT = "ren"
ITEM = """
    label: Item
    title: name
    search: [name, code]
    fields:
      name: {type: string, required: true, max_length: 100}
      code: {type: string}
      price: {type: decimal, scale: 2}
      qty: {type: integer}
      total:
        type: decimal
        scale: 2
        formula: "price * qty"
    validations:
      - when: "price < 0"
        field: price
        message: The price cannot be negative.
    layouts:
      list: {columns: [name, price, total], sort: -price, filters: [price]}
      form:
        sections:
          - {label: Item, fields: [name, code, price, qty]}
"""
ORDER = """
    label: Order
    search: [label, item.price]
    fields:
      label: {type: string}
      item: {type: reference, to: item}
      unit_price: {type: decimal, scale: 2, formula: "item.price"}
    layouts:
      list: {columns: [label, item, unit_price]}
"""
RULES = """\
# "price" in a comment and in strings stays as written.
rule "Expensive"
  on item created, updated
  when price > 100 and changed(price)
  then
    set code = "price is high"
end

rule "Tell about prices"
  on item created
  when price > 0
  then send email "priced" to owner
end
"""
TEMPLATE = """\
{% block subject %}{{ name }} costs {{ price }}{% endblock %}
{% block text %}{% if price > 100 %}price: {{ price | round(2) }}{% endif %}{% endblock %}
"""
ROLES = """\
roles:
  clerk:
    label: Clerk
    entities:
      item: {actions: [read], scope: all, fields: {price: read_only}, where: "price >= 0"}
"""
DASHBOARD = """\
dashboard: stock
label: Stock
tiles:
  - {kind: kpi, label: Value, entity: item, agg: sum, field: price, where: "price > 0"}
"""


@pytest.fixture
def admin(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    """Tenant ``ren`` at version 1 with items, orders, a rule file, roles and a dashboard."""
    from trellis.platform.publish import publish

    root: Path = write_package({"item": ITEM, "order": ORDER})
    (root / "rules").mkdir()
    (root / "rules" / "stock.rules").write_text(RULES, encoding="utf-8")
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    (root / "email_templates").mkdir()
    (root / "email_templates" / "priced.j2").write_text(TEMPLATE, encoding="utf-8")
    (root / "dashboards").mkdir()
    (root / "dashboards" / "stock.yaml").write_text(DASHBOARD, encoding="utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    reg = runtime.registry
    reg.add_membership(
        TENANT, reg.ensure_user("admin@ren.test", "correct horse battery"), ["admin"]
    )
    return Api(client, TENANT, reg.create_token(TENANT, "admin@ren.test"))


def _rename(api: Api, **body: Any) -> Any:
    return api.post("_meta/draft/rename", json=body)


def _file(api: Api, path: str) -> str:
    answer = api.get(f"_meta/draft/{path}")
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def test_a_field_rename_keeps_the_values_and_rewrites_every_reference(admin: Api) -> None:
    created = admin.post("item", json={"name": "Desk", "price": "20.50", "qty": 3})
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    assert admin.post("order", json={"label": "o1", "item": item_id}).status_code == 201

    renamed = _rename(admin, entity="item", **{"from": "price", "to": "unit_cost"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["files"] == [
        "dashboards/stock.yaml",
        "email_templates/priced.j2",
        "entities/item.yaml",
        "entities/order.yaml",
        "roles.yaml",
        "rules/stock.rules",
    ]
    assert _file(admin, "email_templates/priced.j2") == TEMPLATE.replace(
        "{{ price }}", "{{ unit_cost }}"
    ).replace("if price >", "if unit_cost >").replace("{{ price |", "{{ unit_cost |")
    assert renamed.headers["etag"] == f'"{renamed.json()["draft_version"]}"'
    item = _file(admin, "entities/item.yaml")
    assert "unit_cost: {renamed_from: price, type: decimal, scale: 2}" in item
    assert 'formula: "unit_cost * qty"' in item
    assert 'when: "unit_cost < 0"' in item and "field: unit_cost" in item
    assert "columns: [name, unit_cost, total], sort: -unit_cost, filters: [unit_cost]" in item
    assert "fields: [name, code, unit_cost, qty]" in item
    order = _file(admin, "entities/order.yaml")
    assert 'formula: "item.unit_cost"' in order and "search: [label, item.unit_cost]" in order
    rules = _file(admin, "rules/stock.rules")
    assert "when unit_cost > 100 and changed(unit_cost)" in rules
    assert '# "price" in a comment' in rules and 'set code = "price is high"' in rules
    roles = _file(admin, "roles.yaml")
    assert 'fields: {unit_cost: read_only}, where: "unit_cost >= 0"' in roles
    assert 'field: unit_cost, where: "unit_cost > 0"' in _file(admin, "dashboards/stock.yaml")

    plan = admin.get("_meta/draft/plan").json()
    assert plan["valid"] is True, plan
    assert plan["destructive"] == [] and plan["needs_confirmation"] is False
    assert [c["field"] for c in plan["renamed"]] == ["unit_cost"]
    published = admin.post("_meta/draft/publish", json={"comment": "rename price"})
    assert published.status_code == 200, published.text

    row = admin.get(f"item/{item_id}").json()
    assert Decimal(row["unit_cost"]) == Decimal("20.50") and "price" not in row
    assert Decimal(row["total"]) == Decimal(
        "61.50"
    )  # the formula still computes, over the kept values
    (order_row,) = admin.get("order").json()["items"]
    assert Decimal(order_row["unit_price"]) == Decimal("20.50")


def test_a_rename_onto_an_existing_field_is_refused_with_its_position(admin: Api) -> None:
    refused = _rename(admin, entity="item", **{"from": "price", "to": "code"})
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["diagnostics"]
    assert error["code"] == "MD005"
    assert error["text"].startswith("entities/item.yaml:6:")
    assert "cannot rename 'price' to 'code'" in error["message"]
    assert admin.get("_meta/draft").json()["files"] == []  # nothing saved


def test_bad_rename_requests_are_refused(admin: Api) -> None:
    unknown = _rename(admin, entity="item", **{"from": "nope", "to": "other"})
    assert unknown.status_code == 404
    assert _rename(admin, entity="ghost", to="spirit").status_code == 404
    assert _rename(admin, entity="item", **{"from": "price", "to": "Bad Name"}).status_code == 422
    same = _rename(admin, entity="item", **{"from": "price", "to": "price"})
    assert same.status_code == 200 and same.json()["files"] == []  # nothing to do
    assert _rename(admin, entity="item", to="order").status_code == 422
    stale = admin.post(
        "_meta/draft/rename",
        json={"entity": "item", "from": "qty", "to": "quantity"},
        headers={"If-Match": '"7"'},
    )
    assert stale.status_code == 409


def test_an_entity_rename_moves_the_table_in_place_and_rewrites_references(admin: Api) -> None:
    created = admin.post("item", json={"name": "Desk", "price": "20.50", "qty": 3})
    item_id = created.json()["id"]
    assert admin.post("order", json={"label": "o1", "item": item_id}).status_code == 201
    assert admin.patch(f"item/{item_id}", json={"qty": 4}).status_code == 200

    renamed = _rename(admin, entity="item", to="article")
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["files"] == [
        "dashboards/stock.yaml",
        "entities/article.yaml",
        "entities/item.yaml",
        "entities/order.yaml",
        "roles.yaml",
        "rules/stock.rules",
    ]
    assert admin.get("_meta/draft/entities/item.yaml").status_code == 404
    article = _file(admin, "entities/article.yaml")
    assert article.startswith("renamed_from: item\n")
    assert "item: {type: reference, to: article}" in _file(admin, "entities/order.yaml")
    assert "  on article created, updated" in _file(admin, "rules/stock.rules")
    assert "      article: {actions: [read]" in _file(admin, "roles.yaml")
    assert "entity: article, agg: sum" in _file(admin, "dashboards/stock.yaml")

    plan = admin.get("_meta/draft/plan").json()
    assert plan["valid"] is True, plan
    assert plan["destructive"] == [] and plan["needs_confirmation"] is False
    assert [c["text"] for c in plan["renamed"]] == ["renames entity item to article: 1 row kept"]
    assert any(
        "RENAME TO article" in sql.upper().replace('"', "") or "article" in sql
        for sql in plan["ddl"]
    ), plan["ddl"]
    published = admin.post("_meta/draft/publish", json={"comment": "items are articles"})
    assert published.status_code == 200, published.text

    row = admin.get(f"article/{item_id}").json()
    assert row["name"] == "Desk" and row["qty"] == 4
    assert Decimal(row["total"]) == Decimal("82.00")
    (order_row,) = admin.get("order").json()["items"]
    assert order_row["item"] == item_id or order_row["item"]["id"] == item_id
    history = admin.get(f"article/{item_id}/_history")
    assert history.status_code == 200 and len(history.json()["items"]) >= 2, history.text
    assert admin.get("item").status_code == 404
