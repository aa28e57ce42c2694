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
