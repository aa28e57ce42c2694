"""The record page: header (icon, highlights, owner, badge, actions, "More") and in-place edits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_records import Creator, creator, record
from ui_support import add_user, crm_tenant, post_form, sign_in

HX = {"HX-Request": "true"}


@pytest.fixture
def web(runtime: Runtime) -> Iterator[tuple[TestClient[Any], Creator]]:
    """Tenant 'acme'; a client signed in as its admin; a record creator (the admin)."""
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield client, creator(runtime, "acme", admin)


def _field(url: str, name: str) -> str:
    return f"{url}/_field/{name}?place=s"


def test_header_shows_title_highlights_owner_badge_actions_and_more_menu(
    web: tuple[TestClient[Any], Creator],
) -> None:
    client, create = web
    account = create("account", name="Acme Corp", industry="technology", phone="+34 600 000 000")
    deal = create("opportunity", name="Big deal", account=account["id"], amount="1200")
    page = client.get(f"/t/acme/e/opportunity/{deal['id']}").text
    start = page.index('<header class="record-header')
    header = page[start : page.index("</header>", start)]
    assert "<h1>Big deal</h1>" in header
    assert 'class="record-icon"' in header  # layouts: detail: icon: briefcase
    highlights = header[header.index('class="highlights"') :]
    assert "Acme Corp" in highlights and "Amount" in highlights and "Close date" in highlights
    assert re.search(r'id="record-status"[^>]*>.*Prospecting', header)
    assert re.search(r'id="record-owner"[^>]*aria-label="Owner: [^"]+"[^>]*>A</span>', header)
    assert '<details class="more-menu"' in header
    more = header[header.index('<details class="more-menu"') : header.index("</details>")]
    assert "/history" in more and "/delete" in more and ">Edit<" not in more
    assert 'id="record-version" name="version" value="1"' in header
    assert "Contacts" in page and re.search(
        r"Opportunities.*\(1\)", client.get(f"/t/acme/e/account/{account['id']}").text
    )  # related lists count their records
    assert "<script>" not in page and "style=" not in header  # CSP: no inline code


def test_inline_edit_saves_through_the_pipeline(
    web: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = web
    ident = create("account", name="Acme Corp")["id"]
    url = f"/t/acme/e/account/{ident}"
    page = client.get(url).text
    assert f'hx-get="{url}/_field/name?place=s"' in page
    assert f'hx-get="{url}/_field/open_deals' not in page  # a rollup is not typed
    editor = client.get(_field(url, "name") + "&version=1", headers=HX)
    assert editor.status_code == 200 and "<html" not in editor.text
    assert 'name="version" value="1"' in editor.text and 'value="Acme Corp"' in editor.text
    saved = post_form(
        client, _field(url, "name"), {"name": "Acme Iberia", "version": "1"}, headers=HX
    )
    assert saved.status_code == 200, saved.text
    assert "Acme Iberia" in saved.text and "inline-editor" not in saved.text
    assert 'id="record-version" name="version" value="2" hx-swap-oob="true"' in saved.text
    assert saved.headers["HX-Trigger"] == "record-saved"
    assert record(runtime, "acme", "account", ident)["name"] == "Acme Iberia"
    assert record(runtime, "acme", "account", ident)["version"] == 2
    shown = client.get(_field(url, "name") + "&view=1", headers=HX)
    assert "Acme Iberia" in shown.text and "<form" not in shown.text


def test_inline_edit_refused_value_is_shown_in_place_keeping_what_was_typed(
    web: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = web
    ident = create("account", name="Acme Corp")["id"]
    url = f"/t/acme/e/account/{ident}"
    bad = post_form(
        client, _field(url, "employees"), {"employees": "-3", "version": "1"}, headers=HX
    )
    assert bad.status_code == 422
    assert 'class="field-error"' in bad.text and 'value="-3"' in bad.text
    assert 'aria-invalid="true"' in bad.text and "<html" not in bad.text
    blank = post_form(client, _field(url, "name"), {"name": "", "version": "1"}, headers=HX)
    assert blank.status_code == 422 and 'class="field-error"' in blank.text
    assert record(runtime, "acme", "account", ident)["version"] == 1


def test_inline_edit_of_a_stale_record_shows_both_values(
    web: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = web
    ident = create("account", name="Acme Corp")["id"]
    url = f"/t/acme/e/account/{ident}"
    first = post_form(
        client, _field(url, "name"), {"name": "Theirs Ltd", "version": "1"}, headers=HX
    )
    assert first.status_code == 200
    stale = post_form(client, _field(url, "name"), {"name": "Mine Ltd", "version": "1"}, headers=HX)
    assert stale.status_code == 409
    assert re.search(r"data-theirs>Theirs Ltd<", stale.text)
    assert re.search(r"data-yours>Mine Ltd<", stale.text)
    assert 'value="Mine Ltd"' in stale.text  # the typed value stays in the box
    assert 'name="version" value="2"' in stale.text  # saving again overwrites knowingly
    again = post_form(client, _field(url, "name"), {"name": "Mine Ltd", "version": "2"}, headers=HX)
    assert again.status_code == 200
    assert record(runtime, "acme", "account", ident)["name"] == "Mine Ltd"


def test_inline_edit_respects_field_access_workflows_and_record_scope(
    web: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = web
    account = create("account", name="Acme Corp")["id"]
    lead = create("lead", last_name="Ruiz", email="ana@example.test")["id"]
    lead_page = client.get(f"/t/acme/e/lead/{lead}").text
    assert f"/e/lead/{lead}/_field/status" not in lead_page  # transitions move it
    assert client.get(_field(f"/t/acme/e/lead/{lead}", "status"), headers=HX).status_code == 403
    theirs = create("opportunity", name="Admin deal", account=account)["id"]
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    mine = creator(runtime, "acme", rep)("opportunity", name="Rep deal", account=account)["id"]
    with TestClient(app=create_web_app(runtime)) as other:
        assert sign_in(other, "acme", "rep@acme.test").status_code == 303
        url = f"/t/acme/e/opportunity/{mine}"
        page = other.get(url).text
        assert f"{url}/_field/name?" in page
        assert f"{url}/_field/probability" not in page  # read-only for the role
        assert other.get(_field(url, "probability"), headers=HX).status_code == 403
        refused = post_form(other, _field(url, "probability"), {"probability": "5"}, headers=HX)
        assert refused.status_code == 403
        hidden = f"/t/acme/e/account/{account}"
        assert other.get(_field(hidden, "annual_revenue"), headers=HX).status_code == 403
        out_of_scope = f"/t/acme/e/opportunity/{theirs}"
        assert other.get(_field(out_of_scope, "name"), headers=HX).status_code == 404
        posted = post_form(other, _field(out_of_scope, "name"), {"name": "x"}, headers=HX)
        assert posted.status_code == 404
    assert record(runtime, "acme", "opportunity", theirs)["name"] == "Admin deal"


def test_record_page_in_spanish(web: tuple[TestClient[Any], Creator]) -> None:
    client, create = web
    ident = create("account", name="Acme Corp")["id"]
    spanish = {"Accept-Language": "es-ES,es;q=0.9"}
    page = client.get(f"/t/acme/e/account/{ident}", headers=spanish).text
    assert ">Más<" in page and "Historial" in page and "Editar Nombre" in page
    url = _field(f"/t/acme/e/account/{ident}", "name")
    editor = client.get(url, headers={**HX, **spanish}).text
    assert "Guardar" in editor and "Cancelar" in editor
