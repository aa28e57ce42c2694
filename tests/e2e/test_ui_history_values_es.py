"""A record's history screen in the reader's language: field labels, option and stage
labels, local numbers and money, the write's time and source; an empty earlier value is
shown as empty (never ``#None``). English readers keep the English labels."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.testing import TestClient

from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import create, signed_in_client, update
from ui_support import add_user

PACKAGE = Path(__file__).parent / "i18n_pkg"
TENANT = "ventas"


def _history(runtime: Runtime, locale: str) -> str:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, PACKAGE)
    user = add_user(runtime, TENANT, "ana@ventas.test", ["admin"])
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(user, locale)
    deal = create(
        runtime,
        TENANT,
        "ana@ventas.test",
        "deal",
        {"name": "Cuenta grande", "priority": "low", "amount": "98765.4", "currency": "EUR"},
    )
    changes = {"priority": "high", "amount": "2500", "close_date": "2026-01-15"}
    update(runtime, TENANT, "ana@ventas.test", "deal", deal["id"], changes)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "ana@ventas.test")
        return client.get(f"/t/{TENANT}/e/deal/{deal['id']}/history").text


def _rows(html: str) -> list[list[str]]:
    """(label, before, after) of each change of the newest write."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in body.split("<tr>")[1:]:
        cells = [c.split("</td>", 1)[0] for c in row.split("<td>")[1:4]]
        rows.append([re.sub(r"</?(del|ins)>", "", c) for c in cells])
    return rows


def test_history_values_in_spanish(runtime: Runtime) -> None:
    html = _history(runtime, "es")
    assert _rows(html) == [
        ["Prioridad", "Baja", "Alta"],
        ["Importe", "98.765,40\xa0€", "2.500,00\xa0€"],
        ["Fecha de cierre", "—", "15 ene 2026"],
    ]
    created = html.split("<tbody>")[2].split("</tbody>", 1)[0]
    assert "<td>Nombre</td><td><del>—</del></td><td><ins>Cuenta grande</ins></td>" in created
    assert "#None" not in html
    assert 'aria-label="Restaurar Prioridad a Baja"' in html
    meta = html.split('<p class="note-meta">', 1)[1].split("</p>", 1)[0]
    assert re.search(r">\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2} \w+</time> · ana · API", meta)


def test_history_values_in_english(runtime: Runtime) -> None:
    html = _history(runtime, "en")
    assert _rows(html) == [
        ["Priority", "Low", "High"],
        ["Amount", "€98,765.40", "€2,500.00"],
        ["Close date", "—", "Jan 15, 2026"],
    ]
    assert "#None" not in html
