"""The refusals of workflows and approvals in Spanish (``Accept-Language: es``)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TICKET = """
    label: {en: Ticket, es: Incidencia}
    title: subject
    fields:
      subject: {type: string, required: true}
      status: {type: enum, options: [new, open, resolved, closed]}
      resolution: {type: text, label: {en: Resolution, es: Resolución}}
"""
FLOW = """
    workflow: ticket_flow
    entity: ticket
    field: status
    initial: new
    states: [new, open, resolved, closed]
    transitions:
      - {name: open, from: [new], to: open}
      - name: resolve
        from: [open]
        to: resolved
        required: [resolution]
      - name: close
        from: resolved
        to: closed
        approval: {role: admin}
"""
SPANISH = {"Accept-Language": "es"}


@pytest.fixture
def lead(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    """Tenant 'mesa' with a ticket workflow whose closing needs an approval; an admin."""
    root = write_package({"ticket": TICKET})
    target = root / "workflows" / "ticket_flow.yaml"
    target.parent.mkdir()
    target.write_text(textwrap.dedent(FLOW).lstrip(), encoding="utf-8")
    runtime.registry.create_tenant("mesa")
    publish(runtime, "mesa", root)
    user = runtime.registry.ensure_user("jefa@mesa.test", "password123")
    runtime.registry.add_membership("mesa", user, ["admin"])
    return Api(client, "mesa", runtime.registry.create_token("mesa", "jefa@mesa.test"))


def _reason(response: Any) -> str:
    return str(response.json()["errors"]["__all__"][0])


def _ticket(api: Api) -> str:
    created = api.post("ticket", json={"subject": "Impresora"})
    assert created.status_code == 201, created.text
    return f"ticket/{created.json()['id']}"


def test_approval_refusals_answer_in_spanish(lead: Api) -> None:
    url = _ticket(lead)
    assert lead.post(f"{url}/transitions/open").status_code == 200
    missing = lead.post(f"{url}/transitions/resolve", headers=SPANISH)
    assert missing.status_code == 409
    assert _reason(missing) == "La transición «resolve» requiere rellenar antes «Resolución»."
    body = {"resolution": "hecho"}
    assert lead.post(f"{url}/transitions/resolve", json=body).status_code == 200
    nothing = lead.post(f"{url}/transitions/close/approve", headers=SPANISH)
    assert nothing.status_code == 409
    assert _reason(nothing) == (
        "No hay ninguna aprobación pendiente para la transición «close» "
        "de este registro de incidencia."
    )
    assert lead.post(f"{url}/transitions/close").status_code == 202
    again = lead.post(f"{url}/transitions/close", headers=SPANISH)
    assert again.status_code == 409
    assert _reason(again) == (
        "Aprobación pendiente: la transición «close» de este registro de incidencia "
        "espera a un usuario con el rol «admin»."
    )
    # Without the header the same refusal stays English.
    english = lead.post(f"{url}/transitions/close")
    assert _reason(english).startswith("Approval pending: transition 'close' of this ticket")


def test_a_state_change_without_transition_is_refused_in_spanish(lead: Api) -> None:
    url = _ticket(lead)
    refused = lead.patch(url, json={"status": "closed"}, headers=SPANISH)
    assert refused.status_code == 409
    assert _reason(refused) == (
        "Ninguna transición del flujo de trabajo «ticket_flow» lleva un registro de "
        "incidencia de «new» a «closed»; desde «new» puede ejecutar «open» (a «open»)."
    )
    created = lead.post("ticket", json={"subject": "x", "status": "open"}, headers=SPANISH)
    assert created.status_code == 422
    assert created.json()["errors"]["status"] == [
        "Un registro nuevo de incidencia empieza en «new»; hágalo avanzar con una "
        "transición del flujo de trabajo «ticket_flow»."
    ]
    unknown = lead.post(f"{url}/transitions/fly", headers=SPANISH)
    assert unknown.status_code == 404
    assert _reason(unknown) == "No existe la transición «fly» en ticket."
