"""The publish page and the history: plan, publish, destructive confirmation, diff, rollback."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.drafts import read_file, save_file
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_activity_support import call_of, create, screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    label: Item
    title: name
    fields:
      name: {type: string, required: true, max_length: 100}
      fax: {type: string}
"""
ITEM_PATH = "entities/item.yaml"


def _tenant(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])


def _version(runtime: Runtime) -> int | None:
    return runtime.tenant(TENANT, fresh=True).current_version


def _plan(client: TestClient[Any]) -> str:
    answer = client.get(f"/t/{TENANT}/admin/publish/plan")
    assert answer.status_code == 200
    return answer.text


def test_add_a_field_see_the_plan_publish_diff_and_roll_back(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        added = post_form(
            client,
            f"/t/{TENANT}/admin/entities/item/fields",
            {"name": "code", "type": "string", "opt_max_length": "20", "draft_version": "0"},
        )
        assert "Field code saved in the draft." in added.text
        page = client.get(f"/t/{TENANT}/admin/publish").text
        assert "<code>entities/item.yaml</code>" in page and "admin@shop.test" in page
        assert 'hx-get="/t/shop/admin/publish/plan"' in page
        assert screen_problems(page) == []

        plan = _plan(client)
        dialect = runtime.engines.tenant_engine(TENANT).dialect.name
        assert f"Database changes ({dialect})" in plan
        ddl = re.search(r'<pre class="ddl" id="ddl">([^<]*)</pre>', plan)
        assert ddl is not None and "ADD COLUMN code VARCHAR(20)" in ddl.group(1)
        assert "New field code of item" in plan
        assert 'id="destructive"' not in plan and 'id="confirm-' not in plan
        assert _version(runtime) == 1  # a plan changes nothing

        done = post_form(client, f"/t/{TENANT}/admin/publish", {"comment": "Add a code"})
        assert done.status_code == 200
        assert "Version 2 published." in done.text
        row = re.search(r'<tr id="version-2">(.*?)</tr>', done.text, re.S)
        assert row is not None
        assert "admin@shop.test" in row.group(1) and "Add a code" in row.group(1)
        assert "publish" in row.group(1) and "running" in row.group(1)
        assert screen_problems(done.text) == []
        _, call = call_of(runtime, TENANT, "admin@shop.test")
        assert "code" in readable_entity(call, "item").entity.fields

        diff = client.get(f"/t/{TENANT}/admin/versions/diff?a=1&b=2").text
        assert "New field code of item" in diff and "+  code: {type: string" in diff
        assert client.get(f"/t/{TENANT}/admin/versions/diff?a=1&b=9").status_code == 404

        shown = client.get(f"/t/{TENANT}/admin/versions/1/rollback")
        assert shown.status_code == 200
        assert "archives `code` of item" in shown.text
        assert _version(runtime) == 2  # shown as a plan first
        back = post_form(client, f"/t/{TENANT}/admin/versions/1/rollback", {"comment": ""})
        assert "Rolled back to version 1 as version 3." in back.text
        assert "Rollback to version 1" in back.text
    assert _version(runtime) == 3
    _, call = call_of(runtime, TENANT, "admin@shop.test")
    assert "code" not in readable_entity(call, "item").entity.fields


@pytest.mark.parametrize(
    "config", ["sqlite"], indirect=True
)  # the screens only; API tests cover both
def test_an_invalid_draft_or_an_unconfirmed_drop_publishes_nothing(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    create(runtime, TENANT, "admin@shop.test", "item", {"name": "A", "fax": "555 1234"})
    text, revision = read_file(runtime, TENANT, ITEM_PATH)
    bad = text.replace("type: string}", "type: strin}", 1)
    revision = save_file(runtime, TENANT, ITEM_PATH, bad, revision, "ana@shop.test")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        plan = _plan(client)
        errors = re.search(
            r'<div class="error-summary" role="alert" id="draft-errors">(.*?)</div>', plan, re.S
        )
        assert errors is not None
        assert re.search(r"entities/item\.yaml:\d+:\d+: error MD\d{3}: .*strin", errors.group(1))
        assert 'id="publish-form"' not in plan
        refused = post_form(client, f"/t/{TENANT}/admin/publish", {"comment": "x"})
        assert refused.status_code == 422
        assert "The draft has errors; nothing was published." in refused.text
        assert _version(runtime) == 1

        dropped = text.replace("  fax: {type: string}\n", "")
        save_file(runtime, TENANT, ITEM_PATH, dropped, revision, "ana@shop.test")
        plan = _plan(client)
        assert "drops `fax` of item: 1 non-empty value" in plan
        assert '<input id="confirm-item" name="confirm_item"' in plan
        for typed in ({}, {"confirm_item": "Item"}):
            refused = post_form(client, f"/t/{TENANT}/admin/publish", typed)
            assert refused.status_code == 409
            assert "type the name of each entity to confirm" in refused.text
            assert "drops `fax` of item: 1 non-empty value" in refused.text
            assert _version(runtime) == 1
        done = post_form(client, f"/t/{TENANT}/admin/publish", {"confirm_item": "item"})
        assert "Version 2 published." in done.text
    assert _version(runtime) == 2
    schema = runtime.engines.tenant_schema(TENANT)
    with runtime.engines.tenant_engine(TENANT).connect() as conn:  # archived, not dropped
        names = [c["name"] for c in sa.inspect(conn).get_columns("item", schema=schema)]
    assert "fax" in names
