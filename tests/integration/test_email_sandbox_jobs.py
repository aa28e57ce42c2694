"""A template that tries to escape the sandbox kills its job with the reason; nothing is sent."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from litestar.testing import TestClient

from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import DEAL, free_port, rows, smtp_server, use_setting

ESCAPES = {
    "mro": "{{ ''.__class__.__mro__ }}",
    "globals": "{{ cycler.__init__.__globals__ }}",
    "private": "{{ record._secret }}",
    "filter": "{{ name|attr('__class__') }}",
}
REASONS = {
    "mro": "names starting with '_' are not allowed (line 2: '__class__', line 2: '__mro__')",
    "globals": "not allowed (line 2: '__globals__', line 2: '__init__')",
    "private": "names starting with '_' are not allowed (line 2: '_secret')",
    "filter": "failed: access to attribute '__class__' of a str is not allowed",
}


def _tenant(runtime: Runtime, tmp_path: Path) -> str:
    root = tmp_path / "pkg"
    for folder in ("entities", "rules", "email_templates"):
        (root / folder).mkdir(parents=True)
    (root / "app.yaml").write_text("name: mailapp\nversion: 1.0.0\nlabel: Mail\n")
    (root / "entities" / "deal.yaml").write_text(textwrap.dedent(DEAL).lstrip())
    sends = "; ".join(f'send email "{name}" to owner' for name in ESCAPES)
    (root / "rules" / "mail.rules").write_text(
        f'rule "Probe"\n  on deal created\n  then {sends}\nend\n'
    )
    for name, body in ESCAPES.items():
        (root / "email_templates" / f"{name}.j2").write_text(
            f"{{% block subject %}}Probe {{{{ name }}}}{{% endblock %}}\n"
            f"{{% block text %}}{body}{{% endblock %}}\n"
        )
    runtime.registry.create_tenant("mail")
    publish(runtime, "mail", root)
    user = runtime.registry.ensure_user("admin@mail.test", "correct horse battery")
    runtime.registry.add_membership("mail", user, ["admin"])
    return runtime.registry.create_token("mail", "admin@mail.test")


def test_sandbox_escapes_in_email_templates_are_dead_with_the_reason(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    api = Api(client, "mail", _tenant(runtime, tmp_path))
    assert api.post("deal", json={"name": "Probe", "amount": 10}).status_code == 201
    with smtp_server(port) as inbox:
        report = Dispatcher(runtime).run_due()
    assert inbox == []  # nothing rendered, nothing sent
    assert (report.tenants["mail"].dead, report.tenants["mail"].done) == (len(ESCAPES), 0)
    emails = {r["payload"]["template"]: r for r in rows(runtime, "mail", "_outbox")}
    assert sorted(emails) == sorted(ESCAPES)
    for name, job in emails.items():
        assert (job["state"], job["attempts"]) == ("dead", 1), name
        assert job["last_error"].startswith(f"Email template '{name}' "), job["last_error"]
        assert REASONS[name] in job["last_error"], job["last_error"]
        assert "<class" not in job["last_error"] and "builtins" not in job["last_error"]
    logged = api.get("_emails").json()["items"]
    assert sorted(e["status"] for e in logged) == ["failed"] * len(ESCAPES)
    assert all("not allowed" in e["error"] for e in logged)
