"""The CRM template end to end: validations, formulas, autonumbers and rollups via the API."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.cli import create_tenant
from trellis.platform.runtime import Runtime

from helpers import Api


@pytest.fixture
def crm(runtime: Runtime, client: Any) -> Api:
    create_tenant(runtime, "crm-co", "crm", "boss@crm.test", "long enough secret")
    return Api(client, "crm-co", runtime.registry.create_token("crm-co", "boss@crm.test"))


def _post(api: Api, entity: str, **values: Any) -> dict[str, Any]:
    response = api.post(entity, json=values)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_crm_deal_flow_keeps_account_figures(crm: Api) -> None:
    account = _post(crm, "account", name="Acme")
    assert (account["open_deals"], account["pipeline_value"]) == (0, "0.00")
    contact = _post(
        crm,
        "contact",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.test",
        account=account["id"],
    )
    assert contact["full_name"] == "Ada Lovelace"
    deal = _post(crm, "opportunity", name="Big", account=account["id"], amount=1000)
    assert deal["number"].startswith("OPP-")
    assert deal["currency"] == "EUR"
    assert (deal["stage"], deal["probability"]) == ("prospecting", "10")
    assert deal["expected_revenue"] == "100.00"
    proposal = crm.patch(f"opportunity/{deal['id']}", json={"stage": "proposal"})
    assert proposal.status_code == 200, proposal.text
    assert (proposal.json()["probability"], proposal.json()["expected_revenue"]) == ("50", "500.00")
    _post(crm, "opportunity", name="Small", account=account["id"], amount=200)
    figures = crm.get(f"account/{account['id']}").json()
    assert (figures["open_deals"], figures["pipeline_value"]) == (2, "1200.00")

    no_date = crm.patch(f"opportunity/{deal['id']}", json={"stage": "won"})
    assert no_date.status_code == 422
    assert "close_date" in no_date.json()["errors"]
    won = crm.patch(f"opportunity/{deal['id']}", json={"stage": "won", "close_date": "2026-11-30"})
    assert won.status_code == 200, won.text
    assert won.json()["probability"] == "100"
    lost = _post(crm, "opportunity", name="Gone", account=account["id"], stage="lost")
    assert (lost["probability"], lost["close_date"]) == ("0", None)
    figures = crm.get(f"account/{account['id']}").json()
    assert (figures["open_deals"], figures["pipeline_value"], figures["won_value"]) == (
        1,
        "200.00",
        "1000.00",
    )


def test_crm_rules_flag_and_follow_up_big_deals(crm: Api) -> None:
    account = _post(crm, "account", name="Globex")
    deal = _post(crm, "opportunity", name="Huge", account=account["id"], amount=75000)
    assert deal["description"] == "Big deal: review with sales management."
    activities = crm.get("activity", params={"filter": f"account == {account['id']}"}).json()
    assert [a["subject"] for a in activities["items"]] == ["Call about Huge"]
    assert crm.get(f"account/{account['id']}").json()["last_activity_due"] is not None
    cleared = crm.patch(f"opportunity/{deal['id']}", json={"amount": None})
    assert cleared.status_code == 422
    assert cleared.json()["errors"] == {
        "__all__": ["The amount of an opportunity cannot be cleared."]
    }
    runs = crm.get("_rule_runs", params={"entity": "opportunity", "id": deal["id"]}).json()
    assert {"Flag big deals", "Follow up big deals"} <= {r["rule"] for r in runs["items"]}
