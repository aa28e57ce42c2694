"""An e-mail template includes a signed link with ``signed_link("kind")`` (no rule language)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient
from public_support import public_tenant

from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from jobs_helpers import free_port, rows, smtp_server, use_setting

EXTRA = {
    "rules/welcome.rules": """
rule "Welcome"
  on enquiry created
  then send email "welcome" to owner
end
""",
    "email_templates/welcome.j2": """{% block subject %}Welcome {{ name }}{% endblock %}
{% block text %}Stop these e-mails: https://crm.example.com{{ signed_link("unsubscribe") }}
Again: {{ signed_link("unsubscribe") }}{% endblock %}
""",
}


def test_an_email_carries_a_working_signed_link(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    token = public_tenant(runtime, tmp_path / "pkg", extra=EXTRA)
    with TestClient(app=create_web_app(runtime)) as client:
        auth = {"authorization": f"Bearer {token}"}
        body = {"name": "Ana", "email": "ana@example.com"}
        made = client.post("/t/acme/api/enquiry", json=body, headers=auth)
        assert made.status_code == 201
        with smtp_server(port) as inbox:
            assert Dispatcher(runtime).run_due().tenants["acme"].done == 1
        ((_to, message),) = inbox
        text = message.get_payload(decode=True).decode()
        paths = re.findall(r"/p/acme/s/[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+", text)
        assert len(paths) == 2 and paths[0] == paths[1]  # one link per kind and e-mail
        assert f"https://crm.example.com{paths[0]}" in text
        assert len(rows(runtime, "acme", "_signed_links")) == 1
        page = client.get(paths[0])
        assert page.status_code == 200 and "Stop our e-mails." in page.text
        done = client.post(paths[0], headers={"origin": "http://testserver.local"})
        assert done.status_code == 200
        record = client.get(f"/t/acme/api/enquiry/{made.json()['id']}", headers=auth).json()
        assert record["subscribed"] is False
