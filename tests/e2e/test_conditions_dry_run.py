"""Conditional field rules (required/visible/read-only when) and dry-run explanations."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter, make_tenant

DEAL = """
    fields:
      name: {type: string, required: true}
      stage: {type: enum, options: [open, won, lost], default: '"open"'}
      amount: {type: money, readonly_when: 'stage == "won"'}
      close_date: {type: date, required_when: 'stage == "won"'}
      reason: {type: text, visible_when: 'stage == "lost"', required_when: 'stage == "lost"'}
      weighted: {type: money, formula: "amount / 2"}
    validations:
      - {when: "amount > 1000", field: amount, message: "Too big."}
"""


@pytest.fixture
def deals(runtime: Runtime, client: Any, write_package: PackageWriter) -> Api:
    return Api(client, "sales", make_tenant(runtime, write_package, "sales", {"deal": DEAL}))


def test_required_when(deals: Api) -> None:
    response = deals.post("deal", json={"name": "A", "stage": "won"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"close_date": ["This field is required."]}
    ok = deals.post("deal", json={"name": "A", "stage": "won", "close_date": "2026-12-01"})
    assert ok.status_code == 201
    lost = deals.post("deal", json={"name": "B"}).json()
    refused = deals.patch(f"deal/{lost['id']}", json={"stage": "lost"})
    assert refused.json()["errors"] == {"reason": ["This field is required."]}


def test_readonly_when(deals: Api) -> None:
    deal = deals.post("deal", json={"name": "A", "amount": 100}).json()
    won = deals.patch(
        f"deal/{deal['id']}", json={"stage": "won", "close_date": "2026-12-01", "amount": 200}
    )
    assert won.status_code == 200, won.text
    frozen = deals.patch(f"deal/{deal['id']}", json={"amount": 300})
    assert frozen.status_code == 422
    assert frozen.json()["errors"] == {"amount": ["'amount' is read-only now."]}
    same = deals.patch(f"deal/{deal['id']}", json={"amount": "200.00", "name": "B"})
    assert same.status_code == 200


def test_form_state(deals: Api) -> None:
    draft = deals.post("deal/_form", json={"stage": "lost"}).json()["fields"]
    assert draft["reason"] == {
        "visible": True,
        "required": True,
        "readonly": False,
        "label": "Reason",
    }
    assert draft["weighted"]["readonly"] is True
    deal = deals.post("deal", json={"name": "A"}).json()
    state = deals.get(f"deal/{deal['id']}/_form").json()["fields"]
    assert state["reason"]["visible"] is False
    assert state["name"]["required"] is True
    assert deals.get("deal/999/_form").status_code == 404


def test_dry_run_explains_and_writes_nothing(deals: Api) -> None:
    response = deals.post("deal", params={"dry_run": "true"}, json={"name": "A", "amount": 50})
    assert response.status_code == 200
    body = response.json()
    assert body["would_save"] is True
    assert body["errors"] == {}
    assert body["record"]["weighted"] == "25.00"
    kinds = [(s["kind"], s["name"], s["result"]) for s in body["steps"]]
    assert ("default", "stage", "set") in kinds
    assert ("formula", "weighted", "computed") in kinds
    assert ("validation", "amount > 1000", "passed") in kinds
    assert deals.get("deal").json()["count"] == 0

    failing = deals.post("deal", params={"dry_run": "1"}, json={"name": "A", "amount": 5000})
    assert failing.status_code == 200
    assert failing.json()["would_save"] is False
    assert failing.json()["errors"] == {"amount": ["Too big."]}
    assert deals.get("deal").json()["count"] == 0


def test_dry_run_of_an_update(deals: Api) -> None:
    deal = deals.post("deal", json={"name": "A", "amount": 10}).json()
    response = deals.patch(f"deal/{deal['id']}", params={"dry_run": "true"}, json={"amount": 30})
    body = response.json()
    assert body["would_save"] is True
    assert body["record"]["weighted"] == "15.00"
    assert body["record"]["version"] == 2
    stored = deals.get(f"deal/{deal['id']}").json()
    assert (stored["amount"], stored["version"]) == ("10.00", 1)
