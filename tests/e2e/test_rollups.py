"""Rollup fields follow their children in the same transaction, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter, make_tenant

CUSTOMER = """
    fields:
      name: {type: string, required: true}
      quoted: {type: money, rollup: {from: quote.customer, agg: sum, field: total}}
"""
QUOTE = """
    fields:
      name: {type: string, required: true}
      customer: {type: reference, to: customer}
      total: {type: money, rollup: {from: line.quote, agg: sum, field: price}}
      lines: {type: integer, rollup: {from: line.quote, agg: count}}
      big_lines: {type: integer, rollup: {from: line.quote, agg: count, where: "qty >= 10"}}
      cheapest: {type: money, rollup: {from: line.quote, agg: min, field: price}}
      average: {type: decimal, scale: 2, rollup: {from: line.quote, agg: avg, field: price}}
      with_tax: {type: money, formula: "total * 1.2"}
"""
LINE = """
    fields:
      sku: {type: string}
      qty: {type: integer}
      price: {type: money}
      quote: {type: reference, to: quote}
"""


@pytest.fixture
def shop(runtime: Runtime, client: Any, write_package: PackageWriter) -> Api:
    token = make_tenant(
        runtime, write_package, "shop", {"customer": CUSTOMER, "quote": QUOTE, "line": LINE}
    )
    return Api(client, "shop", token)


def _make(api: Api, entity: str, **values: Any) -> dict[str, Any]:
    response = api.post(entity, json=values)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _quote(api: Api, quote_id: int) -> dict[str, Any]:
    return dict(api.get(f"quote/{quote_id}").json())


def test_rollups_follow_create_update_reparent_delete(shop: Api) -> None:
    first = _make(shop, "quote", name="Q1")
    assert (first["total"], first["lines"], first["cheapest"], first["average"]) == (
        "0.00",
        0,
        None,
        None,
    )
    second = _make(shop, "quote", name="Q2")
    a = _make(shop, "line", sku="a", qty=1, price=10, quote=first["id"])
    _make(shop, "line", sku="b", qty=12, price="2.50", quote=first["id"])
    q1 = _quote(shop, first["id"])
    assert (q1["total"], q1["lines"], q1["big_lines"], q1["cheapest"], q1["average"]) == (
        "12.50",
        2,
        1,
        "2.50",
        "6.25",
    )
    assert q1["with_tax"] == "15.00"
    assert q1["version"] == 3

    assert shop.patch(f"line/{a['id']}", json={"price": 20}).status_code == 200
    assert _quote(shop, first["id"])["total"] == "22.50"

    assert shop.patch(f"line/{a['id']}", json={"quote": second["id"]}).status_code == 200
    q1, q2 = _quote(shop, first["id"]), _quote(shop, second["id"])
    assert (q1["total"], q1["lines"]) == ("2.50", 1)
    assert (q2["total"], q2["lines"], q2["with_tax"]) == ("20.00", 1, "24.00")

    assert shop.delete(f"line/{a['id']}").status_code == 204
    q2 = _quote(shop, second["id"])
    assert (q2["total"], q2["lines"], q2["cheapest"]) == ("0.00", 0, None)


def test_rollup_of_a_rollup_chains(shop: Api) -> None:
    customer = _make(shop, "customer", name="C")
    quote = _make(shop, "quote", name="Q", customer=customer["id"])
    _make(shop, "line", qty=1, price=7, quote=quote["id"])
    _make(shop, "line", qty=1, price=3, quote=quote["id"])
    assert shop.get(f"customer/{customer['id']}").json()["quoted"] == "10.00"


def test_rollup_fields_cannot_be_written(shop: Api) -> None:
    response = shop.post("quote", json={"name": "Q", "total": 5})
    assert response.status_code == 422
    assert "cannot be written" in response.json()["errors"]["total"][0]


def test_failed_child_save_leaves_parent_unchanged(shop: Api) -> None:
    quote = _make(shop, "quote", name="Q")
    bad = shop.post("line", json={"qty": "many", "price": 5, "quote": quote["id"]})
    assert bad.status_code == 422
    assert _quote(shop, quote["id"])["version"] == 1


def test_rollup_where_is_type_checked(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant("bad")
    broken = QUOTE.replace('where: "qty >= 10"', 'where: "qtty >= 10"')
    with pytest.raises(MetadataError) as info:
        publish(
            runtime, "bad", write_package({"quote": broken, "line": LINE, "customer": CUSTOMER})
        )
    text = str(info.value)
    assert "quote.yaml:6:" in text
    assert "did you mean 'qty'" in text
