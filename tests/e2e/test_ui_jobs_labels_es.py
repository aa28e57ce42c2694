"""The admin jobs page shows a job's kind and a delivery's status by their label in the
reader's language (``job kind`` / ``delivery status`` gettext contexts); the stored
values stay raw and an unknown kind is shown as stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.i18n import Translator
from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.jobs.deliveries import STATUSES, Delivery, record_delivery
from trellis.platform.jobs.handlers import DEFAULT_HANDLERS
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_activity_support import signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
NOW = datetime(2030, 1, 1, tzinfo=UTC)
ITEM = """
    fields:
      name: {type: string}
"""
TEMPLATE = Path(__file__).resolve().parents[2] / "ui/screens/templates/admin_jobs.html"


def _dead_job(runtime: Runtime, kind: str) -> int:
    table = runtime.app(TENANT).metadata.tables[OUTBOX_TABLE]
    values = {"kind": kind, "payload": {}, "created_at": NOW, "state": "dead", "attempts": 5}
    with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
        key = conn.execute(table.insert().values(done_at=NOW, **values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _cell(html: str, row_id: str, label: str) -> str:
    row = html.split(f'<tr id="{row_id}">', 1)[1].split("</tr>", 1)[0]
    return row.split(f'data-label="{label}"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def _setup(runtime: Runtime, write_package: PackageWriter, locale: str) -> dict[str, int]:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    admin = add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(admin, locale)
    jobs = {k: _dead_job(runtime, k) for k in ("email", "backup", "custom_kind")}
    metadata = runtime.app(TENANT).metadata
    with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
        for status in ("sent", "failed"):
            record_delivery(
                conn, metadata, Delivery("email", None, 1, status, target="a@x.test"), NOW
            )
        skipped = Delivery("webhook", None, 1, "skipped", target="https://h.invalid/")
        record_delivery(conn, metadata, skipped, NOW)
    return jobs


def _statuses(html: str, section: str, label: str) -> list[str]:
    part = html.split(section, 1)[1].split("</section>", 1)[0]
    return [c.split(">", 1)[1].split("<", 1)[0] for c in part.split(f'data-label="{label}"')[1:]]


def test_kinds_and_statuses_in_spanish(runtime: Runtime, write_package: PackageWriter) -> None:
    jobs = _setup(runtime, write_package, "es")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        html = client.get(f"/t/{TENANT}/admin/jobs").text
    assert _cell(html, f"job-{jobs['email']}", "Tipo") == "correo"
    assert _cell(html, f"job-{jobs['backup']}", "Tipo") == "copia de seguridad"
    assert _cell(html, f"job-{jobs['custom_kind']}", "Tipo") == "custom_kind"
    assert 'data-kind="email"' in html
    assert sorted(_statuses(html, "Correos recientes", "Estado")) == ["enviado", "fallido"]
    assert _statuses(html, "Webhooks recientes", "Estado") == ["omitido"]
    assert 'data-status="sent"' in html
    table = runtime.app(TENANT).metadata.tables[OUTBOX_TABLE]
    with runtime.engines.tenant_connection(TENANT) as conn:
        kinds = set(conn.execute(sa.select(table.c.kind)).scalars())
    assert kinds == {"email", "backup", "custom_kind"}


def test_kinds_and_statuses_in_english(runtime: Runtime, write_package: PackageWriter) -> None:
    jobs = _setup(runtime, write_package, "en")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        html = client.get(f"/t/{TENANT}/admin/jobs").text
    assert _cell(html, f"job-{jobs['backup']}", "Kind") == "backup"
    assert sorted(_statuses(html, "Recent e-mails", "Status")) == ["failed", "sent"]


def test_every_kind_and_status_has_a_label() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    es = Translator("es")
    for kind in DEFAULT_HANDLERS:
        label = kind.replace("_", " ")  # chat_transcript reads "chat transcript"
        assert f'"{kind}": pgettext("job kind", "{label}")' in text, kind
    for status in STATUSES:
        assert f'pgettext("delivery status", "{status}")' in text, status
        assert es.pgettext("delivery status", status) != status
    assert es.pgettext("job kind", "email") == "correo"


def test_retried_and_discarded_job_flash_shows_the_kind_label(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    jobs = _setup(runtime, write_package, "es")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        retried = post_form(client, f"/t/{TENANT}/admin/jobs/{jobs['email']}/retry", {})
        assert f"Trabajo {jobs['email']} (correo) puesto de nuevo en cola." in retried.text
        discarded = post_form(client, f"/t/{TENANT}/admin/jobs/{jobs['backup']}/discard", {})
        assert f"Trabajo {jobs['backup']} (copia de seguridad) descartado." in discarded.text
        custom = post_form(client, f"/t/{TENANT}/admin/jobs/{jobs['custom_kind']}/retry", {})
        again = f"Trabajo {jobs['custom_kind']} (custom_kind) puesto de nuevo en cola."
        assert again in custom.text
    table = runtime.app(TENANT).metadata.tables[OUTBOX_TABLE]
    with runtime.engines.tenant_connection(TENANT) as conn:
        states = dict(conn.execute(sa.select(table.c.kind, table.c.state)).all())
    assert states == {"email": "pending", "backup": "discarded", "custom_kind": "pending"}
