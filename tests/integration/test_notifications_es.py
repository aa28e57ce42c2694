"""SLA and reminder notifications speak the recipient's language: their own setting,
else the organisation's ``locale:`` (here Spanish)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.testing import TestClient

from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import rows

FILES = {
    "app.yaml": "name: desk\nversion: 1.0.0\nlocale: es\n",
    "entities/ticket.yaml": """
        label: {en: Ticket, es: Incidencia}
        title: subject
        fields:
          subject: {type: string, required: true}
          priority: {type: enum, options: [urgent, low], default: '"low"'}
          status: {type: enum, options: [open, resolved], default: '"open"'}
    """,
    "entities/activity.yaml": """
        label: {en: Activity, es: Actividad}
        title: subject
        fields:
          subject: {type: string, required: true}
          remind_at: {type: datetime}
          done: {type: boolean}
    """,
    "sla/ticket.yaml": """
        priority_field: priority
        targets:
          resolution:
            met_when: 'status == "resolved"'
            hours: {urgent: 4, low: 72}
        on_breach:
          notify: owner
          escalate_to_role: support_lead
        on_warning:
          at_percent: 50
    """,
    "reminders/activity.yaml": """
        field: remind_at
        cancel_when: "done"
    """,
    "roles.yaml": """
        roles:
          support_lead:
            entities:
              ticket: {actions: [read], scope: all}
    """,
}


def _tenant(runtime: Runtime, client: TestClient, root: Path) -> tuple[Api, int, int]:  # type: ignore[type-arg]
    for relative, text in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    runtime.registry.create_tenant("desk")
    publish(runtime, "desk", root)
    admin = runtime.registry.ensure_user("admin@desk.test", "correct horse battery")
    runtime.registry.add_membership("desk", admin, ["admin"])
    lead = runtime.registry.ensure_user("lead@desk.test", "correct horse battery")
    runtime.registry.add_membership("desk", lead, ["support_lead"])
    # The lead reads English: their own setting wins over the organisation's Spanish.
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(lead, "en")
    token = runtime.registry.create_token("desk", "admin@desk.test")
    return Api(client, "desk", token), admin, lead


def test_sla_and_reminder_notifications_follow_the_reader_language(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    api, admin, lead = _tenant(runtime, client, tmp_path / "desk")
    ticket = api.post("ticket", json={"subject": "Caída", "priority": "urgent"}).json()
    start = datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00"))
    Dispatcher(runtime).run_due(start + timedelta(hours=2, minutes=1))
    Dispatcher(runtime).run_due(start + timedelta(hours=5))
    reminder = {"subject": "Llamar a Ana", "remind_at": "2030-03-01T09:00:00Z"}
    assert api.post("activity", json=reminder).status_code == 201
    Dispatcher(runtime).run_due(datetime(2030, 3, 1, 9, 1, tzinfo=UTC))
    notes = [(n["user_id"], n["kind"], n["text"]) for n in rows(runtime, "desk", "_notifications")]
    assert notes == [
        (
            admin,
            "sla",
            "Aviso de SLA: usado el 50\xa0% del objetivo resolution de Incidencia Caída",
        ),
        (admin, "sla", "SLA incumplido: objetivo resolution de Incidencia Caída"),
        (lead, "escalation", "SLA breached: resolution target of Ticket Caída"),
        (admin, "reminder", "Recordatorio: Llamar a Ana"),
    ]
