"""CRM rollups reveal no more than the record scope (issue 12, item 3), on both databases.

``account.open_deals``, ``pipeline_value`` and ``last_activity_due`` aggregate every
opportunity or activity of the account; a role whose scope on those children is not
``all`` must not read them through any path: record JSON, lists, filters, sorts,
``fields=``, exports, the OpenAPI document, dry-run steps, ``_access`` and the screens.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import Api
from ui_support import add_user, crm_tenant, sign_in

TENANT = "roll"
#: The CRM's account rollups over opportunities (scope own for reps) and activities.
SCOPED = {"open_deals", "pipeline_value", "last_activity_due"}
ROLES = {
    "rep": ["sales_rep"],
    "rep2": ["sales_rep"],
    "lead": ["sales_lead"],
    "manager": ["sales_manager"],
    "marketing": ["marketing"],
}


@dataclass
class Sales:
    """A CRM tenant whose account 'Acme' has deals of two reps and of the admin."""

    runtime: Runtime
    stack: ExitStack
    apis: dict[str, Api] = field(default_factory=dict)
    account: int = 0

    def make(self, who: str, entity: str, **values: Any) -> int:
        response = self.apis[who].post(entity, json=values)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def screen(self, who: str) -> TestClient[Any]:
        """A new client signed in to the screens as ``who``."""
        client = self.stack.enter_context(TestClient(app=create_web_app(self.runtime)))
        assert sign_in(client, TENANT, f"{who}@{TENANT}.test").status_code == 303
        return client


@pytest.fixture
def sales(runtime: Runtime) -> Iterator[Sales]:
    crm_tenant(runtime, TENANT)
    with ExitStack() as stack:
        client = stack.enter_context(TestClient(app=create_web_app(runtime)))
        world = Sales(runtime, stack)
        reg = runtime.registry
        for name in ("admin", *ROLES):
            email = f"{name}@{TENANT}.test"
            if name != "admin":
                add_user(runtime, TENANT, email, ROLES[name])
            world.apis[name] = Api(client, TENANT, reg.create_token(TENANT, email))
        world.account = world.make("admin", "account", name="Acme")
        world.make("rep", "opportunity", name="Mine", account=world.account, amount=100)
        world.make("rep2", "opportunity", name="Theirs", account=world.account, amount=5000)
        world.make("admin", "opportunity", name="House", account=world.account, amount=1000)
        yield world


def test_own_scope_rep_reads_no_account_rollup(sales: Sales) -> None:
    rep = sales.apis["rep"]
    record = rep.get(f"account/{sales.account}").json()
    assert record["name"] == "Acme" and not SCOPED & set(record)
    items = rep.get("account").json()["items"]
    assert items and all(not SCOPED & set(item) for item in items)
    schema = rep.get("openapi.json").json()["components"]["schemas"]["Account"]["properties"]
    assert "name" in schema and not SCOPED & set(schema)
    # The team lead's scope is not `all` either; the lead may export accounts.
    lead = sales.apis["lead"]
    exported = lead.get("account/_export", params={"format": "csv"})
    assert exported.status_code == 200, exported.text
    header = next(csv.reader(io.StringIO(exported.text)))
    assert "name" in header and not SCOPED & set(header)
    assert not SCOPED & set(lead.get(f"account/{sales.account}").json())
    # Marketing reads accounts but no opportunity at all.
    assert not SCOPED & set(sales.apis["marketing"].get(f"account/{sales.account}").json())


def test_own_scope_rep_cannot_filter_sort_or_select_account_rollups(sales: Sales) -> None:
    rep = sales.apis["rep"]
    for params in (
        {"filter": "pipeline_value > 1000"},
        {"filter": "open_deals >= 3"},
        {"sort": "-pipeline_value"},
        {"fields": "name,pipeline_value"},
    ):
        response = rep.get("account", params=params)
        assert response.status_code == 400, params
        errors = response.json()["errors"]
        assert any("Unknown field" in m for ms in errors.values() for m in ms), errors
    through = rep.get("opportunity", params={"filter": "account.pipeline_value > 1000"})
    assert through.status_code == 400
    assert "pipeline_value" in through.text
    lead = sales.apis["lead"]
    assert lead.get("account/_export", params={"fields": "name,open_deals"}).status_code == 400
    assert lead.get("account/_export", params={"filter": "open_deals > 0"}).status_code == 400


def test_role_with_scope_all_on_opportunities_reads_and_filters_rollups(sales: Sales) -> None:
    manager = sales.apis["manager"]
    record = manager.get(f"account/{sales.account}").json()
    assert (record["open_deals"], record["pipeline_value"]) == (3, "6100.00")
    found = manager.get("account", params={"filter": "pipeline_value > 6000"}).json()
    assert [item["id"] for item in found["items"]] == [sales.account]
    assert manager.get("account", params={"sort": "-open_deals"}).status_code == 200
    schema = manager.get("openapi.json").json()["components"]["schemas"]["Account"]
    assert "pipeline_value" in schema["properties"]
    assert sales.apis["admin"].get(f"account/{sales.account}").json()["pipeline_value"] == (
        "6100.00"
    )


def test_dry_run_steps_do_not_reveal_the_parents_rollups(sales: Sales) -> None:
    body = {"name": "Probe", "account": sales.account, "amount": 7}
    rep = sales.apis["rep"].post("opportunity", params={"dry_run": "true"}, json=body)
    assert rep.status_code == 200, rep.text
    assert rep.json()["would_save"] is True
    assert all(not SCOPED & set(step["changes"]) for step in rep.json()["steps"])
    assert "6107" not in rep.text
    manager = sales.apis["manager"].post("opportunity", params={"dry_run": "true"}, json=body)
    recomputed = [s for s in manager.json()["steps"] if s["kind"] == "recompute"]
    assert recomputed and recomputed[0]["changes"]["pipeline_value"] == "6107.00"


def test_access_lists_restricted_rollups_apart_from_hidden_fields(sales: Sales) -> None:
    def explain(user: str) -> dict[str, Any]:
        params = {"user": f"{user}@{TENANT}.test", "entity": "account", "id": sales.account}
        response = sales.apis["admin"].get("_access", params=params)
        assert response.status_code == 200, response.text
        reason: dict[str, Any] = response.json()["reasons"][0]
        return reason

    rep = explain("rep")
    assert rep["hidden_fields"] == ["annual_revenue", "won_value"]
    assert rep["restricted_fields"] == sorted(SCOPED)
    assert "restricted_fields" not in explain("manager")


def test_account_screens_show_rollups_as_restricted_to_a_rep(sales: Sales) -> None:
    rep = sales.screen("rep")
    detail = rep.get(f"/t/{TENANT}/e/account/{sales.account}")
    assert detail.status_code == 200
    html = detail.text
    assert 'id="value-pipeline_value"><span class="restricted"' in html
    assert 'id="value-open_deals"><span class="restricted"' in html
    # Neither the sections nor the timeline's change rows show the sums.
    assert "6,100.00" not in html and "5,100.00" not in html and "Open pipeline" in html
    listed = rep.get(f"/t/{TENANT}/e/account").text
    assert "Open pipeline" in listed and '<span class="restricted"' in listed
    assert "sort=pipeline_value" not in listed and "6,100.00" not in listed
    manager = sales.screen("manager")
    shown = manager.get(f"/t/{TENANT}/e/account/{sales.account}").text
    assert 'id="value-pipeline_value">€6,100.00<' in shown  # in the base currency
    assert "sort=pipeline_value" in manager.get(f"/t/{TENANT}/e/account").text
