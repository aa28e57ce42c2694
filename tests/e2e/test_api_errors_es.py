"""API refusals that were English only now follow ``Accept-Language``: sign-in problems
(401) and bad query parameters (400); English when the header is absent."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_support import add_user

ES = {"Accept-Language": "es-ES,es;q=0.9"}
ITEM = """
    fields:
      name: {type: string}
"""


def _errors(answer: Any) -> list[str]:
    messages: list[str] = answer.json()["errors"]["__all__"]
    return messages


def test_sign_in_and_parameter_refusals_in_spanish(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("shop")
    publish(runtime, "shop", write_package({"item": ITEM}))
    add_user(runtime, "shop", "ana@shop.test", ["admin"])
    token = runtime.registry.create_token("shop", "ana@shop.test")
    with TestClient(app=create_web_app(runtime)) as client:
        missing = client.get("/t/shop/api/item", headers=ES)
        assert missing.status_code == 401
        assert _errors(missing) == ["Inicie sesión primero: envíe 'Authorization: Bearer <token>'."]
        bad = client.get("/t/shop/api/item", headers={**ES, "Authorization": "Bearer nope"})
        assert _errors(bad) == ["El token es desconocido, está revocado o ha caducado."]
        english = client.get("/t/shop/api/item")
        assert _errors(english) == ["Sign in first: send 'Authorization: Bearer <token>'."]

        auth = {**ES, "Authorization": f"Bearer {token}"}
        flag = client.get("/t/shop/api/_notifications?unread=maybe", headers=auth)
        assert flag.status_code == 400
        assert _errors(flag) == ["El parámetro 'unread' tiene el valor «maybe». Use true o false."]
        limit = client.get("/t/shop/api/_notifications?limit=0", headers=auth)
        assert limit.status_code == 400
        assert _errors(limit) == ["El parámetro 'limit' tiene el valor «0». Use de 1 a 500."]


def test_record_security_and_export_refusals_in_spanish(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("shop")
    publish(runtime, "shop", write_package({"item": ITEM}))
    add_user(runtime, "shop", "ana@shop.test", ["admin"])
    token = runtime.registry.create_token("shop", "ana@shop.test")
    auth = {**ES, "Authorization": f"Bearer {token}"}
    with TestClient(app=create_web_app(runtime)) as client:
        absent = client.get("/t/shop/api/item/999", headers=auth)
        assert absent.status_code == 404
        assert _errors(absent) == ["No hay item con id 999."]
        cursor = client.get("/t/shop/api/_audit?cursor=zz", headers=auth)
        assert cursor.status_code == 400
        assert _errors(cursor) == [
            "El parámetro 'cursor' tiene el valor «zz». Use un valor de next_cursor."
        ]
        entity = client.get("/t/shop/api/_access?user=ana@shop.test&entity=nope", headers=auth)
        assert entity.status_code == 404
        assert _errors(entity) == ["No hay ninguna entidad «nope» en esta organización."]
        no_id = client.get("/t/shop/api/_access?user=ana@shop.test&entity=item", headers=auth)
        assert _errors(no_id) == ["El parámetro 'id' es obligatorio para la acción «read»."]
        no_user = client.get("/t/shop/api/_access?entity=item&id=1", headers=auth)
        assert _errors(no_user) == ["El parámetro 'user' es obligatorio (una dirección de correo)."]
        fly = client.get("/t/shop/api/_access?user=ana@shop.test&action=fly", headers=auth)
        assert _errors(fly)[0].startswith("El parámetro 'action' tiene el valor «fly». Use uno de ")
        export = client.get("/t/shop/api/item/_export?format=xml", headers=auth)
        assert export.status_code == 400
        assert export.json()["errors"]["format"][0].startswith("Use csv")
        mode = client.post(
            "/t/shop/api/item/_import?mode=merge", content=b"name\na\n", headers=auth
        )
        assert mode.status_code == 400
        assert mode.json()["errors"] == {"mode": ["Desconocido."]}
        english = client.post(
            "/t/shop/api/item/_import?mode=merge",
            content=b"name\na\n",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert english.json()["errors"] == {"mode": ["Unknown."]}
        created = client.post("/t/shop/api/item", json={"name": "a"}, headers=auth)
        assert created.status_code == 201
        listed = client.get("/t/shop/api/item", headers=auth).json()
        assert [row["name"] for row in listed["items"]] == ["a"]
