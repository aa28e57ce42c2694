"""Which rollups and formulas a role reads: scope on the children, visible_to_all, chains."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TENANT = "shop"
CUSTOMER = """
    title: name
    fields:
      name: {type: string, required: true}
      quoted: {type: money, rollup: {from: quote.customer, agg: sum, field: total}}
      quotes: {type: integer, rollup: {from: quote.customer, agg: count}}
"""
QUOTE = """
    title: name
    fields:
      name: {type: string, required: true}
      customer: {type: reference, to: customer}
      total: {type: money, rollup: {from: line.quote, agg: sum, field: price}}
      lines: {type: integer, rollup: {from: line.quote, agg: count}, visible_to_all: true}
      big_lines: {type: integer, rollup: {from: line.quote, agg: count, where: "qty >= 10"}}
      cost: {type: money, rollup: {from: line.quote, agg: sum, field: cost}}
      with_tax: {type: money, formula: "total * 1.2"}
      double_lines: {type: integer, formula: "lines * 2"}
"""
LINE = """
    fields:
      sku: {type: string}
      qty: {type: integer}
      price: {type: money}
      cost: {type: money}
      quote: {type: reference, to: quote}
      quote_total: {type: money, formula: "quote.total"}
"""
ROLES = """
roles:
  clerk:
    entities:
      customer: {actions: [read], scope: all}
      quote: {actions: [read], scope: all}
      line: {actions: [create, read], scope: own}
  auditor:
    entities:
      customer: {actions: [read], scope: all}
      quote: {actions: [read], scope: all}
      line: {actions: [read], scope: all, fields: {cost: hidden, qty: hidden}}
  viewer:
    entities:
      customer: {actions: [read], scope: all}
      quote: {actions: [read], scope: all}
"""
ALL_QUOTE = {"total", "lines", "big_lines", "cost", "with_tax", "double_lines"}


@pytest.fixture
def shop(runtime: Runtime, client: Any, write_package: PackageWriter) -> dict[str, Api]:
    root = write_package({"customer": CUSTOMER, "quote": QUOTE, "line": LINE})
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    reg = runtime.registry
    reg.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    apis: dict[str, Api] = {}
    for name in ("admin", "clerk", "clerk2", "auditor", "viewer"):
        email = f"{name}@{TENANT}.test"
        role = "clerk" if name == "clerk2" else name
        reg.add_membership(TENANT, reg.ensure_user(email, "long enough secret"), [role])
        apis[name] = Api(client, TENANT, reg.create_token(TENANT, email))
    admin = apis["admin"]
    customer = admin.post("customer", json={"name": "Ada"}).json()["id"]
    quote = admin.post("quote", json={"name": "Q1", "customer": customer}).json()["id"]
    for who, price in (("clerk", 10), ("clerk2", 90)):
        line = {"sku": who, "qty": 12, "price": price, "cost": 4, "quote": quote}
        assert apis[who].post("line", json=line).status_code == 201
    return apis


def _quote(api: Api) -> dict[str, Any]:
    items = api.get("quote").json()["items"]
    assert len(items) == 1
    return dict(items[0])


def test_visible_to_all_rollup_is_read_by_every_role_that_reads_the_parent(
    shop: dict[str, Api],
) -> None:
    assert set(_quote(shop["admin"])) >= ALL_QUOTE
    for role in ("clerk", "auditor", "viewer"):
        quote = _quote(shop[role])
        assert (quote["lines"], quote["double_lines"]) == (2, 4), role
        filtered = shop[role].get("quote", params={"filter": "lines == 2", "sort": "-lines"})
        assert filtered.status_code == 200 and filtered.json()["count"] == 1, role
    # The viewer reads no line at all: every other rollup over lines is restricted.
    assert set(_quote(shop["viewer"])) & ALL_QUOTE == {"lines", "double_lines"}


def test_formula_reading_a_restricted_rollup_is_restricted_too(shop: dict[str, Api]) -> None:
    clerk = shop["clerk"]
    assert set(_quote(clerk)) & ALL_QUOTE == {"lines", "double_lines"}
    for params in ({"filter": "with_tax > 1"}, {"sort": "total"}, {"fields": "name,with_tax"}):
        response = clerk.get("quote", params=params)
        assert response.status_code == 400, params
    # Through a reference: the line's formula copies its quote's total.
    [mine] = clerk.get("line").json()["items"]
    assert mine["sku"] == "clerk" and "quote_total" not in mine
    assert clerk.get("line", params={"filter": "quote_total > 0"}).status_code == 400
    # A rollup of a restricted rollup (customer.quoted sums quote.total) follows.
    customer = clerk.get("customer").json()["items"][0]
    assert "quoted" not in customer and customer["quotes"] == 1
    admin = shop["admin"]
    assert _quote(admin)["with_tax"] == "120.00"
    assert all("quote_total" in line for line in admin.get("line").json()["items"])
    assert admin.get("customer").json()["items"][0]["quoted"] == "100.00"


def test_rollup_over_a_hidden_child_field_is_restricted(shop: dict[str, Api]) -> None:
    auditor = shop["auditor"]
    quote = _quote(auditor)
    # Scope all on lines: the total is readable, the sum of the hidden cost and the
    # count filtered on the hidden qty are not.
    assert (quote["total"], quote["with_tax"]) == ("100.00", "120.00")
    assert "cost" not in quote and "big_lines" not in quote
    assert auditor.get("quote", params={"filter": "cost > 0"}).status_code == 400
    assert auditor.get("customer").json()["items"][0]["quoted"] == "100.00"
    admin = _quote(shop["admin"])
    assert (admin["cost"], admin["big_lines"]) == ("8.00", 2)
