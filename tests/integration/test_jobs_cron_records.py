"""``on <entity> every "<cron>"`` rules change the matching records once per period."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trellis.platform.automation import record_service
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.records.principal import System
from trellis.platform.records.save_context import SaveContext
from trellis.platform.runtime import Runtime

from jobs_helpers import rows

LEAD = """
label: Lead
title: name
fields:
  name: {type: string, required: true}
  points: {type: integer, min: 0, default: '0'}
  grade: {type: enum, options: [hot, cold]}
  locked: {type: boolean}
validations:
  - {when: 'old(locked) and changed(points)', field: points, message: "Locked points."}
"""
RULES = """
rule "Points decay weekly"
  on lead every "0 6 * * 1"
  when points > 0
  then set points = max(points - 5, 0)
end

rule "Grade"
  on lead created, updated
  then set grade = if(points >= 10, "hot", "cold")
end
"""
MONDAY_6 = datetime(2030, 1, 7, 6, tzinfo=UTC)  # 2030-01-07 is a Monday


def _tenant(runtime: Runtime, tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / "app.yaml").write_text("name: decay\nversion: 1.0.0\nlabel: Decay\n")
    (root / "entities" / "lead.yaml").write_text(LEAD)
    (root / "rules" / "decay.rules").write_text(RULES)
    runtime.registry.create_tenant("decay")
    publish(runtime, "decay", root)


def _leads(runtime: Runtime, *values: dict[str, Any]) -> None:
    rt = runtime.app_runtime("decay")
    service = record_service(rt)
    with runtime.engines.tenant_connection("decay") as conn, conn.begin():
        ctx = SaveContext(conn, System("test"), MONDAY_6)
        for data in values:
            service.create(ctx, rt.app.entities["lead"], data)


def _points(runtime: Runtime) -> dict[str, tuple[int, str]]:
    return {r["name"]: (r["points"], r["grade"]) for r in rows(runtime, "decay", "lead")}


def test_cron_rule_sets_the_matching_records_once_per_period(
    runtime: Runtime, tmp_path: Path
) -> None:
    _tenant(runtime, tmp_path)
    _leads(
        runtime,
        {"name": "hot", "points": 12},
        {"name": "low", "points": 3},
        {"name": "zero", "points": 0},
    )
    Dispatcher(runtime).run_due(datetime(2030, 1, 1, 9, tzinfo=UTC))  # arms Monday 06:00
    assert _points(runtime)["hot"] == (12, "hot")
    Dispatcher(runtime).run_due(datetime(2030, 1, 7, 5, 59, tzinfo=UTC))
    assert _points(runtime)["hot"] == (12, "hot")  # not due yet
    Dispatcher(runtime).run_due(datetime(2030, 1, 7, 6, 0, 30, tzinfo=UTC))
    # Saved through the pipeline: the floor holds and the other rules run again.
    assert _points(runtime) == {"hot": (7, "cold"), "low": (0, "cold"), "zero": (0, "cold")}
    Dispatcher(runtime).run_due(datetime(2030, 1, 7, 7, tzinfo=UTC))  # same period: nothing
    assert _points(runtime)["hot"] == (7, "cold")
    Dispatcher(runtime).run_due(datetime(2030, 1, 14, 6, 1, tzinfo=UTC))  # the next week
    assert _points(runtime)["hot"] == (2, "cold")
    runs = [r for r in rows(runtime, "decay", "_rule_runs") if r["rule"] == "Points decay weekly"]
    assert sorted((r["record_id"], r["outcome"]) for r in runs) == [
        (1, "applied"),
        (1, "applied"),
        (2, "applied"),
    ]  # ``zero`` never matched the condition: no run for it


def test_a_refused_record_is_a_failed_run_and_the_others_are_saved(
    runtime: Runtime, tmp_path: Path
) -> None:
    _tenant(runtime, tmp_path)
    _leads(
        runtime, {"name": "locked", "points": 20, "locked": True}, {"name": "free", "points": 20}
    )
    Dispatcher(runtime).run_due(datetime(2030, 1, 1, 9, tzinfo=UTC))
    Dispatcher(runtime).run_due(MONDAY_6.replace(minute=1))
    assert _points(runtime) == {"locked": (20, "hot"), "free": (15, "hot")}
    runs = {r["record_id"]: r for r in rows(runtime, "decay", "_rule_runs") if r["record_id"]}
    assert runs[1]["outcome"] == "failed"
    assert runs[1]["changes"] == {"error": "points: Locked points."}
    assert runs[2]["outcome"] == "applied"
    count = sa.func.count()
    with runtime.engines.tenant_connection("decay") as conn:
        table = runtime.app("decay").metadata.tables["_schedules"]
        waiting = conn.execute(sa.select(count).where(table.c.fired_at.is_(None))).scalar()
    assert waiting == 1  # the next period is armed
