"""SLA clocks that stop while ``pause_when`` holds: parked, resumed, met or deleted while
parked, re-planned for a new priority, in business and in wall-clock hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient

from trellis.platform.config import FakeClock
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import rows

MADRID = ZoneInfo("Europe/Madrid")
CALENDAR = """\
label: {en: Office, es: Oficina}
timezone: Europe/Madrid
week: {monday: ["09:00-18:00"], tuesday: ["09:00-18:00"], wednesday: ["09:00-18:00"],
       thursday: ["09:00-18:00"], friday: ["09:00-18:00"]}
"""
TICKET = """\
label: Ticket
title: subject
fields:
  subject: {type: string, required: true}
  priority: {type: enum, options: [high, low], default: '"low"'}
  status: {type: enum, options: [open, pending, closed], default: '"open"'}
"""
# The resolution counts office hours, the reply wall-clock hours.
SLA = """\
priority_field: priority
pause_when: 'status == "pending"'
targets:
  resolution:
    met_when: 'status == "closed"'
    calendar: office
    hours: {high: 4, low: 12}
  reply:
    met_when: 'status == "closed"'
    hours: {high: 2, low: 4}
on_warning:
  at_percent: 80
"""


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    return clocked_runtime


def _madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def _api(runtime: Runtime, client: TestClient, tmp_path: Path) -> Api:  # type: ignore[type-arg]
    root = tmp_path / "pkg"
    for folder, name, text in (
        ("calendars", "office", CALENDAR),
        ("entities", "ticket", TICKET),
        ("sla", "ticket", SLA),
    ):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / f"{name}.yaml").write_text(text)
    (root / "app.yaml").write_text("name: pause\nversion: 1.0.0\nlabel: Pause\n")
    runtime.registry.create_tenant("pz")
    publish(runtime, "pz", root)
    user = runtime.registry.ensure_user("admin@pz.test", "correct horse battery")
    runtime.registry.add_membership("pz", user, ["admin"])
    return Api(client, "pz", runtime.registry.create_token("pz", "admin@pz.test"))


def _state(runtime: Runtime, record_id: int) -> dict[tuple[str, str], datetime]:
    """(kind, key) -> due time of the record's waiting or parked rows."""
    return {
        (r["kind"], r["key"]): r["due_at"].replace(tzinfo=UTC)
        for r in rows(runtime, "pz", "_schedules")
        if r["record_id"] == record_id and (r["fired_at"] is None or r["kind"] == "sla_paused")
    }


def _patch(api: Api, record_id: int, **values: str) -> None:
    answer = api.patch(f"ticket/{record_id}", json=values)
    assert answer.status_code == 200, answer.text


def test_a_paused_target_runs_on_from_where_it_stopped(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    api = _api(runtime, client, tmp_path)
    clock.set(_madrid(2027, 3, 1, 10))  # Monday
    tid = api.post("ticket", json={"subject": "A", "priority": "high"}).json()["id"]
    assert _state(runtime, tid)[("sla", "resolution")] == _madrid(2027, 3, 1, 14)
    assert _state(runtime, tid)[("sla", "reply")] == _madrid(2027, 3, 1, 12)
    clock.set(_madrid(2027, 3, 1, 11))
    _patch(api, tid, status="pending")
    assert _state(runtime, tid) == {
        ("sla_paused", "resolution"): _madrid(2027, 3, 1, 11),
        ("sla_paused", "reply"): _madrid(2027, 3, 1, 11),
    }
    # Changing the priority while paused keeps it paused.
    _patch(api, tid, priority="low")
    assert set(_state(runtime, tid)) == {("sla_paused", "resolution"), ("sla_paused", "reply")}
    clock.set(_madrid(2027, 3, 2, 10))  # Tuesday 10:00: 8 business hours, 23 wall hours
    _patch(api, tid, status="open")
    state = _state(runtime, tid)
    # Low: 12 business hours from Monday 10:00 plus the 8 paused: Wednesday 12:00.
    assert state[("sla", "resolution")] == _madrid(2027, 3, 3, 12)
    assert state[("sla", "resolution:warning")] == _madrid(2027, 3, 3, 9) + timedelta(minutes=36)
    # Wall-clock reply target: 4 h from Monday 10:00 plus the 23 h paused.
    assert state[("sla", "reply")] == _madrid(2027, 3, 2, 13)
    # A second pause adds to the first.
    clock.set(_madrid(2027, 3, 2, 11))
    _patch(api, tid, status="pending")
    clock.set(_madrid(2027, 3, 2, 12))
    _patch(api, tid, status="open")
    assert _state(runtime, tid)[("sla", "resolution")] == _madrid(2027, 3, 3, 13)
    assert _state(runtime, tid)[("sla", "reply")] == _madrid(2027, 3, 2, 14)


def test_meeting_or_deleting_a_paused_target_forgets_it(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    api = _api(runtime, client, tmp_path)
    clock.set(_madrid(2027, 3, 1, 10))
    met = api.post("ticket", json={"subject": "Met"}).json()["id"]
    gone = api.post("ticket", json={"subject": "Gone"}).json()["id"]
    for tid in (met, gone):
        _patch(api, tid, status="pending")
    _patch(api, met, status="closed")
    assert _state(runtime, met) == {}
    assert api.delete(f"ticket/{gone}").status_code in (200, 204)
    assert _state(runtime, gone) == {}


def test_a_ticket_created_paused_starts_its_clock_when_resumed(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    api = _api(runtime, client, tmp_path)
    clock.set(_madrid(2027, 3, 5, 17))  # Friday 17:00
    tid = api.post("ticket", json={"subject": "Later", "status": "pending"}).json()["id"]
    assert set(_state(runtime, tid)) == {("sla_paused", "resolution"), ("sla_paused", "reply")}
    clock.set(_madrid(2027, 3, 8, 9))  # Monday 09:00
    _patch(api, tid, status="open")
    # Friday's business hour was spent paused: the 12 h run from Monday 09:00.
    assert _state(runtime, tid)[("sla", "resolution")] == _madrid(2027, 3, 9, 12)
