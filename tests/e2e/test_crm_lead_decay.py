"""The CRM's weekly decay of lead behaviour points: a cron rule over records, moved by time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from trellis.cli import create_tenant
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime

from helpers import Api

FRIDAY = datetime(2030, 1, 4, 12, tzinfo=UTC)
MONDAY_6 = datetime(2030, 1, 7, 6, tzinfo=UTC)


def _lead(api: Api, name: str, points: int) -> dict[str, Any]:
    response = api.post("lead", json={"last_name": name, "behaviour_score": points})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_lead_behaviour_points_decay_weekly_to_a_floor_of_zero(
    runtime: Runtime, client: Any
) -> None:
    create_tenant(runtime, "crm-decay", "crm", "boss@crm.test", "long enough secret")
    api = Api(client, "crm-decay", runtime.registry.create_token("crm-decay", "boss@crm.test"))
    warm = _lead(api, "Warm", 32)
    low = _lead(api, "Low", 3)
    assert (warm["score"], warm["grade"]) == (32, "C")
    Dispatcher(runtime).run_due(FRIDAY)  # arms Monday 06:00
    assert api.get(f"lead/{warm['id']}").json()["behaviour_score"] == 32
    Dispatcher(runtime).run_due(MONDAY_6.replace(minute=1))
    after = api.get(f"lead/{warm['id']}").json()
    assert (after["behaviour_score"], after["score"], after["grade"]) == (27, 27, "D")
    assert api.get(f"lead/{low['id']}").json()["behaviour_score"] == 0
    Dispatcher(runtime).run_due(MONDAY_6.replace(hour=9))  # the same week: no second decay
    assert api.get(f"lead/{warm['id']}").json()["behaviour_score"] == 27
    runs = api.get("_rule_runs", params={"entity": "lead", "id": warm["id"]}).json()["items"]
    decay = [r for r in runs if r["rule"] == "Behaviour: weekly decay"]
    assert [(r["outcome"], r["changes"]) for r in decay] == [("applied", {"behaviour_score": 27})]
