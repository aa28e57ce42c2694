"""A dry run lists the save pipeline's steps by name, as the pipeline declares them."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.platform.records.pipeline.sequences import CREATE_STEPS, UPDATE_STEPS
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter, make_tenant

DEAL = """
    fields:
      name: {type: string, required: true}
      amount: {type: money}
      weighted: {type: money, formula: "amount / 2"}
"""


@pytest.fixture
def deals(runtime: Runtime, client: Any, write_package: PackageWriter) -> Api:
    return Api(client, "steps", make_tenant(runtime, write_package, "steps", {"deal": DEAL}))


def test_dry_run_lists_every_step_by_its_pipeline_name(deals: Api) -> None:
    body = deals.post("deal", params={"dry_run": "true"}, json={"name": "A", "amount": 8}).json()
    ran = [s["name"] for s in body["steps"] if s["kind"] == "step"]
    assert ran == [s.name for s in CREATE_STEPS]
    formula = next(s for s in body["steps"] if s["kind"] == "formula")
    assert (formula["name"], formula["step"]) == ("weighted", "formulas")
    deal = deals.post("deal", json={"name": "A"}).json()
    update = deals.patch(f"deal/{deal['id']}", params={"dry_run": "true"}, json={"amount": 4})
    assert [s["name"] for s in update.json()["steps"] if s["kind"] == "step"] == [
        s.name for s in UPDATE_STEPS
    ]
