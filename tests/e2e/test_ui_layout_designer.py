"""The layout designer's page: every change is a form post; refusals keep the draft (issue 16)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.drafts import DraftStore
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    entity: item
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true, label: {en: Name, es: Nombre}}
      size: {type: enum, options: [small, large], label: {en: Size, es: Talla}}
      quantity: {type: integer, label: {en: Quantity, es: Cantidad}}
    layouts:
      list: {columns: [name, size]}
      form:
        sections:
          - {label: {en: Main, es: Principal}, fields: [name, size]}
          - {label: {en: More, es: Más}, fields: [quantity]}
"""
URL = f"/t/{TENANT}/admin/entities/item/layouts"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A SQLite tenant with one entity, an admin and a plain member."""
    root = tmp_path_factory.mktemp("layouts")
    package = root / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "app.yaml").write_text("name: shop\nversion: 1.0.0\nlabel: Shop\n")
    (package / "entities" / "item.yaml").write_text(textwrap.dedent(ITEM).lstrip())
    runtime = Runtime(RuntimeConfig(data_dir=root / "data", version_check_interval=0.0))
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, package)
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    add_user(runtime, TENANT, "sales@shop.test", ["sales"])
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def admin_browser(shop: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser, signed in once for the module."""
    with TestClient(app=create_web_app(shop)) as client:
        yield signed_in_client(client, TENANT, "admin@shop.test")


@pytest.fixture
def admin(shop: Runtime, admin_browser: TestClient[Any]) -> TestClient[Any]:
    """The admin's browser, with the draft emptied first."""
    info = shop.tenant(TENANT, fresh=True)
    DraftStore(shop.registry).discard(info.id, None, info.current_version, "test")
    return admin_browser


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _form_order(html: str) -> list[str]:
    screen = html[html.index('id="screen-form"') : html.index('id="screen-detail"')]
    return re.findall(r'id="form-field-(\w+)"', screen)


def test_the_page_shows_every_screen_with_labelled_controls_and_no_inline_script(
    admin: TestClient[Any],
) -> None:
    answer = admin.get(URL)
    assert answer.status_code == 200
    assert _form_order(answer.text) == ["name", "size", "quantity"]
    for screen in ("form", "detail", "list"):
        assert f'id="screen-{screen}"' in answer.text
    assert 'aria-label="Move Size down"' in answer.text
    assert "Generated from the fields" in answer.text  # detail is not declared
    assert screen_problems(answer.text) == []
    spanish = admin.get(URL, headers={"accept-language": "es"})
    assert "Diseños de Artículo" in spanish.text
    assert 'aria-label="Bajar Talla"' in spanish.text


def test_a_button_post_moves_the_field_in_the_draft(shop: Runtime, admin: TestClient[Any]) -> None:
    data = {"draft_version": str(_revision(shop)), "screen": "form", "field": "name", "op": "down"}
    moved = post_form(admin, URL, data)
    assert moved.status_code == 200
    assert "Layout saved in the draft." in moved.text
    assert _form_order(moved.text) == ["size", "name", "quantity"]


def test_a_refused_change_shows_why_and_leaves_the_draft(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    before = _revision(shop)
    data = {"draft_version": str(before), "screen": "form", "field": "colour", "op": "add"}
    bad = post_form(admin, URL, {**data, "section": "0"})
    assert bad.status_code == 422
    assert "Entity &#39;item&#39; has no field &#39;colour&#39;." in bad.text
    spanish = post_form(admin, URL, {**data, "section": "0"}, headers={"accept-language": "es"})
    assert "La entidad &#39;item&#39; no tiene el campo &#39;colour&#39;." in spanish.text
    stale = {"draft_version": str(before), "screen": "form", "field": "name", "op": "down"}
    post_form(admin, URL, stale)
    again = post_form(admin, URL, {**stale, "op": "up"})
    assert again.status_code == 409
    assert "Nothing was changed" in again.text
    assert _form_order(again.text) == ["size", "name", "quantity"]
    assert _revision(shop) == before + 1


def test_a_member_who_is_not_an_admin_gets_403(shop: Runtime) -> None:
    before = _revision(shop)
    with TestClient(app=create_web_app(shop)) as client:
        signed_in_client(client, TENANT, "sales@shop.test")
        assert client.get(URL).status_code == 403
        data = {"draft_version": str(before), "screen": "form", "field": "name", "op": "down"}
        assert post_form(client, URL, data).status_code == 403
    assert _revision(shop) == before
