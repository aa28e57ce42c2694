"""A ``lines`` field placed in a declared ``layouts:`` form (issue 14 items 5-7): the
table of lines is shown in its section and saved with the parent in one save, on
SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.api.app import create_app
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api
from lines_layout_support import layout_package
from ui_support import add_user, post_form, sign_in

TENANT = "shop"


class World:
    """Tenant ``shop``: the invoice package with a declared form layout; an API client
    and a signed-in screens client (both clerks)."""

    def __init__(self, runtime: Runtime, api: Api, web: TestClient[Any]) -> None:
        self.runtime, self.api, self.web = runtime, api, web


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"lines-layout-{request.param}")
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    config = RuntimeConfig(data_dir=tmp / "data", version_check_interval=0.0)
    if request.param == "postgres":
        config = RuntimeConfig(
            data_dir=tmp / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    runtime = Runtime(config)
    try:
        runtime.registry.create_tenant(TENANT)
        publish(runtime, TENANT, layout_package(Path(tmp)))
        add_user(runtime, TENANT, "clerk@shop.test", ["clerk"])
        token = runtime.registry.create_token(TENANT, "clerk@shop.test")
        with (
            TestClient(app=create_app(runtime)) as api,
            TestClient(app=create_web_app(runtime)) as web,
        ):
            assert sign_in(web, TENANT, "clerk@shop.test").status_code in (302, 303)
            yield World(runtime, Api(api, TENANT, token), web)
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _legends(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r"<legend>([^<]*)</legend>", html)]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_table_of_lines_sits_in_its_declared_section(world: World) -> None:
    form = world.web.get(f"/t/{TENANT}/e/invoice/new")
    assert form.status_code == 200
    html = form.text
    # Header, then the lines (the section holds the table), then Terms; no second table.
    assert _legends(html) == ["Header", "What was sold", "Items", "Terms"]
    assert html.count('data-lines="items"') == 1 and html.count('name="items-present"') == 1
    assert (
        html.index('name="number"')
        < html.index('data-lines="items"')
        < html.index('name="discount"')
    )
    assert 'name="items-r0-description"' in html  # a new invoice starts with one empty line
    assert 'name="items"' not in html  # never an input for the lines field itself


def test_a_declared_form_saves_the_parent_and_its_lines_in_one_save(world: World) -> None:
    row = world.web.get(f"/t/{TENANT}/e/invoice/_line_row", params={"field": "items"})
    key = re.search(r'name="items-(n[0-9a-f]+)-quantity"', row.text)
    assert key is not None
    fields = {
        "number": "L-1",
        "discount": "1",
        "items-present": "1",
        "items-r0-description": "Desk",
        "items-r0-quantity": "2",
        "items-r0-unit_price": "10",
        f"items-{key[1]}-description": "Chair",
        f"items-{key[1]}-quantity": "-1",
        f"items-{key[1]}-unit_price": "5",
    }
    bad = post_form(world.web, f"/t/{TENANT}/e/invoice", fields)
    assert bad.status_code == 422 and "The quantity cannot be negative." in bad.text
    # The errors come back inside the declared section, with what was typed.
    assert _legends(bad.text)[:3] == ["Header", "What was sold", "Items"]
    assert 'value="Chair"' in bad.text
    assert _ok(world.api.get("invoice", params={"filter": 'number == "L-1"'}))["items"] == []

    fields[f"items-{key[1]}-quantity"] = "3"
    done = post_form(world.web, f"/t/{TENANT}/e/invoice", fields, follow_redirects=False)
    assert done.status_code in (302, 303), done.text
    ident = int(done.headers["location"].rsplit("/", 1)[1])
    saved = _ok(world.api.get(f"invoice/{ident}"))
    assert saved["version"] == 1  # parent and lines: one save
    assert [(i["description"], i["quantity"]) for i in saved["items"]] == [
        ("Desk", 2),
        ("Chair", 3),
    ]
    assert D(saved["subtotal"]) == D("35") and D(saved["total"]) == D("34")

    edit = world.web.get(f"/t/{TENANT}/e/invoice/{ident}/edit")
    desk, chair = (i["id"] for i in saved["items"])
    assert f'name="items-r0-id" value="{desk}"' in edit.text
    assert _legends(edit.text)[:3] == ["Header", "What was sold", "Items"]
    changed = post_form(
        world.web,
        f"/t/{TENANT}/e/invoice/{ident}",
        {
            "number": "L-1",
            "discount": "0",
            "version": "1",
            "items-present": "1",
            "items-r0-id": str(desk),
            "items-r0-remove": "on",
            "items-r1-id": str(chair),
            "items-r1-description": "Chair",
            "items-r1-quantity": "4",
            "items-r1-unit_price": "5",
            "items-r2-description": "Lamp",
            "items-r2-quantity": "1",
            "items-r2-unit_price": "7",
        },
        follow_redirects=False,
    )
    assert changed.status_code in (302, 303), changed.text
    after = _ok(world.api.get(f"invoice/{ident}"))
    assert [(i["description"], i["quantity"]) for i in after["items"]] == [
        ("Chair", 4),
        ("Lamp", 1),
    ]
    assert after["items"][0]["id"] == chair and after["version"] == 2
    assert D(after["subtotal"]) == D("27")
    assert world.api.get(f"invoice_line/{desk}").status_code == 404
