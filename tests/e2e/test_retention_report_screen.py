"""The retention report screen: per rule, what it would handle now and what it handled."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.config import FakeClock
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import Api
from ui_support import sign_in

LEAD = """
label: Lead
title: name
fields:
  name: {type: string, required: true, pii: true}
  status: {type: enum, options: [open, spam]}
  last_contact: {type: date}
"""
APP = """
name: keep
version: 1.0.0
label: Keep
retention:
  - name: forget-stale
    entity: lead
    when: 'last_contact < today() - days(365)'
    action: anonymise
  - {name: drop-spam, entity: lead, when: 'status == "spam"', action: delete}
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    return clocked_runtime


@pytest.fixture
def keep(runtime: Runtime, client: TestClient[Any], tmp_path: Path) -> Api:
    root = tmp_path / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text(textwrap.dedent(APP).lstrip())
    (root / "entities" / "lead.yaml").write_text(textwrap.dedent(LEAD).lstrip())
    reg = runtime.registry
    reg.create_tenant("keep")
    publish(runtime, "keep", root)
    reg.add_membership(
        "keep", reg.ensure_user("admin@keep.test", "correct horse battery"), ["admin"]
    )
    reg.add_membership("keep", reg.ensure_user("rep@keep.test", "correct horse battery"), ["user"])
    return Api(client, "keep", reg.create_token("keep", "admin@keep.test"))


def _cells(html: str, rule: str) -> str:
    start = html.index(f'id="rule-{rule}"')
    return html[start : html.index("</tr>", start)]


def test_report_shows_pending_records_then_what_the_run_handled(
    runtime: Runtime, keep: Api
) -> None:
    for name, status, last in (("Old", "open", "2024-01-01"), ("Spam", "spam", "2026-02-01"),
                               ("New", "open", "2026-02-20")):  # fmt: skip
        made = keep.post("lead", json={"name": name, "status": status, "last_contact": last})
        assert made.status_code == 201, made.text
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "keep", "admin@keep.test").status_code == 303
        before = web.get("/t/keep/admin/retention")
        assert before.status_code == 200
        stale, spam = _cells(before.text, "forget-stale"), _cells(before.text, "drop-spam")
        assert 'class="pending">1<' in stale and 'class="pending">1<' in spam
        assert "Not run yet" in stale and "Anonymise" in stale and "Delete" in spam
        assert "status == &#34;spam&#34;" in spam or 'status == "spam"' in spam
        Dispatcher(runtime).run_due()
        after = web.get("/t/keep/admin/retention").text
        stale, spam = _cells(after, "forget-stale"), _cells(after, "drop-spam")
        assert 'class="pending">0<' in stale and 'class="pending">0<' in spam
        assert "1 handled, 0 failed" in stale and "1 handled, 0 failed" in spam
        assert 'class="total">1<' in spam
        spanish = web.get("/t/keep/admin/retention", headers={"Accept-Language": "es"}).text
        assert "Informe de conservación" in spanish and "1 tratados, 0 con error" in spanish
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "keep", "rep@keep.test").status_code == 303
        assert web.get("/t/keep/admin/retention").status_code == 403
