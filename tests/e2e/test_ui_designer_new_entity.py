"""Adding an entity from the entities designer (issue 16, item 5), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

from trellis.platform.drafts import DraftFileNotFoundError, DraftStore, read_file
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
entity: item
label: {en: Item, es: Artículo}
title: name
fields:
  name: {type: string, required: true, max_length: 100, label: {en: Name, es: Nombre}}
"""
URL = f"/t/{TENANT}/admin/entities"


def _tenant(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    add_user(runtime, TENANT, "sales@shop.test", ["sales"])


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _add(client: TestClient[Any], runtime: Runtime, follow: bool = True, **values: str) -> Any:
    data = {"draft_version": str(_revision(runtime)), "label_en": "Gadget", **values}
    return post_form(client, URL, data, follow_redirects=follow)


def _error(html: str, key: str) -> str:
    found = re.search(rf'<p class="error" id="new-error-{key}">([^<]+)</p>', html)
    assert found is not None, html
    return found.group(1)


def test_add_an_entity_plan_it_as_a_new_table_publish_and_list_it(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        listing = client.get(URL)
        assert 'id="new-entity-form"' in listing.text
        assert 'name="title_field" value="name"' in listing.text
        assert screen_problems(listing.text) == []
        before = _revision(runtime)
        added = _add(
            client,
            runtime,
            name="gadget",
            label_en="Gadget",
            label_es="Aparato",
            title_field="title",
            title_label_en="Title",
            title_label_es="Título",
            follow=False,
        )
        assert added.status_code == 303
        assert added.headers["location"] == f"/t/{TENANT}/admin/entities/gadget"
        page = client.get(added.headers["location"])
        assert page.status_code == 200
        assert "Entity gadget added to the draft." in page.text
        assert '<tr id="field-title">' in page.text
        text, revision = read_file(runtime, TENANT, "entities/gadget.yaml")
        assert revision == before + 1
        assert text == (
            "entity: gadget\n"
            "label: {en: Gadget, es: Aparato}\n"
            "title: title\n"
            "fields:\n"
            "  title: {type: string, required: true, max_length: 200, "
            "label: {en: Title, es: Título}}\n"
        )
        assert 'id="entity-gadget"' in client.get(URL).text

        plan = client.get(f"/t/{TENANT}/admin/publish/plan").text
        assert "New entity gadget" in plan
        ddl = re.search(r'<pre class="ddl" id="ddl">([^<]*)</pre>', plan)
        assert ddl is not None and re.search(r"CREATE TABLE (\S+\.)?gadget\b", ddl.group(1))
        assert runtime.tenant(TENANT, fresh=True).current_version == 1  # a plan changes nothing

        done = post_form(client, f"/t/{TENANT}/admin/publish", {"comment": "Add gadgets"})
        assert done.status_code == 200 and "Version 2 published." in done.text
        screen = client.get(f"/t/{TENANT}/e/gadget")
        assert screen.status_code == 200
        assert "Gadget" in screen.text


def test_bad_new_entities_are_refused_with_the_reason_and_nothing_saved(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        before = _revision(runtime)
        taken = _add(client, runtime, name="item")
        assert taken.status_code == 422
        assert _error(taken.text, "name") == "The application already has an entity named item."
        assert 'value="item"' in taken.text  # the typed values stay
        invalid = _add(client, runtime, name="Gadget-2")
        assert invalid.status_code == 422
        assert _error(invalid.text, "name") == (
            "Gadget-2 is not a valid entity name: lower case letters, digits and _, "
            "starting with a letter, at most 40 characters."
        )
        assert _add(client, runtime, name="g" * 41).status_code == 422
        for reserved in ("admin", "api", "search", "and", "empty"):
            refused = _add(client, runtime, name=reserved)
            assert refused.status_code == 422, reserved
            assert _error(refused.text, "name").startswith(f"{reserved} is reserved:")
        no_label = _add(client, runtime, name="gadget", label_en="", label_es="Aparato")
        assert no_label.status_code == 422
        assert _error(no_label.text, "label") == "Give the entity a label in English."
        assert 'aria-describedby="new-error-label"' in no_label.text
        no_name = _add(client, runtime, name="")
        assert _error(no_name.text, "name") == "Give the entity a name."
        bad_title = _add(client, runtime, name="gadget", title_field="deleted_at")
        assert bad_title.status_code == 422
        listed = re.findall(r"<li><code>([^<]+)</code></li>", bad_title.text)
        assert any(
            re.match(r"entities/gadget\.yaml:\d+:\d+: error MD015: field &#39;deleted_at", e)
            for e in listed
        ), listed
        assert _revision(runtime) == before
        assert read_file_missing(runtime, "entities/gadget.yaml")

        stale = post_form(
            client, URL, {"name": "gadget", "label_en": "Gadget", "draft_version": str(before + 5)}
        )
        assert stale.status_code == 409
        assert "saved the draft since you opened this page" in stale.text
        assert 'value="gadget"' in stale.text
        assert _revision(runtime) == before
        assert read_file_missing(runtime, "entities/gadget.yaml")


def read_file_missing(runtime: Runtime, path: str) -> bool:
    """True when the draft has no file at ``path``."""
    try:
        read_file(runtime, TENANT, path)
    except DraftFileNotFoundError:
        return True
    return False


def test_a_member_who_is_not_an_admin_gets_403_and_the_form_speaks_spanish(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "sales@shop.test")
        refused = _add(client, runtime, name="gadget")
        assert refused.status_code == 403
        assert "Only tenant admins may change the application." in refused.text
        assert _revision(runtime) == 0
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        es = {"Accept-Language": "es"}
        page = client.get(URL, headers=es).text
        assert "Nueva entidad" in page and "Añadir la entidad al borrador" in page
        assert "Campo de título" in page
        data = {"name": "admin", "label_en": "X", "draft_version": str(_revision(runtime))}
        reserved = post_form(client, URL, data, headers=es)
        assert reserved.status_code == 422
        assert "admin está reservado" in reserved.text
