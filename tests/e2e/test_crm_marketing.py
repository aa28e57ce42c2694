"""CRM marketing: segments are rule-language filters checked on save; starting a campaign
enrols its segment once (rules/marketing.rules) and splits members A/B by a stable bucket."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.cli import create_tenant
from trellis.platform.runtime import Runtime
from trellis.rules.expr.hashing import hash_bucket

from helpers import Api


@pytest.fixture
def crm(runtime: Runtime, client: Any) -> Api:
    create_tenant(runtime, "crm-mkt", "crm", "boss@crm.test", "long enough secret")
    return Api(client, "crm-mkt", runtime.registry.create_token("crm-mkt", "boss@crm.test"))


def _post(api: Api, entity: str, **values: Any) -> dict[str, Any]:
    response = api.post(entity, json=values)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _members(api: Api, campaign: int) -> dict[int, str]:
    rows = api.get("campaign_member", params={"filter": f"campaign == {campaign}", "limit": 200})
    assert rows.status_code == 200, rows.text
    return {r["contact"]: r["variant"] for r in rows.json()["items"]}


def test_segments_and_enrolment(crm: Api) -> None:
    """One tenant per backend (creating the CRM dominates the run time)."""
    _bad_segment_filter_is_refused_with_its_position(crm)
    _campaign_enrols_its_segment_once_with_a_stable_split(crm)


def _bad_segment_filter_is_refused_with_its_position(crm: Api) -> None:
    bad = crm.post("segment", json={"name": "Spain", "filter": 'contry == "Spain"'})
    assert bad.status_code == 422, bad.text
    (message,) = bad.json()["errors"]["filter"]
    assert message.startswith("Line 1, column 1: RL002 "), message
    assert "'contry'" in message and "(did you mean 'country'?)" in message
    not_boolean = crm.post("segment", json={"name": "Spain", "filter": "country"})
    assert not_boolean.status_code == 422
    assert not_boolean.json()["errors"]["filter"][0].startswith("Line 1, column 1: RL006")
    assert crm.get("segment").json()["items"] == []  # nothing stored
    good = _post(crm, "segment", name="Spain", filter='country == "Spain"')
    worse = crm.patch(f"segment/{good['id']}", json={"filter": 'country == "Spain" and'})
    assert worse.status_code == 422
    assert worse.json()["errors"]["filter"][0].startswith("Line 1, column ")
    assert crm.get(f"segment/{good['id']}").json()["filter"] == 'country == "Spain"'


def _campaign_enrols_its_segment_once_with_a_stable_split(crm: Api) -> None:
    spain = [_post(crm, "contact", first_name=f"C{i}", last_name="Ruiz", country="Spain")
             for i in range(12)]  # fmt: skip
    _post(crm, "contact", first_name="Elsewhere", last_name="Smith", country="France")
    segment = crm.get("segment", params={"filter": 'name == "Spain"'}).json()["items"][0]
    campaign = _post(crm, "campaign", name="Spring", segment=segment["id"], split_a=50)
    assert _members(crm, campaign["id"]) == {}  # planned: nobody enrolled yet

    started = crm.patch(f"campaign/{campaign['id']}", json={"status": "active"})
    assert started.status_code == 200, started.text
    members = _members(crm, campaign["id"])
    assert sorted(members) == sorted(c["id"] for c in spain)
    for contact, variant in members.items():
        assert variant == ("A" if hash_bucket(contact, 100) < 50 else "B")
    assert set(members.values()) == {"A", "B"}

    # Pause and restart after the segment grew: only the new contact is added.
    late = _post(crm, "contact", first_name="Late", last_name="Gil", country="Spain")
    assert crm.patch(f"campaign/{campaign['id']}", json={"status": "planned"}).status_code == 200
    assert crm.patch(f"campaign/{campaign['id']}", json={"status": "active"}).status_code == 200
    again = _members(crm, campaign["id"])
    assert len(again) == 13 and again[late["id"]] in ("A", "B")
    assert {k: v for k, v in again.items() if k != late["id"]} == members
    assert crm.get("campaign/" + str(campaign["id"])).json()["members"] == 13

    # Another campaign with the same split gives every contact the same variant;
    # one with all of A gives every member A.
    twin = _post(crm, "campaign", name="Summer", segment=segment["id"], split_a=50)
    crm.patch(f"campaign/{twin['id']}", json={"status": "active"})
    assert _members(crm, twin["id"]) == again
    all_a = _post(crm, "campaign", name="Autumn", segment=segment["id"], split_a=100)
    crm.patch(f"campaign/{all_a['id']}", json={"status": "active"})
    assert set(_members(crm, all_a["id"]).values()) == {"A"}
