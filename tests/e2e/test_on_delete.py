"""``on_delete: restrict`` and ``set_null`` through the API and the list screen's bulk delete."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PackageWriter
from helpers import Api, make_tenant
from ui_support import post_form, sign_in

OWNER = """
label: Owner
plural_label: Owners
title: name
fields:
  name: {type: string, required: true}
"""
BLOCKER = """
label: Invoice
plural_label: Invoices
title: number
fields:
  number: {type: string, required: true}
  owner: {type: reference, to: owner, on_delete: restrict}
"""
LOOSE = """
label: Memo
plural_label: Memos
title: text
fields:
  text: {type: string, required: true}
  owner: {type: reference, to: owner, on_delete: set_null}
"""
FREE = """
label: Tag
title: text
fields:
  text: {type: string, required: true}
  owner: {type: reference, to: owner}
"""
ENTITIES = {"owner": OWNER, "invoice": BLOCKER, "memo": LOOSE, "tag": FREE}


@pytest.fixture
def api(runtime: Runtime, client: TestClient[Any], write_package: PackageWriter) -> Api:
    """Tenant ``acme`` with owners, restricting invoices, set-null memos and plain tags."""
    return Api(client, "acme", make_tenant(runtime, write_package, "acme", ENTITIES))


def _make(api: Api, entity: str, **body: Any) -> int:
    response = api.post(entity, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_restrict_refuses_the_delete_naming_the_children(api: Api) -> None:
    owner = _make(api, "owner", name="Ada")
    for n in ("1", "2"):
        _make(api, "invoice", number=n, owner=owner)
    memo = _make(api, "memo", text="hi", owner=owner)
    refused = api.delete(f"owner/{owner}")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert "2 invoices still reference it" in body["errors"]["__all__"][0]
    assert body["referenced_by"] == [{"entity": "invoice", "field": "owner", "count": 2}]
    assert api.get(f"owner/{owner}").status_code == 200  # nothing changed
    assert api.get(f"memo/{memo}").json()["owner"] == owner


def test_restrict_ignores_deleted_children(api: Api) -> None:
    owner = _make(api, "owner", name="Ada")
    invoice = _make(api, "invoice", number="1", owner=owner)
    assert api.delete(f"invoice/{invoice}").status_code == 204
    assert api.delete(f"owner/{owner}").status_code == 204


def test_set_null_clears_children_with_history_and_restore_does_not_relink(api: Api) -> None:
    owner = _make(api, "owner", name="Ada")
    memo = _make(api, "memo", text="hi", owner=owner)
    tag = _make(api, "tag", text="t", owner=owner)
    assert api.delete(f"owner/{owner}").status_code == 204
    assert api.get(f"memo/{memo}").json()["owner"] is None
    assert api.get(f"tag/{tag}").json()["owner"] == owner  # no on_delete: left as it is
    history = api.get(f"memo/{memo}/_history").json()["items"]
    assert history[0]["changes"]["owner"] == [owner, None]
    assert history[0]["source"] == "on_delete"
    assert api.post(f"owner/{owner}/_restore").status_code == 200
    assert api.get(f"memo/{memo}").json()["owner"] is None


def test_bulk_delete_reports_the_restricted_item(
    runtime: Runtime, api: Api, write_package: PackageWriter
) -> None:
    blocked = _make(api, "owner", name="Blocked")
    free = _make(api, "owner", name="Free")
    _make(api, "invoice", number="1", owner=blocked)
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "acme", "admin@acme.test", "correct horse battery").status_code == 303
        ids = [str(blocked), str(free)]
        done = post_form(web, "/t/acme/e/owner/_bulk", {"ids": ids, "action": "delete"})
    assert "1 of 2 records deleted." in done.text
    assert f"#{blocked}: The owner {blocked} cannot be deleted: 1 invoice still" in done.text
    assert api.get(f"owner/{free}").status_code == 404
