"""E-mail templates per locale: ``<name>.es.j2`` for Spanish readers, ``<name>.j2`` otherwise."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from litestar.testing import TestClient

from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import DEAL, free_port, smtp_server, use_setting


def _tenant(runtime: Runtime, tmp_path: Path) -> tuple[str, int]:
    root = tmp_path / "pkg"
    for folder in ("entities", "rules", "email_templates"):
        (root / folder).mkdir(parents=True)
    (root / "app.yaml").write_text("name: mailapp\nversion: 1.0.0\nlocale: es\n")
    (root / "entities" / "deal.yaml").write_text(textwrap.dedent(DEAL).lstrip())
    (root / "rules" / "mail.rules").write_text(
        'rule "Hello"\n  on deal created\n  then send email "hello" to owner\nend\n'
    )
    templates = root / "email_templates"
    (templates / "hello.j2").write_text(
        "{% block subject %}New deal {{ name }}{% endblock %}{% block text %}Hi{% endblock %}"
    )
    (templates / "hello.es.j2").write_text(
        "{% block subject %}Nueva oportunidad {{ name }}{% endblock %}"
        "{% block text %}Hola{% endblock %}"
    )
    runtime.registry.create_tenant("mail")
    publish(runtime, "mail", root)
    user = runtime.registry.ensure_user("admin@mail.test", "correct horse battery")
    runtime.registry.add_membership("mail", user, ["admin"])
    return runtime.registry.create_token("mail", "admin@mail.test"), user


def test_email_follows_the_recipients_then_the_tenants_locale(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    token, user = _tenant(runtime, tmp_path)
    api = Api(client, "mail", token)
    assert api.post("deal", json={"name": "Uno"}).status_code == 201
    with smtp_server(port) as inbox:
        Dispatcher(runtime).run_due()
    assert [m["Subject"] for _, m in inbox] == ["Nueva oportunidad Uno"]  # tenant: es
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(user, "en")
    assert api.post("deal", json={"name": "Two"}).status_code == 201
    with smtp_server(port) as inbox:
        Dispatcher(runtime).run_due()
    assert [m["Subject"] for _, m in inbox] == ["New deal Two"]  # the member chose English
