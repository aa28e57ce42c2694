"""``every "<cron>"`` rules: armed per tenant, fired once per period, never twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.schedules.cron import next_due

from jobs_helpers import rows, run_cli

RULES = """
rule "Hourly sync"
  every "0 * * * *"
  then webhook "https://hooks.example.com/sync"
end
"""


@pytest.fixture(autouse=True)
def _no_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    # The webhook host is not reachable: rows stay in the outbox, which is what we count.
    monkeypatch.delenv("TRELLIS_WEBHOOK_ALLOW_PRIVATE", raising=False)


def _package(tmp_path: Path, rules: str | None = RULES, timezone: str | None = None) -> Path:
    """The test package; ``rules=None`` leaves no rule file, ``timezone`` goes in app.yaml."""
    root = tmp_path / "pkg"
    (root / "entities").mkdir(parents=True, exist_ok=True)
    (root / "rules").mkdir(exist_ok=True)
    app = "name: cronapp\nversion: 1.0.0\nlabel: Cron\n"
    (root / "app.yaml").write_text(app + (f"timezone: {timezone}\n" if timezone else ""))
    (root / "entities" / "note.yaml").write_text("fields:\n  name: {type: string}\n")
    (root / "rules" / "cron.rules").unlink(missing_ok=True)
    if rules is not None:
        (root / "rules" / "cron.rules").write_text(rules)
    return root


def _tenant(
    runtime: Runtime, tmp_path: Path, rules: str = RULES, timezone: str | None = None
) -> None:
    runtime.registry.create_tenant("cron")
    publish(runtime, "cron", _package(tmp_path, rules, timezone))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _fired(runtime: Runtime) -> list[str]:
    hooks = [r for r in rows(runtime, "cron", "_outbox") if r["kind"] == "webhook"]
    return [h["payload"]["record"]["scheduled_at"] for h in hooks]


def _waiting(runtime: Runtime) -> list[datetime]:
    schedule = rows(runtime, "cron", "_schedules")
    return [s["due_at"].replace(tzinfo=UTC) for s in schedule if s["fired_at"] is None]


def _scheduled(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """The ``scheduled`` column of tenant ``cron`` in ``trellis jobs status``."""
    code, out = run_cli(runtime, monkeypatch, capsys, "jobs", "status")
    assert code == 0
    lines = out.strip().splitlines()
    cron = next(line.split() for line in lines if line.startswith("cron "))
    return dict(zip(lines[0].split(), cron, strict=True))["scheduled"]


def test_next_due_follows_the_expression() -> None:
    assert next_due("0 * * * *", _at("2030-01-01T09:00:00")) == _at("2030-01-01T10:00:00")
    assert next_due("30 8 * * 1", _at("2030-01-01T09:00:00")) == _at("2030-01-07T08:30:00")


def test_cron_rule_fires_once_per_period_even_with_two_dispatchers(
    runtime: Runtime, tmp_path: Path
) -> None:
    _tenant(runtime, tmp_path)
    Dispatcher(runtime).run_due(_at("2030-01-01T09:10:00"))  # arms 10:00
    schedule = rows(runtime, "cron", "_schedules")
    assert [(s["kind"], s["key"], s["fired_at"]) for s in schedule] == [
        ("cron", "Hourly sync", None)
    ]
    assert _fired(runtime) == []
    Dispatcher(runtime).run_due(_at("2030-01-01T09:59:59"))
    assert _fired(runtime) == []
    # Two dispatchers at once, past the due time: one firing.
    at = _at("2030-01-01T10:00:30")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            Dispatcher(runtime).run_due(at)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _fired(runtime) == ["2030-01-01T10:00:00Z"]
    Dispatcher(runtime).run_due(at)  # same period again: nothing
    assert _fired(runtime) == ["2030-01-01T10:00:00Z"]
    waiting = [s for s in rows(runtime, "cron", "_schedules") if s["fired_at"] is None]
    assert len(waiting) == 1
    # Down for three hours: the missed periods fire once, then the next hour is armed.
    Dispatcher(runtime).run_due(_at("2030-01-01T13:20:00"))
    assert _fired(runtime) == ["2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"]
    runs = [r for r in rows(runtime, "cron", "_rule_runs") if r["rule"] == "Hourly sync"]
    assert len(runs) == 2
    waiting = [s for s in rows(runtime, "cron", "_schedules") if s["fired_at"] is None]
    assert [w["due_at"].replace(tzinfo=UTC) for w in waiting] == [_at("2030-01-01T14:00:00")]


def test_run_due_cli_fires_cron_rules_and_status_counts_them(
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _tenant(runtime, tmp_path)
    code, out = run_cli(
        runtime, monkeypatch, capsys, "jobs", "run-due", "--now", "2030-01-01T09:10:00Z"
    )
    assert code == 0
    assert _scheduled(runtime, monkeypatch, capsys) == "1"
    code, out = run_cli(
        runtime, monkeypatch, capsys, "jobs", "run-due", "--now", "2030-01-01T10:00:00Z"
    )
    assert code == 0
    assert "cron: 1 timers fired" in out
    assert _fired(runtime) == ["2030-01-01T10:00:00Z"]


DAILY = """
rule "Morning report"
  every "0 9 * * *"
  then webhook "https://hooks.example.com/report"
end
"""


def test_cron_rule_fires_at_the_local_time_of_the_package_time_zone(
    runtime: Runtime, tmp_path: Path
) -> None:
    _tenant(runtime, tmp_path, DAILY, timezone="Europe/Madrid")
    Dispatcher(runtime).run_due(_at("2030-03-30T06:00:00"))
    assert _waiting(runtime) == [_at("2030-03-30T08:00:00")]  # 09:00 CET
    Dispatcher(runtime).run_due(_at("2030-03-30T07:59:00"))
    assert _fired(runtime) == []
    Dispatcher(runtime).run_due(_at("2030-03-30T08:00:30"))
    assert _fired(runtime) == ["2030-03-30T08:00:00Z"]
    # Clocks go forward that night: the next 09:00 is 07:00 UTC (CEST).
    assert _waiting(runtime) == [_at("2030-03-31T07:00:00")]
    Dispatcher(runtime).run_due(_at("2030-03-31T07:00:30"))
    assert _fired(runtime) == ["2030-03-30T08:00:00Z", "2030-03-31T07:00:00Z"]
    # Another zone in a new version re-arms the waiting row on the new wall clock.
    publish(runtime, "cron", _package(tmp_path, DAILY, timezone="America/New_York"))
    assert _waiting(runtime) == []
    Dispatcher(runtime).run_due(_at("2030-03-31T08:00:00"))
    assert _waiting(runtime) == [_at("2030-03-31T13:00:00")]  # 09:00 EDT


def test_republishing_without_the_rule_leaves_nothing_waiting(
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _tenant(runtime, tmp_path)
    Dispatcher(runtime).run_due(_at("2030-01-01T09:10:00"))
    assert _waiting(runtime) == [_at("2030-01-01T10:00:00")]
    assert _scheduled(runtime, monkeypatch, capsys) == "1"
    publish(runtime, "cron", _package(tmp_path, rules=None))
    assert _waiting(runtime) == []
    assert _scheduled(runtime, monkeypatch, capsys) == "0"
    Dispatcher(runtime).run_due(_at("2030-01-01T10:00:30"))
    assert _fired(runtime) == []
    assert [r for r in rows(runtime, "cron", "_rule_runs") if r["rule"] == "Hourly sync"] == []
