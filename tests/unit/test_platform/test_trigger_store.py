"""The rule store writes run rows with a Core insert: same values on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.triggers import RuleStore, list_runs
from trellis.rules.triggers import Phase, compile_rules

from helpers import PackageWriter

RULES = """
rule "Stamp"
  on deal created
  then set note = "x"
end

rule "Tell"
  on deal updated
  then webhook "https://hooks.example.com/x"
end
"""
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _tenant(runtime: Runtime, write_package: PackageWriter) -> None:
    root: Path = write_package({"deal": "fields:\n  note: {type: string}\n"})
    (root / "rules").mkdir()
    (root / "rules" / "a.rules").write_text(RULES, encoding="utf-8")
    runtime.registry.create_tenant("store")
    publish(runtime, "store", root)


def test_runs_of_one_save_are_written_in_the_tenant_schema_with_their_values(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    app = runtime.app("store")
    stamp, tell = compile_rules(app.model)
    assert (stamp.phase, tell.phase) == (Phase.BEFORE, Phase.AFTER)
    store = RuleStore(app)
    rows = [
        store.run_row(stamp, 1, "applied", {"flag": True, "n": 1}, AT),
        store.run_row(stamp, 2, "applied", {"flag": 1, "n": 1.5}, AT),  # True == 1: kept apart
        store.run_row(tell, None, "applied", {"list": [1, "a"], "note": None}, AT),
    ]
    with runtime.engines.tenant_connection("store", write=True) as conn, conn.begin():
        store.record_runs(conn, rows)
        store.record_runs(conn, [])  # nothing to write
    with runtime.engines.tenant_connection("store") as conn:
        runs = list_runs(conn, app)
        stored = conn.execute(sa.select(store.runs.c.phase).order_by(store.runs.c.id)).all()
    assert [(r["rule"], r["record_id"], r["phase"], r["changes"]) for r in runs] == [
        ("Tell", None, "after", {"list": [1, "a"], "note": None}),
        ("Stamp", 2, "before", {"flag": 1, "n": 1.5}),
        ("Stamp", 1, "before", {"flag": True, "n": 1}),
    ]
    assert [type(r["changes"]["flag"]) for r in runs[1:]] == [int, bool]
    assert {(r["entity"], r["trigger"], r["outcome"], r["at"]) for r in runs} == {
        ("deal", "created", "applied", "2026-03-01T09:30:00Z"),
        ("deal", "updated", "applied", "2026-03-01T09:30:00Z"),
    }
    assert [type(p) for (p,) in stored] == [str, str, str]
