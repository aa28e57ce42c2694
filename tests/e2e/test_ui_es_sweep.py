"""Admin screens in Spanish that were left in English: the jobs page (its counts use the
``jobs column`` gettext context) and the history of versions (the kind, the time and
the platform's own rollback note are translated when shown, the stored rows unchanged)."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from trellis.platform.drafts import list_versions, rollback
from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_activity_support import create, signed_in_client, update
from ui_support import add_user

TENANT = "shop"
ITEM = """
    label: {en: Item, es: Artículo}
    plural_label: {en: Items, es: Artículos}
    title: name
    fields:
      name: {type: string, required: true}
"""


def _spanish_admin(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    admin = add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(admin, "es")


def test_jobs_page_in_spanish(runtime: Runtime, write_package: PackageWriter) -> None:
    _spanish_admin(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        html = client.get(f"/t/{TENANT}/admin/jobs").text
    assert "<h1>Trabajos</h1>" in html
    counts = re.findall(r'<li id="count-(\w+)"><strong>\d+</strong>([^<]+)</li>', html)
    assert counts == [
        ("queued", "Encolados"),
        ("failing", "Reintentando"),
        ("running", "En curso"),
        ("scheduled", "Programados"),
        ("dead", "Muertos"),
    ]
    assert "0 hechos, 0 descartados en total." in html
    assert "No hay trabajos muertos." in html and "Todavía no se ha enviado nada." in html
    for english in ("Dead letters", "Recent e-mails", "Nothing sent yet.", "Refresh"):
        assert english not in html, english


def test_history_of_versions_in_spanish(runtime: Runtime, write_package: PackageWriter) -> None:
    _spanish_admin(runtime, write_package)
    more = ITEM + "      code: {type: string}\n"
    publish(runtime, TENANT, write_package({"item": more}, version="1.1.0"))
    rollback(runtime, TENANT, 1, actor="admin@shop.test")
    stored = list_versions(runtime, TENANT)["items"][0]
    assert (stored["kind"], stored["comment"]) == ("rollback", "Rollback to version 1")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        html = client.get(f"/t/{TENANT}/admin/versions").text
    row = html.split('<tr id="version-3">', 1)[1].split("</tr>", 1)[0]
    assert "vuelta atrás" in row and "Vuelta a la versión 1" in row
    assert "Rollback to version 1" not in html and ">rollback<" not in row
    assert "paquete" in html.split('<tr id="version-1">', 1)[1].split("</tr>", 1)[0]
    when = re.search(r'<time datetime="[^"]+">([^<]+)</time>', row)
    assert when is not None and "T" not in when.group(1)


def test_record_history_and_recycle_bin_in_spanish(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _spanish_admin(runtime, write_package)
    record = create(runtime, TENANT, "admin@shop.test", "item", {"name": "Uno"})
    ident = record["id"] if isinstance(record, dict) else record.id
    update(runtime, TENANT, "admin@shop.test", "item", ident, {"name": "Dos"})
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        history = client.get(f"/t/{TENANT}/e/item/{ident}/history").text
        assert "<h1>Historial de Dos</h1>" in history
        assert "Cambios, los más recientes primero" in history and "Ver a fecha de" in history
        assert ">Artículos</a>" in history and "Restaurar este valor" in history
        for english in ("History of", "Changes, newest first", "View as of", "Before"):
            assert english not in history, english
        bin_page = client.get(f"/t/{TENANT}/e/item/deleted").text
        assert "<h1>Papelera: Artículos</h1>" in bin_page
        assert "La papelera está vacía." in bin_page and "Volver a Artículos" in bin_page
        assert "Recycle bin" not in bin_page
