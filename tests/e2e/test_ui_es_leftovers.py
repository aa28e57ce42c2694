"""Screens in Spanish where English was left: the publish plan's data changes and the
refusal of an unconfirmed drop, and the dashboard's "Incomplete" flag of a missing rate."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from trellis.metadata.loader import load_package
from trellis.platform.activity.mentions import Member
from trellis.platform.activity.service import PostedComment
from trellis.platform.dashboards import TileData
from trellis.platform.drafts import read_file, save_file
from trellis.platform.i18n import Translator
from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.money import MissingRate
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.activity_routes import outcome_message
from trellis.ui.screens.app import create_web_app
from trellis.ui.screens.dashboard_view import tile_view

from helpers import PackageWriter
from ui_activity_support import create, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true, max_length: 100}
      fax: {type: string}
"""
ITEM_PATH = "entities/item.yaml"


def test_publish_plan_and_refusal_in_the_member_language(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    admin = add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(admin, "es")
    create(runtime, TENANT, "admin@shop.test", "item", {"name": "A", "fax": "555 1234"})
    create(runtime, TENANT, "admin@shop.test", "item", {"name": "B", "fax": "555 9876"})
    text, revision = read_file(runtime, TENANT, ITEM_PATH)
    save_file(runtime, TENANT, ITEM_PATH, text.replace("  fax: {type: string}\n", ""), revision,
              "admin@shop.test")  # fmt: skip
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        plan = client.get(f"/t/{TENANT}/admin/publish/plan").text
        assert "quita `fax` de item: 2 valores no vacíos" in plan
        assert "drops `fax`" not in plan
        refused = post_form(client, f"/t/{TENANT}/admin/publish", {"comment": "x"})
        assert refused.status_code == 409
        assert '<ul class="error" id="refused"><li>quita `fax` de item: 2 valores no vacíos' in (
            refused.text
        )


def test_dashboard_incomplete_flag_in_spanish(tmp_path: Path) -> None:
    files = {
        "app.yaml": "name: money\nversion: '1.0'\ncurrency: EUR\n",
        "entities/deal.yaml": """
            fields:
              currency: {type: enum, options: [EUR, GBP]}
              amount: {type: money, currency_field: currency}
        """,
        "dashboards/sales.yaml": """
            dashboard: sales
            label: {en: Sales, es: Ventas}
            tiles:
              - kind: kpi
                label: {en: Pipeline, es: Embudo}
                entity: deal
                agg: sum
                field: amount
        """,
    }
    for relative, text in files.items():
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    model = load_package(tmp_path)
    tile = model.dashboards["sales"].tiles[0]
    gap = MissingRate("GBP", date(2026, 2, 1), "EUR")
    data: Any = TileData(tile, value=Decimal("61140"), currency="EUR", missing=(gap,))
    view = tile_view(model, data, 0, Translator("es"))
    assert view.flag == (
        "Incompleto: se omiten los importes sin tipo de cambio. "
        "No hay tipo de cambio de GBP a EUR el 2026-02-01 o antes."
    )
    assert tile_view(model, data, 0).flag == (
        "Incomplete: amounts without an exchange rate are left out. "
        "No exchange rate from GBP to EUR on or before 2026-02-01."
    )


def test_account_screen_and_its_flashes_in_spanish(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    admin = add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(admin, "es")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        account = client.get(f"/t/{TENANT}/account").text
        for text in ("Cambiar la contraseña", "Contraseña actual", "Cerrar sesión en todas partes"):
            assert text in account
        assert "Change password" not in account
        mismatch = {"current_password": "x", "new_password": "abcdefgh1", "confirm_password": "y"}
        refused = post_form(client, f"/t/{TENANT}/account/password", mismatch)
        assert refused.status_code == 400
        assert "Las dos contraseñas nuevas no coinciden." in refused.text
        ended = post_form(client, f"/t/{TENANT}/account/signout-everywhere", {})
        assert "Has cerrado sesión en todas partes (1 sesión terminada)." in ended.text


def test_comment_outcome_in_spanish() -> None:
    posted = PostedComment(
        id=1,
        body="hola",
        notified=[Member(1, "ana@x.test", "ana")],
        cannot_read=[Member(2, "bea@x.test", "bea")],
        unresolved=["nadie"],
    )
    assert outcome_message(posted, Translator("es")) == (
        "Comentario publicado. Notificados: ana. No notificados (no pueden ver este registro): "
        "bea. Ningún miembro concreto coincide con @nadie."
    )
    assert outcome_message(posted).startswith("Comment posted. Notified: ana.")
