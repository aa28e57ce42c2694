"""Retention rules of app.yaml: run daily by the job dispatcher, a report, audited."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.cli import main
from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import CODES, load_package
from trellis.platform.config import FakeClock
from trellis.platform.db.privacy_tables import RETENTION_RUNS_TABLE
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.rules.checker import RuleExpressionChecker

from helpers import Api

LEAD = """
label: Lead
title: name
fields:
  name: {type: string, required: true, pii: true}
  email: {type: email}
  status: {type: enum, options: [open, spam]}
  last_contact: {type: date}
  amount: {type: decimal, scale: 2}
"""
RETENTION = """
retention:
  - name: forget-stale
    entity: lead
    when: 'last_contact < today() - days(365)'
    action: anonymise
  - {name: drop-spam, entity: lead, when: 'status == "spam"', action: delete}
"""
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    return clocked_runtime


def _package(root: Path, app_extra: str = RETENTION, lead: str = LEAD) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text(
        "name: keep\nversion: 1.0.0\nlabel: Keep\n" + textwrap.dedent(app_extra).lstrip()
    )
    (root / "entities" / "lead.yaml").write_text(textwrap.dedent(lead).lstrip())
    return root


@pytest.fixture
def api(runtime: Runtime, client: TestClient[Any], tmp_path: Path) -> Api:
    runtime.registry.create_tenant("keep")
    publish(runtime, "keep", _package(tmp_path / "pkg"))
    user = runtime.registry.ensure_user("admin@keep.test", "correct horse battery")
    runtime.registry.add_membership("keep", user, ["admin"])
    return Api(client, "keep", runtime.registry.create_token("keep", "admin@keep.test"))


def _lead(api: Api, **body: Any) -> int:
    response = api.post("lead", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _runs(runtime: Runtime) -> list[tuple[str, int, int]]:
    table = runtime.app("keep").metadata.tables[RETENTION_RUNS_TABLE]
    with runtime.engines.tenant_connection("keep") as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.id)).all()
    return [(r.rule, r.count, r.failed) for r in rows]


def test_rules_run_daily_with_a_report_and_audit(
    api: Api, runtime: Runtime, clock: FakeClock, capsys: Any, config: Any, monkeypatch: Any
) -> None:
    old = _lead(api, name="Ada", email="ada@x.test", last_contact="2024-06-01", amount="120.50")
    fresh = _lead(api, name="Bob", email="bob@x.test", last_contact="2026-02-01")
    spam = _lead(api, name="Buy now", status="spam")
    Dispatcher(runtime).run_due()
    ada = api.get(f"lead/{old}").json()
    assert ada["name"].startswith("erased-") and ada["email"].endswith("@erased.invalid")
    assert Decimal(str(ada["amount"])) == Decimal("120.50") and ada["last_contact"] == "2024-06-01"
    assert api.get(f"lead/{fresh}").json()["name"] == "Bob"
    assert api.get(f"lead/{spam}").status_code == 404
    assert [d["id"] for d in api.get("lead/_deleted").json()["items"]] == [spam]
    history = json.dumps(api.get(f"lead/{old}/_history").json())
    assert "Ada" not in history and "ada@x.test" not in history
    assert _runs(runtime) == [("forget-stale", 1, 0), ("drop-spam", 1, 0)]
    audit = runtime.registry.audit.entries(runtime.tenant("keep").id, action="privacy.retention")
    assert [r["count"] for r in audit[0].detail["rules"]] == [1, 1]
    # not due again the same day; a day later it runs, finding nothing new
    Dispatcher(runtime).run_due()
    assert len(_runs(runtime)) == 2
    clock.advance(86_400)
    Dispatcher(runtime).run_due()
    assert _runs(runtime)[2:] == [("forget-stale", 0, 0), ("drop-spam", 0, 0)]
    # the command line runs them now and prints the report
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    assert main(["gdpr", "retention", "keep", "--data-dir", str(config.data_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["rule"], r["count"]) for r in out["rules"]] == [
        ("forget-stale", 0),
        ("drop-spam", 0),
    ]


@pytest.mark.parametrize(
    ("extra", "line", "col", "words"),
    [
        (
            "retention:\n  - {name: a, entity: leed, when: 'true', action: delete}\n",
            5,
            23,
            "unknown entity 'leed'",
        ),
        (
            "retention:\n  - {name: a, entity: lead, when: 'stauts == \"x\"', action: delete}\n",
            5,
            36,
            "[RL002]",
        ),
    ],
)
def test_bad_rules_are_positioned_metadata_errors(
    tmp_path: Path, extra: str, line: int, col: int, words: str
) -> None:
    with pytest.raises(MetadataError) as caught:
        load_package(_package(tmp_path / "p", extra), checker=RuleExpressionChecker())
    found = [d for d in caught.value.errors if d.code == "MD372"]
    assert found, [str(d) for d in caught.value.errors]
    assert words in found[0].message
    assert (found[0].span.line, found[0].span.col) == (line, col), str(found[0])
    assert found[0].span.path.endswith("app.yaml")
    assert "MD372" in CODES


def test_a_bad_action_is_refused_by_the_schema(tmp_path: Path) -> None:
    extra = "retention:\n  - {name: a, entity: lead, when: 'true', action: shred}\n"
    with pytest.raises(MetadataError) as caught:
        load_package(_package(tmp_path / "p", extra))
    assert any(d.code == "MD007" and d.span.line == 5 for d in caught.value.errors), [
        str(d) for d in caught.value.errors
    ]
