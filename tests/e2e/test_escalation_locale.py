"""An escalation notification is written in the organisation's language (``locale:``)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api

FILES = {
    "entities/ticket.yaml": """
        label: {en: Ticket, es: Incidencia}
        title: subject
        fields:
          subject: {type: string, required: true}
          priority: {type: enum, options: [normal, urgent]}
    """,
    "roles.yaml": """
        roles:
          support_lead:
            entities:
              ticket: {actions: [read], scope: all}
    """,
    "rules/urgent.rules": """
        rule "Urgente"
          on ticket created
          when priority == "urgent"
          then
            escalate to role "support_lead"
        end
    """,
}


def _tenant(runtime: Runtime, client: TestClient, root: Path, locale: str) -> Api:  # type: ignore[type-arg]
    files = {"app.yaml": f"name: desk\nversion: 1.0.0\nlocale: {locale}\n", **FILES}
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    runtime.registry.create_tenant("desk")
    publish(runtime, "desk", root)
    admin = runtime.registry.ensure_user("admin@desk.test", "correct horse battery")
    runtime.registry.add_membership("desk", admin, ["admin"])
    return Api(client, "desk", runtime.registry.create_token("desk", "admin@desk.test"))


def _notes(runtime: Runtime) -> list[tuple[int, str]]:
    t = runtime.app("desk").metadata.tables["_notifications"]
    with runtime.engines.tenant_connection("desk") as conn:
        rows = conn.execute(sa.select(t.c.user_id, t.c.text).order_by(t.c.id)).all()
    return [(int(r.user_id), str(r.text)) for r in rows]


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("es", "Escalado por la regla «Urgente»: Incidencia Impresora"),
        ("en", "Escalated by rule 'Urgente': Ticket Impresora"),
    ],
)
def test_escalation_notification_is_in_the_tenant_language(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    locale: str,
    text: str,
) -> None:
    api = _tenant(runtime, client, tmp_path / "desk", locale)
    lead = runtime.registry.ensure_user("lead@desk.test", "correct horse battery")
    runtime.registry.add_membership("desk", lead, ["support_lead"])
    created: Any = api.post("ticket", json={"subject": "Impresora", "priority": "urgent"})
    assert created.status_code == 201, created.text
    assert _notes(runtime) == [(lead, text)]
