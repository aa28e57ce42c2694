"""A reminder's own ``text: {en: …, es: …}`` is delivered in each recipient's language:
their own setting, else the organisation's ``locale:`` (here Spanish); a plain string is
delivered as written."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
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
    "entities/activity.yaml": """
        title: subject
        fields:
          subject: {type: string, required: true}
          remind_at: {type: datetime}
          helper: {type: user}
    """,
    "entities/chore.yaml": """
        title: subject
        fields:
          subject: {type: string, required: true}
          remind_at: {type: datetime}
          helper: {type: user}
    """,
    "reminders/activity.yaml": """
        field: remind_at
        notify: helper
        text: {en: "Call {{ subject }}", es: "Llamar a {{ subject }}"}
    """,
    "reminders/chore.yaml": """
        field: remind_at
        notify: helper
        text: "Do {{ subject }}"
    """,
}
DUE = "2030-03-01T09:00:00Z"


def _tenant(runtime: Runtime, root: Path, client: TestClient) -> tuple[Api, int, int]:  # type: ignore[type-arg]
    for relative, text in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    runtime.registry.create_tenant("desk")
    publish(runtime, "desk", root)
    # The admin has no own language (the organisation's Spanish); the other reads English.
    admin = runtime.registry.ensure_user("admin@desk.test", "correct horse battery")
    runtime.registry.add_membership("desk", admin, ["admin"])
    reader = runtime.registry.ensure_user("en@desk.test", "correct horse battery")
    runtime.registry.add_membership("desk", reader, ["admin"])
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(reader, "en")
    token = runtime.registry.create_token("desk", "admin@desk.test")
    return Api(client, "desk", token), admin, reader


def test_a_per_locale_reminder_text_follows_each_recipient_language(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    api, admin, reader = _tenant(runtime, tmp_path / "desk", client)
    for entity in ("activity", "chore"):
        for helper, subject in ((admin, "Ana"), (reader, "Bob")):
            record = {"subject": subject, "remind_at": DUE, "helper": helper}
            assert api.post(entity, json=record).status_code == 201
    Dispatcher(runtime).run_due(datetime(2030, 3, 1, 9, 1, tzinfo=UTC))
    notes = rows(runtime, "desk", "_notifications")
    assert sorted((n["entity"], n["user_id"], n["text"]) for n in notes) == sorted(
        [
            ("activity", admin, "Llamar a Ana"),
            ("activity", reader, "Call Bob"),
            ("chore", admin, "Do Ana"),
            ("chore", reader, "Do Bob"),
        ]
    )
