"""The roles designer renames and deletes roles, on SQLite and PostgreSQL (issue 16).

A rename keeps the role's definition and comments, follows it into the workflows that
name it and moves its members (memberships and their access) in the same publish; a
delete is refused while anyone holds the role. Bad names, the built-in admin role and a
stale page are refused with a clear message in English and Spanish, nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.people.invitations import Invitations
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.roles import current_roles
from trellis.tenants.registry.access_admin import change_roles
from trellis.tenants.registry.members import get_member
from trellis.ui.screens.app import create_web_app

from helpers import Api, PackageWriter
from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    entity: item
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true}
      status: {type: enum, options: [new, done]}
"""
ROLES = """# Roles of the shop; this comment stays.
roles:
  clerk:
    label: Clerk   # who keeps stock
    entities:
      item: {actions: [create, read, update], scope: all}
  buyer:
    label: Buyer
    entities: {}
  auditor: {label: Auditor, entities: {item: {actions: [read]}}}
"""
FLOW = """workflow: item_flow
entity: item
field: status
initial: new
states: [new, done]
transitions:
  # Only clerks finish an item.
  - {name: finish, from: [new], to: done, roles: [clerk, auditor]}
"""
ROLES_URL = f"/t/{TENANT}/admin/roles"


@pytest.fixture
def shop(runtime: Runtime, write_package: PackageWriter) -> Runtime:
    """Roles clerk, buyer and auditor (named by a workflow); an admin and a clerk."""
    package = write_package({"item": ITEM})
    (package / "roles.yaml").write_text(ROLES, encoding="utf-8")
    (package / "workflows").mkdir()
    (package / "workflows" / "item_flow.yaml").write_text(FLOW, encoding="utf-8")
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


def _version(runtime: Runtime) -> str:
    return str(current_roles(runtime, TENANT)["version"])


def _files(runtime: Runtime) -> dict[str, str]:
    info = runtime.tenant(TENANT, fresh=True)
    version = runtime.registry.get_version(info.id, info.current_version or 0)
    assert version is not None
    return dict(version.files)


def test_a_rename_keeps_the_definition_and_moves_members_and_workflows(
    shop: Runtime, admin: TestClient[Any], client: TestClient[Any]
) -> None:
    page = admin.get(f"{ROLES_URL}/clerk")
    assert page.status_code == 200 and screen_problems(page.text) == []
    assert 'id="rename-role-name"' in page.text and 'id="delete-role"' in page.text
    renamed = post_form(
        admin, f"{ROLES_URL}/clerk/rename", {"name": "stock_clerk", "version": _version(shop)}
    )
    assert renamed.status_code == 200, renamed.text
    assert "Role clerk renamed to stock_clerk; 1 members moved with it" in renamed.text
    assert "<code>stock_clerk</code>" in renamed.text  # the renamed role's page
    files = _files(shop)
    assert files["roles.yaml"] == ROLES.replace("  clerk:", "  stock_clerk:")
    assert files["workflows/item_flow.yaml"] == FLOW.replace(
        "roles: [clerk, auditor]", "roles: [stock_clerk, auditor]"
    )
    assert get_member(shop.registry, TENANT, "clerk@shop.test").roles == ("stock_clerk",)
    assert current_roles(shop, TENANT)["roles"] == ["admin", "auditor", "buyer", "stock_clerk"]

    # The member keeps the access, and may still run the transition the role may run.
    api = Api(client, TENANT, shop.registry.create_token(TENANT, "clerk@shop.test"))
    item = api.post("item", json={"name": "Bolt"})
    assert item.status_code == 201, item.text
    done = api.post(f"item/{item.json()['id']}/transitions/finish")
    assert done.status_code == 200, done.text


def test_a_role_is_deleted_only_once_nobody_holds_it(shop: Runtime, admin: TestClient[Any]) -> None:
    before = _version(shop)
    held = post_form(admin, f"{ROLES_URL}/clerk/delete", {"version": before})
    assert held.status_code == 409, held.text
    assert (
        "Role clerk cannot be deleted: clerk@shop.test still hold it. Take it away from "
        "them, or revoke their invitations, first." in held.text
    )
    es = post_form(
        admin, f"{ROLES_URL}/clerk/delete", {"version": before}, headers={"accept-language": "es"}
    )
    assert es.status_code == 409
    assert "El rol clerk no se puede eliminar: clerk@shop.test todavía lo tienen." in es.text
    # A pending invitation holds a role too.
    Invitations(shop).invite(
        TENANT, "new@shop.test", ["auditor"], locale=None, base_url="http://t", actor="a@x"
    )
    invited = post_form(admin, f"{ROLES_URL}/auditor/delete", {"version": before})
    assert invited.status_code == 409 and "new@shop.test still hold it" in invited.text
    assert _version(shop) == before

    # Nobody holds clerk now, but a workflow names it: refused with its position.
    change_roles(shop.registry, TENANT, "clerk@shop.test", remove=("clerk",))
    named = post_form(admin, f"{ROLES_URL}/clerk/delete", {"version": before})
    assert named.status_code == 422, named.text
    assert "workflows/item_flow.yaml:8:" in named.text and "MD074" in named.text
    assert _version(shop) == before

    deleted = post_form(admin, f"{ROLES_URL}/buyer/delete", {"version": before})
    assert deleted.status_code == 200, deleted.text
    assert "Role buyer deleted" in deleted.text
    roles = _files(shop)["roles.yaml"]
    assert roles == ROLES.replace("  buyer:\n    label: Buyer\n    entities: {}\n", "")


@pytest.mark.parametrize(
    ("url", "name", "english", "spanish"),
    [
        ("clerk/rename", "", "Give the role a name.", "Dé un nombre al rol."),
        (
            "clerk/rename",
            "Bad Name",
            "'Bad Name' is not a role name: use lowercase letters, digits, _ and -",
            "«Bad Name» no es un nombre de rol: use letras minúsculas, cifras, _ y -",
        ),
        (
            "clerk/rename",
            "buyer",
            "A role named buyer already exists.",
            "Ya existe un rol llamado buyer.",
        ),
        (
            "clerk/rename",
            "admin",
            "A role named admin already exists.",
            "Ya existe un rol llamado admin.",
        ),
        ("clerk/rename", "clerk", "The role is already called clerk.", "El rol ya se llama clerk."),
        (
            "admin/rename",
            "boss",
            "The built-in role admin cannot be renamed.",
            "El rol integrado admin no se puede renombrar.",
        ),
        (
            "admin/delete",
            "",
            "The built-in role admin cannot be deleted.",
            "El rol integrado admin no se puede eliminar.",
        ),
    ],
)
def test_bad_names_and_the_admin_role_are_refused_in_both_languages(
    shop: Runtime, admin: TestClient[Any], url: str, name: str, english: str, spanish: str
) -> None:
    before = _version(shop)
    data = {"name": name, "version": before}
    refused = post_form(admin, f"{ROLES_URL}/{url}", data)
    assert refused.status_code == 422, refused.text
    assert english in refused.text.replace("&#39;", "'")
    es = post_form(admin, f"{ROLES_URL}/{url}", data, headers={"accept-language": "es"})
    assert es.status_code == 422 and spanish in es.text
    assert _version(shop) == before
    assert get_member(shop.registry, TENANT, "clerk@shop.test").roles == ("clerk",)


def test_a_stale_page_gets_409_and_an_unknown_role_404(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    stale = str(int(_version(shop)) - 1)
    refused = post_form(admin, f"{ROLES_URL}/clerk/rename", {"name": "seller", "version": stale})
    assert refused.status_code == 409
    assert "Another admin changed the roles since you opened this page" in refused.text
    assert post_form(admin, f"{ROLES_URL}/clerk/delete", {"version": stale}).status_code == 409
    assert get_member(shop.registry, TENANT, "clerk@shop.test").roles == ("clerk",)
    ghost = post_form(admin, f"{ROLES_URL}/ghost/rename", {"name": "x", "version": _version(shop)})
    assert ghost.status_code == 404


def test_a_member_who_is_not_an_admin_gets_403(shop: Runtime) -> None:
    before = _version(shop)
    with TestClient(app=create_web_app(shop)) as client:
        signed_in_client(client, TENANT, "clerk@shop.test")
        data = {"name": "boss", "version": before}
        assert post_form(client, f"{ROLES_URL}/clerk/rename", data).status_code == 403
        assert post_form(client, f"{ROLES_URL}/buyer/delete", data).status_code == 403
    assert _version(shop) == before
