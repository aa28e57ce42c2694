"""Messages of moves, the recycle bin, merges and exports in Spanish: flashes and API errors.

Screens speak the member's language; API refusals follow ``Accept-Language`` (English
when the header is absent or asks for a language the platform does not ship).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.ui.screens.app import create_web_app

from ui_records import Creator, creator
from ui_support import PASSWORD, crm_tenant, post_form, sign_in

HX = {"HX-Request": "true"}
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


@pytest.fixture
def spanish(runtime: Runtime) -> Iterator[tuple[TestClient[Any], Creator, int]]:
    """Tenant 'acme' (CRM) whose admin reads Spanish, signed in."""
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", PASSWORD)
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(admin, "es")
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield client, creator(runtime, "acme", admin), admin


def test_moves_and_their_refusals_speak_spanish(
    spanish: tuple[TestClient[Any], Creator, int],
) -> None:
    client, create, _ = spanish
    account = create("account", name="Acme Corp")["id"]
    deal = create("opportunity", name="Trato", account=account, amount="10")
    url = f"/t/acme/e/opportunity/{deal['id']}/move"
    moved = post_form(client, url, {"stage": "proposal", "version": "1"}, headers=HX)
    assert moved.status_code == 200 and "Movido a Propuesta." in moved.text
    refused = post_form(client, url, {"version": "2"}, headers=HX)
    assert refused.status_code == 422
    assert "No se ha movido: Elija la etapa a la que mover." in refused.text
    plain = post_form(client, url, {"stage": "negotiation"}, follow_redirects=False)
    assert plain.status_code == 303
    assert "Movido a Negociación." in client.get(plain.headers["location"]).text


def test_recycle_bin_flashes_speak_spanish(
    spanish: tuple[TestClient[Any], Creator, int], runtime: Runtime
) -> None:
    client, create, admin = spanish
    ident = create("account", name="Borrada")["id"]
    api = Services(runtime)
    identity = runtime.registry.member_identity("acme", admin)
    assert identity is not None
    call = api.call_as("acme", identity)
    api.records.delete(call, call.app.entities["account"], ident, None)
    back = post_form(client, f"/t/acme/e/account/{ident}/restore", {}, follow_redirects=False)
    assert back.status_code == 303
    assert "Se ha restaurado: Cuenta." in client.get(back.headers["location"]).text
    api.records.delete(call, call.app.entities["account"], ident, None)
    gone = post_form(client, f"/t/acme/e/account/{ident}/purge", {}, follow_redirects=False)
    shown = client.get(gone.headers["location"]).text
    assert f"Se ha eliminado definitivamente: Cuenta {ident}." in shown


def test_api_refusals_follow_accept_language(
    spanish: tuple[TestClient[Any], Creator, int], runtime: Runtime
) -> None:
    client, create, _ = spanish
    token = runtime.registry.create_token("acme", "admin@acme.test")
    auth = {"Authorization": f"Bearer {token}"}
    merge = "/t/acme/api/account/_merge"
    english = client.post(merge, json=[], headers=auth)
    assert english.status_code == 400
    assert english.json() == {"errors": {"__all__": ["The body must be a JSON object."]}}
    answer = client.post(merge, json=[], headers={**auth, **SPANISH})
    assert answer.status_code == 400
    assert answer.json() == {"errors": {"__all__": ["El cuerpo debe ser un objeto JSON."]}}
    one = create("account", name="Uno")["id"]
    both = {"survivor": one, "losers": [one]}
    same = client.post(merge, json=both, headers={**auth, **SPANISH}).json()
    message = f"El registro {one} no puede ser a la vez el que se conserva y uno de los fusionados."
    assert same["errors"]["losers"] == [message]
    export = client.post(
        "/t/acme/api/account/_export_jobs", json={"ids": "yes"}, headers={**auth, **SPANISH}
    )
    assert export.status_code == 400
    assert export.json()["errors"] == {"ids": ["Use true o false."]}
    unknown = client.post(
        "/t/acme/api/account/_export_jobs",
        json={"ids": "yes"},
        headers={**auth, "Accept-Language": "fr"},
    )
    assert unknown.json()["errors"] == {"ids": ["Use true or false."]}
