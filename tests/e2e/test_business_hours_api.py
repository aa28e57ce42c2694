"""Business hours through a published package: SLA due times, formulas, validations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api
from jobs_helpers import rows

CALENDAR = """\
label: Support desk (Madrid)
timezone: Europe/Madrid
week:
  monday: ["09:00-14:00", "15:00-18:00"]
  tuesday: ["09:00-14:00", "15:00-18:00"]
  wednesday: ["09:00-14:00", "15:00-18:00"]
  thursday: ["09:00-14:00", "15:00-18:00"]
  friday: ["09:00-14:00", "15:00-18:00"]
holidays:
  - 2026-12-08
  - 2026-12-25
"""
TICKET = """\
label: Ticket
title: subject
fields:
  subject: {type: string, required: true}
  priority: {type: enum, options: [high, low], default: '"low"'}
  opened_at: {type: datetime, required: true}
  answered_at: {type: datetime}
  response_hours:
    type: decimal
    formula: 'business_hours_between(opened_at, answered_at, "support")'
validations:
  - when: 'business_hours_between(opened_at, answered_at, "support") > 40'
    field: answered_at
    message: "Answer within a working week (40 business hours)."
"""
SLA = """\
priority_field: priority
start_field: opened_at
calendar: support
targets:
  response:
    met_when: "answered_at is not empty"
    hours: {high: 4, low: 16}
"""


def _utc(*args: int) -> str:
    return datetime(*args, tzinfo=UTC).isoformat().replace("+00:00", "Z")  # type: ignore[misc]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """Tenant ``bh`` with the support calendar, a ticket entity and its SLA."""
    root = tmp_path_factory.mktemp("bh")
    package = root / "pkg"
    for folder, name, text in (
        ("calendars", "support", CALENDAR),
        ("entities", "ticket", TICKET),
        ("sla", "ticket", SLA),
    ):
        (package / folder).mkdir(parents=True, exist_ok=True)
        (package / folder / f"{name}.yaml").write_text(text)
    (package / "app.yaml").write_text("name: desk\nversion: 1.0.0\nlabel: Desk\n")
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        config = RuntimeConfig(data_dir=root / "data", version_check_interval=0.0)
    else:
        config = RuntimeConfig(
            data_dir=root / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    runtime = Runtime(config)
    try:
        runtime.registry.create_tenant("bh")
        publish(runtime, "bh", Path(package))
        user = runtime.registry.ensure_user("admin@bh.test", "correct horse battery")
        runtime.registry.add_membership("bh", user, ["admin"])
        token = runtime.registry.create_token("bh", "admin@bh.test")
        with TestClient(app=create_web_app(runtime)) as client:
            api = Api(client, "bh", token)
            api.runtime = runtime  # type: ignore[attr-defined]
            yield api
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _due(api: Api, record_id: int) -> datetime:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    (row,) = [
        r
        for r in rows(runtime, "bh", "_schedules")
        if r["record_id"] == record_id and r["fired_at"] is None
    ]
    return row["due_at"].replace(tzinfo=UTC)  # type: ignore[no-any-return]


def test_sla_due_time_is_counted_in_business_hours(api: Api) -> None:
    # Friday 4 December 16:00 Madrid (15:00 UTC).
    high = api.post(
        "ticket", json={"subject": "Down", "priority": "high", "opened_at": _utc(2026, 12, 4, 15)}
    )
    assert high.status_code == 201, high.text
    # 2 hours on Friday, 2 on Monday from 09:00: Monday 11:00 Madrid.
    assert _due(api, high.json()["id"]) == datetime(2026, 12, 7, 10, tzinfo=UTC)
    low = api.post("ticket", json={"subject": "Slow", "opened_at": _utc(2026, 12, 4, 15)}).json()
    # Friday 2, Monday 8, Tuesday 8 is a holiday, Wednesday 6 more: 16:00 Madrid.
    assert _due(api, low["id"]) == datetime(2026, 12, 9, 15, tzinfo=UTC)


def test_formula_stores_business_hours(api: Api) -> None:
    created = api.post(
        "ticket",
        json={
            "subject": "Answered",
            "opened_at": _utc(2026, 12, 4, 15),
            "answered_at": _utc(2026, 12, 7, 9),  # Monday 10:00 Madrid
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["response_hours"] == "3"


def test_validation_uses_business_hours(api: Api) -> None:
    # Monday 7 09:00 to Monday 14 18:00 Madrid: 5 working days (Tuesday 8 a holiday).
    ok = api.post(
        "ticket",
        json={
            "subject": "Week",
            "opened_at": _utc(2026, 12, 7, 8),
            "answered_at": _utc(2026, 12, 14, 17),
        },
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["response_hours"] == "40"
    late = api.post(
        "ticket",
        json={
            "subject": "Late",
            "opened_at": _utc(2026, 12, 7, 8),
            "answered_at": _utc(2026, 12, 15, 9),
        },
    )
    assert late.status_code == 422
    assert late.json()["errors"]["answered_at"] == [
        "Answer within a working week (40 business hours)."
    ]


def test_filters_refuse_business_hours_with_a_clear_message(api: Api) -> None:
    answer = api.get(
        "ticket",
        params={"filter": 'business_hours_between(opened_at, answered_at, "support") > 1'},
    )
    assert answer.status_code == 400, answer.text
    assert "business_hours_between() works in formulas" in answer.text
