"""Editing references and multi-value fields in place: a picker, saved through the same
pipeline as the form, with 422 and 409 shown in the editor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import make_tenant
from ui_records import Creator, creator, record
from ui_support import post_form, sign_in

HX = {"HX-Request": "true"}


@pytest.fixture
def web(runtime: Runtime, write_package: Any) -> Iterator[tuple[TestClient[Any], Creator]]:
    """The small test package (account.channels multi_enum, contact.account reference)."""
    make_tenant(runtime, write_package, "acme")
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield client, creator(runtime, "acme", admin)


def test_reference_is_picked_in_place_with_422_and_409(
    web: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = web
    first = create("account", name="First Corp")["id"]
    second = create("account", name="Second Corp")["id"]
    ident = create("contact", last_name="Ruiz", account=first)["id"]
    url = f"/t/acme/e/contact/{ident}"
    page = client.get(url).text
    assert f'href="/t/acme/e/account/{first}"' in page  # still a link beside its edit button
    assert f"{url}/_field/account?" in page
    editor = client.get(f"{url}/_field/account?place=s", headers=HX).text
    assert f'name="account" id="inline-s-account-input-id" value="{first}"' in editor
    assert 'value="First Corp"' in editor and "/t/acme/e/account/_lookup?field=account" in editor
    found = client.get("/t/acme/e/account/_lookup?field=account&q=Second", headers=HX).text
    assert f'data-lookup-id="{second}"' in found

    saved = post_form(client, f"{url}/_field/account?place=s", {"account": second, "version": 1})
    assert saved.status_code == 200 and "Second Corp" in saved.text
    assert record(runtime, "acme", "contact", ident)["account"] == second

    refused = post_form(client, f"{url}/_field/account?place=s", {"account": 999, "version": 2})
    assert refused.status_code == 422 and 'class="field-error"' in refused.text
    assert 'value="999"' in refused.text  # what was chosen stays in the editor
    assert record(runtime, "acme", "contact", ident)["account"] == second

    stale = post_form(client, f"{url}/_field/account?place=s", {"account": first, "version": 1})
    assert stale.status_code == 409
    theirs = stale.text.split("data-theirs>")[1].split("<")[0]
    yours = stale.text.split("data-yours>")[1].split("<")[0]
    assert (theirs, yours) == ("Second Corp", "First Corp")  # titles, not ids
    assert f'value="{first}"' in stale.text and 'name="version" value="2"' in stale.text
    assert record(runtime, "acme", "contact", ident)["account"] == second


def test_multi_value_field_is_edited_in_place(
    web: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = web
    ident = create("account", name="Multi Corp", channels=["web"])["id"]
    url = f"/t/acme/e/account/{ident}"
    assert f"{url}/_field/channels?" in client.get(url).text
    editor = client.get(f"{url}/_field/channels?place=s", headers=HX).text
    assert "multiple" in editor and '<option value="web" selected>' in editor
    saved = post_form(
        client, f"{url}/_field/channels?place=s", {"channels": ["", "phone", "mail"], "version": 1}
    )
    assert saved.status_code == 200
    assert record(runtime, "acme", "account", ident)["channels"] == ["phone", "mail"]
    refused = post_form(
        client, f"{url}/_field/channels?place=s", {"channels": ["", "fax"], "version": 2}
    )
    assert refused.status_code == 422 and 'class="field-error"' in refused.text
    cleared = post_form(client, f"{url}/_field/channels?place=s", {"channels": "", "version": 2})
    assert cleared.status_code == 200
    assert record(runtime, "acme", "account", ident)["channels"] in ([], None)
