"""``create … as <name>`` and ``update`` through the API, on SQLite and PostgreSQL:
later actions read the new record's id, dry runs trace it, a refusal rolls all back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.helpers import Api, PackageWriter, make_tenant
from trellis.platform.runtime import Runtime

ORDER = """
    label: Order
    title: name
    fields:
      name: {type: string, required: true}
      invoice: {type: reference, to: invoice}
"""
INVOICE = """
    label: Invoice
    fields:
      number: {type: string, required: true}
      order: {type: reference, to: order}
      total: {type: integer, min: 0}
"""
RULES = """
rule "Invoice every order"
  on order created
  when name != "bad"
  then
    create invoice {number: concat("INV-", name), order: id} as bill
    update {invoice: bill}
end

rule "A refused second create"
  on order created
  when name == "bad"
  then
    create invoice {number: "first", order: id} as first
    create invoice {number: concat("second after ", first.number), total: 0 - 1}
end
"""


@pytest.fixture
def bapi(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    def write(entities: dict[str, str], **kw: Any) -> Path:
        root = write_package(entities, **kw)
        (root / "rules").mkdir(exist_ok=True)
        (root / "rules" / "orders.rules").write_text(RULES, encoding="utf-8")
        return root

    token = make_tenant(runtime, write, "binds", {"order": ORDER, "invoice": INVOICE})
    return Api(client, "binds", token)


def test_a_bound_record_links_both_ways_and_shows_in_dry_runs(bapi: Api) -> None:
    dry = bapi.post("order", params={"dry_run": "true"}, json={"name": "A1"})
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["would_save"] is True
    (step,) = [s for s in body["steps"] if s["name"] == "Invoice every order"]
    bill = step["changes"]["create invoice as bill"]
    assert isinstance(bill, int) and step["changes"]["update"] == {"invoice": bill}
    assert bapi.get("invoice").json()["count"] == 0 and bapi.get("order").json()["count"] == 0

    saved = bapi.post("order", json={"name": "A1"})
    assert saved.status_code == 201, saved.text
    order = saved.json()
    invoice = bapi.get(f"invoice/{order['invoice']}").json()
    assert (invoice["number"], invoice["order"]) == ("INV-A1", order["id"])
    assert bapi.get(f"order/{order['id']}").json()["invoice"] == invoice["id"]


def test_a_refused_later_action_rolls_the_whole_save_back(bapi: Api) -> None:
    refused = bapi.post("order", json={"name": "bad"})
    assert refused.status_code == 422, refused.text
    (message,) = refused.json()["errors"]["__all__"]
    assert "A refused second create" in message and "total" in message
    assert bapi.get("invoice").json()["count"] == 0 and bapi.get("order").json()["count"] == 0
