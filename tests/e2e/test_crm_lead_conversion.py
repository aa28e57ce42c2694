"""Converting a CRM lead creates its account, contact and opportunity (rules/conversion.rules),
links them, moves the lead's activities; any refusal rolls the whole conversion back."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.cli import create_tenant
from trellis.platform.runtime import Runtime

from helpers import Api


@pytest.fixture
def crm(runtime: Runtime, client: Any) -> Api:
    create_tenant(runtime, "crm-conv", "crm", "boss@crm.test", "long enough secret")
    return Api(client, "crm-conv", runtime.registry.create_token("crm-conv", "boss@crm.test"))


def _post(api: Api, entity: str, **values: Any) -> dict[str, Any]:
    response = api.post(entity, json=values)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _qualified(api: Api, **values: Any) -> dict[str, Any]:
    lead = _post(api, "lead", **values)
    for name in ("work", "qualify"):
        moved = api.post(f"lead/{lead['id']}/transitions/{name}", json={})
        assert moved.status_code == 200, moved.text
    return lead


def _count(api: Api, entity: str) -> int:
    return int(api.get(entity).json()["count"])


def test_convert_creates_links_and_relinks_activities(crm: Api) -> None:
    lead = _qualified(
        crm, first_name="Ana", last_name="Ruiz", company="Globex", title="CTO",
        email="ana@globex.test", phone="+34 600 000 000", company_size="large",
        industry="technology", source="referral",
    )  # fmt: skip
    by_lead = _post(crm, "activity", subject="First call", lead=lead["id"])
    about = _post(crm, "activity", subject="Demo", related_to={"entity": "lead", "id": lead["id"]})
    other = _post(crm, "activity", subject="Unrelated")

    converted = crm.post(f"lead/{lead['id']}/transitions/convert", json={})
    assert converted.status_code == 200, converted.text
    done = converted.json()
    assert done["status"] == "converted" and done["converted_at"]

    account = crm.get(f"account/{done['converted_account']}").json()
    contact = crm.get(f"contact/{done['converted_contact']}").json()
    deal = crm.get(f"opportunity/{done['converted_opportunity']}").json()
    assert (account["name"], account["industry"], account["size"]) == (
        "Globex",
        "technology",
        "large",
    )
    assert (contact["first_name"], contact["last_name"], contact["email"]) == (
        "Ana", "Ruiz", "ana@globex.test",
    )  # fmt: skip
    assert (contact["account"], contact["source"], contact["lifecycle_stage"]) == (
        account["id"], "referral", "opportunity",
    )  # fmt: skip
    assert (deal["name"], deal["account"], deal["contact"]) == (
        "Globex",
        account["id"],
        contact["id"],
    )
    assert deal["stage"] == "prospecting"
    stored = crm.get(f"lead/{lead['id']}").json()
    assert stored["converted_contact"] == contact["id"] and stored["status"] == "converted"

    moved = crm.get(f"activity/{by_lead['id']}").json()
    assert (moved["account"], moved["contact"], moved["opportunity"], moved["lead"]) == (
        account["id"], contact["id"], deal["id"], lead["id"],
    )  # fmt: skip
    assert crm.get(f"activity/{about['id']}").json()["related_to"] == {
        "entity": "contact",
        "id": contact["id"],
    }
    untouched = crm.get(f"activity/{other['id']}").json()
    assert untouched["account"] is None and untouched["related_to"] is None

    runs = crm.get("_rule_runs", params={"entity": "lead", "id": lead["id"]}).json()["items"]
    (run,) = [r for r in runs if r["rule"] == "Convert a lead"]
    assert run["changes"]["create account as account"] == account["id"]
    assert run["changes"]["update activity.lead"] == [by_lead["id"]]


def test_a_refused_action_rolls_the_whole_conversion_back(crm: Api) -> None:
    _post(crm, "account", name="Initech")  # account names are unique
    lead = _qualified(crm, first_name="Bo", last_name="Diaz", company="Initech", email="bo@x.test")
    activity = _post(crm, "activity", subject="Call", lead=lead["id"])
    before = {e: _count(crm, e) for e in ("account", "contact", "opportunity")}

    refused = crm.post(f"lead/{lead['id']}/transitions/convert", json={})
    assert refused.status_code in (409, 422), refused.text
    assert "Convert a lead" in refused.text
    assert {e: _count(crm, e) for e in before} == before
    stored = crm.get(f"lead/{lead['id']}").json()
    assert (stored["status"], stored["converted_account"], stored["converted_at"]) == (
        "qualified", None, None,
    )  # fmt: skip
    assert crm.get(f"activity/{activity['id']}").json()["account"] is None

    # A later action refused (the e-mail already belongs to a contact): the account and
    # contact created before it are gone too.
    _post(crm, "contact", first_name="Cy", last_name="Old", email="cy@umbrella.test")
    late = _qualified(crm, first_name="Cy", last_name="New", company="Umbrella",
                      email="cy@umbrella.test")  # fmt: skip
    before = {e: _count(crm, e) for e in ("account", "contact", "opportunity")}
    assert crm.post(f"lead/{late['id']}/transitions/convert", json={}).status_code in (409, 422)
    assert {e: _count(crm, e) for e in before} == before
    assert crm.get(f"lead/{late['id']}").json()["status"] == "qualified"
    no_name = _qualified(crm, last_name="Solo", email="solo@x.test")
    guarded = crm.post(f"lead/{no_name['id']}/transitions/convert", json={})
    assert guarded.status_code in (409, 422) and "first name" in guarded.text
