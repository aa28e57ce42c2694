"""An invitation goes out through the outbox to a real SMTP server, in the language the
admin chose, and its link joins the tenant; a used or replaced one is not mailed."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from jobs_helpers import free_port, rows, smtp_server, use_setting
from ui_activity_support import signed_in_client
from ui_support import crm_tenant, csrf_token, post_form

HX = {"hx-request": "true"}
PASSWORD = "plum tree lantern 42"
LINK = re.compile(r"(http://testserver\.local)?(/t/acme/invitation/[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+)")


def _invite(client: TestClient[Any], email: str, language: str) -> None:
    body = {"email": email, "roles": ["sales_rep"], "language": language}
    sent = post_form(client, "/t/acme/admin/users/invite", body, headers=HX)
    assert sent.status_code == 200 and "people-notice" in sent.text


def test_the_invitation_email_carries_a_link_that_joins_the_tenant(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    crm_tenant(runtime)
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        _invite(admin, "luz@example.com", "es")
        _invite(admin, "max@example.com", "en")
        _invite(admin, "max@example.com", "en")  # replaces the first: only one goes out
        with smtp_server(port) as inbox:
            assert Dispatcher(runtime).run_due().tenants["acme"].done == 3
    by_to = {to[0]: message for to, message in inbox}
    assert sorted(by_to) == ["luz@example.com", "max@example.com"] and len(inbox) == 2
    spanish = by_to["luz@example.com"]
    assert str(make_header(decode_header(spanish["Subject"]))) == "Está invitado a acme"
    text = spanish.get_payload(decode=True).decode()
    assert "admin@acme.test le invita a unirse a acme." in text
    assert "Abra este enlace para aceptar" in text
    english = by_to["max@example.com"].get_payload(decode=True).decode()
    assert "admin@acme.test invites you to join acme." in english
    found = LINK.search(text)
    assert found is not None and found.group(1) == "http://testserver.local"
    path = found.group(2)
    deliveries = rows(runtime, "acme", "_deliveries")
    assert sorted(d["status"] for d in deliveries) == ["sent", "sent", "skipped"]
    with TestClient(app=create_web_app(runtime)) as guest:
        form = guest.get(path)
        assert form.status_code == 200 and "Choose a password" in form.text
        token = csrf_token(guest, form.text, path)
        data = {"name": "Luz", "password": PASSWORD, "repeat": PASSWORD, "_csrf_token": token}
        joined = guest.post(path, data=data, follow_redirects=False)
        assert joined.status_code == 303 and joined.headers["location"] == "/t/acme/"
        assert guest.get("/t/acme/").status_code == 200
        again = guest.get(path)
        assert again.status_code == 410
    user = runtime.registry.user_id("luz@example.com")
    assert user is not None
    identity = runtime.registry.member_identity("acme", user)
    assert identity is not None and identity.roles == ("sales_rep",)
    assert runtime.registry.member_names("acme", [user]) == {user: "Luz"}
