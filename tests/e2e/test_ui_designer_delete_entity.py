"""Deleting an entity from the entities designer (issue 16), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.drafts import DraftStore, read_file
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_activity_support import create, screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true, max_length: 100}
"""
ORDER = """
    label: Order
    title: code
    fields:
      code: {type: string, required: true}
      item: {type: reference, to: item}
      item_name: {type: string, formula: "item.name"}
"""
GADGET = """
    label: Gadget
    title: name
    fields:
      name: {type: string, required: true}
"""
ROLES = """roles:
  sales:
    label: Sales
    entities:
      order: {actions: [read], scope: all}
      item: {actions: [read], scope: all}
"""
BASE = f"/t/{TENANT}/admin/entities"


def _tenant(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant(TENANT)
    root = write_package({"item": ITEM, "order": ORDER, "gadget": GADGET})
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    publish(runtime, TENANT, root)
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    add_user(runtime, TENANT, "sales@shop.test", ["sales"])
    for name in ("A", "B", "C"):
        create(runtime, TENANT, "admin@shop.test", "gadget", {"name": name})


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _delete(client: TestClient[Any], runtime: Runtime, entity: str, **values: str) -> Any:
    data = {"draft_version": str(_revision(runtime)), **values}
    return post_form(client, f"{BASE}/{entity}/delete", data, follow_redirects=False)


def _rows(runtime: Runtime, table: str) -> int:
    schema = runtime.engines.tenant_schema(TENANT)
    with runtime.engines.tenant_engine(TENANT).connect() as conn:
        query = sa.select(sa.func.count()).select_from(sa.table(table, schema=schema))
        return int(conn.execute(query).scalar() or 0)


def test_delete_an_unused_entity_confirm_publish_and_roll_back(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        assert f'href="{BASE}/gadget/delete"' in client.get(f"{BASE}/gadget").text
        shown = client.get(f"{BASE}/gadget/delete")
        assert shown.status_code == 200
        assert screen_problems(shown.text) == []
        assert "Removes the file entities/gadget.yaml from the draft." in shown.text
        table = re.search(r'<li id="plan-table">([^<]+)</li>', shown.text)
        assert table is not None
        schema = runtime.engines.tenant_schema(TENANT)
        qualified = f"{schema}.gadget" if schema else "gadget"
        assert f"the table {qualified} and its 3 records (3 live)" in table.group(1)
        assert "A rollback to version 1 brings the entity back with its records." in shown.text
        assert 'id="no-dependants"' in shown.text
        assert 'id="confirm-delete" name="confirm"' in shown.text

        before = _revision(runtime)
        for typed in ("", "Gadget", "gadgets"):
            refused = _delete(client, runtime, "gadget", confirm=typed)
            assert refused.status_code == 422, typed
            assert "Type the entity&#39;s name, gadget, exactly to confirm" in refused.text
        assert _revision(runtime) == before
        done = _delete(client, runtime, "gadget", confirm="gadget")
        assert done.status_code == 303 and done.headers["location"] == BASE
        assert _revision(runtime) == before + 1
        listing = client.get(BASE).text
        assert 'id="entity-gadget"' not in listing
        assert "Entity gadget deleted from the draft." in listing
        assert client.get(f"{BASE}/gadget/delete").status_code == 404

        plan = client.get(f"/t/{TENANT}/admin/publish/plan").text
        assert "drops entity gadget: 3 rows" in plan
        assert '<input id="confirm-gadget" name="confirm_gadget"' in plan
        refused = post_form(client, f"/t/{TENANT}/admin/publish", {})
        assert refused.status_code == 409
        done = post_form(client, f"/t/{TENANT}/admin/publish", {"confirm_gadget": "gadget"})
        assert "Version 2 published." in done.text
        assert client.get(f"/t/{TENANT}/e/gadget").status_code == 404
        assert _rows(runtime, "gadget") == 3  # archived, not erased

        back = post_form(client, f"/t/{TENANT}/admin/versions/1/rollback", {"comment": ""})
        assert "Rolled back to version 1 as version 3." in back.text
        listed = client.get(f"/t/{TENANT}/e/gadget")
        assert listed.status_code == 200
        assert all(name in listed.text for name in ("A", "B", "C"))


def test_an_entity_other_metadata_names_is_refused_with_every_place(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        shown = client.get(f"{BASE}/item/delete")
        assert shown.status_code == 200
        places = re.findall(r"<li><code>([^<]+)</code>", shown.text)
        assert any(re.fullmatch(r"entities/order\.yaml:\d+", p) for p in places), places
        assert any(re.fullmatch(r"roles\.yaml:\d+", p) for p in places), places
        order_lines = {int(p.split(":")[1]) for p in places if p.startswith("entities/order")}
        text, _revision_read = read_file(runtime, TENANT, "entities/order.yaml")
        lines = text.splitlines()
        assert any("to: item" in lines[n - 1] for n in order_lines)
        assert len(places) == 2  # the reference field and the role
        assert 'id="delete-entity-form"' not in shown.text  # nothing to confirm yet

        before = _revision(runtime)
        refused = _delete(client, runtime, "item", confirm="item")
        assert refused.status_code == 422
        assert (
            "item cannot be deleted while other parts of the application name it "
            "(2 listed below). Remove them first, then delete the entity." in refused.text
        )
        assert _revision(runtime) == before
        text, _ = read_file(runtime, TENANT, "entities/item.yaml")
        assert "name:" in text

        spanish = post_form(
            client,
            f"{BASE}/item/delete",
            {"draft_version": str(before), "confirm": "item"},
            headers={"accept-language": "es"},
        )
        assert spanish.status_code == 422
        assert "item no se puede eliminar mientras otras partes de la aplicación la nombren" in (
            spanish.text
        )


def test_stale_unknown_and_non_admin_deletions_are_refused(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        stale = post_form(
            client,
            f"{BASE}/gadget/delete",
            {"draft_version": "7", "confirm": "gadget"},
            follow_redirects=False,
        )
        assert stale.status_code == 409
        assert "Another admin" in stale.text
        assert client.get(f"{BASE}/nothing/delete").status_code == 404
        assert _delete(client, runtime, "nothing", confirm="nothing").status_code == 404
        spanish = post_form(
            client,
            f"{BASE}/gadget/delete",
            {"draft_version": str(_revision(runtime)), "confirm": "x"},
            headers={"accept-language": "es"},
        )
        assert "Escriba el nombre de la entidad, gadget, exactamente" in spanish.text
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "sales@shop.test")
        assert client.get(f"{BASE}/gadget/delete").status_code == 403
        assert _delete(client, runtime, "gadget", confirm="gadget").status_code == 403
    assert read_file(runtime, TENANT, "entities/gadget.yaml")[0]
