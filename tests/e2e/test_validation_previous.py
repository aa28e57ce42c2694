"""Validations that read ``old()``/``changed()`` refuse saves on every path, both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.helpers import Api, PackageWriter, make_tenant
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_support import post_form, sign_in

DEAL = """
    label: Deal
    title: name
    fields:
      name: {type: string, required: true}
      stage: {type: enum, options: [open, won], default: '"open"'}
    validations:
      - when: 'changed(stage) and old(stage) == "won"'
        field: stage
        message: "A won deal keeps its stage."
"""
TASK = """
    label: Task
    title: subject
    fields:
      subject: {type: string, required: true}
      deal: {type: reference, to: deal}
"""
RULES = """
rule "Reopen the deal of a task"
  on task created
  when subject == "reopen"
  then update deal {stage: "open"}
end
"""
KEEPS = ["A won deal keeps its stage."]


@pytest.fixture
def deals(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    write_package: PackageWriter,
) -> Api:
    def write(entities: dict[str, str], **kw: Any) -> Path:
        root = write_package(entities, **kw)
        (root / "rules").mkdir(exist_ok=True)
        (root / "rules" / "deals.rules").write_text(RULES, encoding="utf-8")
        return root

    token = make_tenant(runtime, write, "sales", {"deal": DEAL, "task": TASK})
    return Api(client, "sales", token)


def _won(deals: Api, name: str = "Won") -> dict[str, Any]:
    created = deals.post("deal", json={"name": name, "stage": "won"})
    assert created.status_code == 201, created.text  # no stored stage: nothing changed from won
    return dict(created.json())


def test_api_update_leaving_a_stored_value_is_refused_with_the_message(deals: Api) -> None:
    won = _won(deals)
    refused = deals.patch(f"deal/{won['id']}", json={"stage": "open"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == {"stage": KEEPS}
    assert deals.get(f"deal/{won['id']}").json()["stage"] == "won"
    renamed = deals.patch(f"deal/{won['id']}", json={"name": "Still won"})
    assert renamed.status_code == 200, renamed.text  # stage unchanged: the rule holds


def test_api_update_towards_the_value_passes(deals: Api) -> None:
    opened = deals.post("deal", json={"name": "Open"}).json()
    won = deals.patch(f"deal/{opened['id']}", json={"stage": "won"})
    assert won.status_code == 200, won.text


def test_dry_run_explains_the_failed_validation(deals: Api) -> None:
    won = _won(deals)
    dry = deals.patch(f"deal/{won['id']}", params={"dry_run": "true"}, json={"stage": "open"})
    assert dry.json()["would_save"] is False
    assert dry.json()["errors"] == {"stage": KEEPS}


def test_bulk_upsert_refuses_the_item(deals: Api) -> None:
    _won(deals, "Bulk")
    answer = deals.post(
        "deal/bulk", json={"items": [{"name": "Bulk", "stage": "open"}], "upsert_key": "name"}
    ).json()
    assert answer["items"][0]["errors"] == {"stage": KEEPS}


def test_rule_made_update_is_refused_and_rolls_back(deals: Api) -> None:
    won = _won(deals)
    res = deals.post("task", json={"subject": "reopen", "deal": won["id"]})
    assert res.status_code == 422, res.text
    assert KEEPS[0] in str(res.json()["errors"])
    assert deals.get("task").json()["count"] == 0
    assert deals.get(f"deal/{won['id']}").json()["stage"] == "won"


def test_screen_save_shows_the_message(deals: Api, runtime: Runtime) -> None:
    won = _won(deals)
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "sales", "admin@sales.test").status_code == 303
        url = f"/t/sales/e/deal/{won['id']}"
        saved = post_form(web, url, {"name": "Won", "stage": "open", "version": "1"})
    assert saved.status_code == 422
    assert KEEPS[0] in saved.text
    assert deals.get(f"deal/{won['id']}").json()["stage"] == "won"
