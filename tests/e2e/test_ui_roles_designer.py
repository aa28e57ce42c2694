"""The roles designer: the matrix, saves through the path of ``PUT _roles``, 409, 422, 403."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.roles import current_roles
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_activity_support import call_of, screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    entity: item
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true, label: {en: Name, es: Nombre}}
      cost: {type: integer, label: {en: Cost, es: Coste}}
      quantity: {type: integer, label: {en: Quantity, es: Cantidad}}
"""
SUPPLIER = """
    entity: supplier
    label: {en: Supplier, es: Proveedor}
    title: name
    fields:
      name: {type: string, required: true}
"""
ROLES = """# Roles of the shop; this comment stays.
roles:
  clerk:
    label: Clerk
    entities:
      item:
        actions: [read, update]   # the clerk keeps stock
        scope: own
        fields: {cost: hidden}
      supplier: {actions: [read]}
"""
ROLE_URL = f"/t/{TENANT}/admin/roles/clerk"


@pytest.fixture
def shop(runtime: Runtime, write_package: PackageWriter) -> Runtime:
    """Tenant ``shop`` (SQLite or PostgreSQL) with a clerk role, an admin and a clerk."""
    package = write_package({"item": ITEM, "supplier": SUPPLIER})
    (package / "roles.yaml").write_text(ROLES, encoding="utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, package)
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    add_user(runtime, TENANT, "clerk@shop.test", ["clerk"])
    return runtime


@pytest.fixture
def admin(shop: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser."""
    with TestClient(app=create_web_app(shop)) as client:
        yield signed_in_client(client, TENANT, "admin@shop.test")


class _Form(HTMLParser):
    """The values the role form would post as it is shown (checked boxes, selections)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.values[name] = "on"
        elif tag == "input" and name and name != "_csrf_token":
            self.values[name] = a.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _form(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html[html.index('id="role-form"') :])
    return parser.values


def _can(runtime: Runtime, entity: str, action: str) -> bool:
    _api, call = call_of(runtime, TENANT, "clerk@shop.test")
    return bool(call.access.can(entity, action))


def test_the_pages_show_the_matrix_with_labelled_controls_in_both_languages(
    admin: TestClient[Any],
) -> None:
    overview = admin.get(f"/t/{TENANT}/admin/roles")
    assert overview.status_code == 200
    assert 'href="/t/shop/admin/roles/clerk"' in overview.text
    assert 'href="/t/shop/admin/roles"' in overview.text  # the admin navigation
    assert screen_problems(overview.text) == []
    shown = admin.get(ROLE_URL)
    assert shown.status_code == 200, shown.text
    assert screen_problems(shown.text) == []
    values = _form(shown.text)
    assert values["a:item:read"] == values["a:item:update"] == "on"
    assert "a:item:delete" not in values
    assert values["s:item"] == "own" and values["s:supplier"] == "all"
    assert values["f:item:cost"] == "hidden" and values["f:item:quantity"] == ""
    assert '<th scope="col">Delete</th>' in shown.text
    spanish = admin.get(ROLE_URL, headers={"accept-language": "es"})
    assert '<th scope="col">Eliminar</th>' in spanish.text
    assert "Ver como este rol" in spanish.text


def test_changing_a_cell_publishes_at_once_and_keeps_the_rest_of_the_file(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    assert not _can(shop, "item", "delete")
    values = _form(admin.get(ROLE_URL).text)
    version = int(values["version"])
    saved = post_form(admin, ROLE_URL, {**values, "a:item:delete": "on", "s:supplier": "team"})
    assert saved.status_code == 200, saved.text
    assert f"Role clerk saved and in effect (version {version + 1})." in saved.text
    assert _can(shop, "item", "delete")
    after = current_roles(shop, TENANT)
    assert after["version"] == version + 1
    source = after["source"]
    assert source.startswith("# Roles of the shop; this comment stays.\n")
    assert "item: {actions: [read, update, delete], scope: own, fields: {cost: hidden}}" in source
    assert "supplier: {actions: [read], scope: team}" in source
    again = _form(saved.text)
    assert again["a:item:delete"] == "on" and again["s:supplier"] == "team"
    same = post_form(admin, ROLE_URL, again)
    assert "Nothing to save: the role is unchanged." in same.text
    assert current_roles(shop, TENANT)["version"] == version + 1


def test_field_access_and_removing_an_entity(shop: Runtime, admin: TestClient[Any]) -> None:
    values = _form(admin.get(ROLE_URL).text)
    values["f:item:cost"] = ""
    values["f:item:quantity"] = "read_only"
    values.pop("a:supplier:read")
    saved = post_form(admin, ROLE_URL, values)
    assert saved.status_code == 200, saved.text
    source = current_roles(shop, TENANT)["source"]
    assert "fields: {quantity: read_only}" in source and "supplier" not in source
    assert not _can(shop, "supplier", "read")
    preview = admin.get(f"{ROLE_URL}/preview")
    assert preview.status_code == 200
    assert 'id="preview-supplier"' not in preview.text
    assert "Quantity (read-only)" in preview.text


def test_the_label_and_description_change_in_place(shop: Runtime, admin: TestClient[Any]) -> None:
    values = _form(admin.get(ROLE_URL).text)
    assert values["label"] == "Clerk"
    text = {"label": "Shop clerk", "description": "Keeps the stock.\r\nNothing else."}
    saved = post_form(admin, ROLE_URL, {**values, **text})
    assert saved.status_code == 200, saved.text
    source = current_roles(shop, TENANT)["source"]
    assert '    label: "Shop clerk"\n' in source
    assert '    description: "Keeps the stock.\\nNothing else."\n' in source
    assert "Shop clerk" in admin.get(f"/t/{TENANT}/admin/roles").text


def test_a_stale_page_gets_409_and_changes_nothing(shop: Runtime, admin: TestClient[Any]) -> None:
    values = _form(admin.get(ROLE_URL).text)
    first = post_form(admin, ROLE_URL, {**values, "a:item:create": "on"})
    assert first.status_code == 200, first.text
    before = current_roles(shop, TENANT)
    stale = post_form(admin, ROLE_URL, {**values, "a:item:export": "on"})
    assert stale.status_code == 409
    assert "Another admin changed the roles since you opened this page" in stale.text
    assert current_roles(shop, TENANT) == before
    assert not _can(shop, "item", "export")
    assert _form(stale.text)["version"] == str(before["version"])


def test_an_invalid_condition_is_shown_on_its_row_and_nothing_changes(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    before = current_roles(shop, TENANT)
    values = _form(admin.get(ROLE_URL).text)
    bad = post_form(admin, ROLE_URL, {**values, "w:item": "quantity >", "a:item:delete": "on"})
    assert bad.status_code == 422
    row = bad.text[bad.text.index('id="row-item"') : bad.text.index('id="row-supplier"')]
    assert 'id="err-item"' in row and "roles.yaml:" in row and "MD073" in row
    assert 'aria-invalid="true"' in row
    kept = _form(bad.text)  # what the admin typed is still there
    assert kept["w:item"] == "quantity >" and kept["a:item:delete"] == "on"
    assert current_roles(shop, TENANT) == before
    assert not _can(shop, "item", "delete")
    spanish = post_form(
        admin, ROLE_URL, {**values, "w:item": "quantity >"}, headers={"accept-language": "es"}
    )
    assert "No se ha guardado nada" in spanish.text


def test_a_new_role_and_a_taken_name(shop: Runtime, admin: TestClient[Any]) -> None:
    url = f"/t/{TENANT}/admin/roles"
    version = current_roles(shop, TENANT)["version"]
    made = post_form(admin, url, {"name": "buyer", "label": "Buyer", "version": str(version)})
    assert made.status_code == 200, made.text
    assert "Role buyer created; it has no access yet." in made.text
    assert current_roles(shop, TENANT)["roles"] == ["admin", "buyer", "clerk"]
    taken = post_form(admin, url, {"name": "clerk", "version": str(version + 1)})
    assert taken.status_code == 422 and "A role named clerk already exists." in taken.text
    bad = post_form(admin, url, {"name": "Bad Name", "version": str(version + 1)})
    assert bad.status_code == 422 and "roles.yaml:" in bad.text
    assert current_roles(shop, TENANT)["version"] == version + 1


def test_a_member_who_is_not_an_admin_gets_403(shop: Runtime) -> None:
    before = current_roles(shop, TENANT)
    with TestClient(app=create_web_app(shop)) as client:
        signed_in_client(client, TENANT, "clerk@shop.test")
        for url in (f"/t/{TENANT}/admin/roles", ROLE_URL, f"{ROLE_URL}/preview"):
            assert client.get(url).status_code == 403, url
        data = {"version": str(before["version"]), "a:item:delete": "on", "a:item:read": "on"}
        assert post_form(client, ROLE_URL, data).status_code == 403
        new = {"version": str(before["version"]), "name": "sneaky"}
        assert post_form(client, f"/t/{TENANT}/admin/roles", new).status_code == 403
    assert current_roles(shop, TENANT) == before


def test_an_unknown_role_is_404(admin: TestClient[Any]) -> None:
    assert admin.get(f"/t/{TENANT}/admin/roles/ghost").status_code == 404
    assert admin.get(f"/t/{TENANT}/admin/roles/ghost/preview").status_code == 404
