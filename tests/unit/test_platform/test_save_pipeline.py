"""The save pipeline's steps one at a time, without HTTP, on a real SQLite database."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from trellis.metadata.loader import load_package
from trellis.platform.authz import Authorizer
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from trellis.platform.records.hooks import BoundHook, SaveEvent, TraceStep
from trellis.platform.records.pipeline import checks, writes
from trellis.platform.records.pipeline.sequences import (
    BEFORE_SAVE_RULES,
    CREATE_STEPS,
    OUTBOX,
    STEP_NAMES,
    UPDATE_STEPS,
    after_hooks,
    before_hooks,
    run_steps,
)
from trellis.platform.records.pipeline.state import HookTable, Save, start_save
from trellis.platform.records.principal import SYSTEM, Member, Principal, System
from trellis.platform.records.repository import RecordRepository
from trellis.platform.records.save_context import SaveContext
from trellis.platform.records.service import RecordService
from trellis.platform.runtime import AppRuntime
from trellis.platform.search.schema import sync_index

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
DEAL = """
    fields:
      name: {type: string, required: true}
      code: {type: string, unique: true}
      stage: {type: enum, options: [open, won], default: '"open"'}
      amount: {type: money}
      weighted: {type: money, formula: "amount / 2"}
      secret: {type: string}
      number: {type: autonumber, format: "D-{n:03d}"}
    validations:
      - {when: "amount > 1000", field: amount, message: "Too big."}
"""
ROLES = """
roles:
  rep:
    label: Rep
    entities:
      deal: {actions: [create, read, update], scope: own, fields: {secret: hidden}}
"""


@dataclass
class Env:
    """A compiled app, its repository and an open SQLite transaction."""

    app: CompiledApp
    repo: RecordRepository
    conn: sa.Connection

    @property
    def deal(self) -> CompiledEntity:
        return self.app.entities["deal"]

    def save(self, op: str, data: dict[str, Any], principal: Principal = SYSTEM, **kw: Any) -> Save:
        ctx = SaveContext(self.conn, principal, NOW, trace=[])
        save = start_save(self.repo, HookTable.of((), STEP_NAMES), ctx, self.deal, op, data, None)
        for key, value in kw.items():
            setattr(save, key, value)
        return save

    def member(self, user_id: int = 7) -> Member:
        rt = AppRuntime("t", 1, self.app)
        access = Authorizer().access("t", rt, user_id, ("rep",))
        return Member(user_id, ("rep",), access)

    def stored(self, data: dict[str, Any], owner: int | None = None) -> dict[str, Any]:
        return RecordService(self.app).create(
            SaveContext(self.conn, System("test", owner), NOW), self.deal, data
        )


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    (tmp_path / "entities").mkdir()
    (tmp_path / "app.yaml").write_text("name: t\nversion: 1.0.0\nlabel: T\n", encoding="utf-8")
    (tmp_path / "roles.yaml").write_text(ROLES.lstrip(), encoding="utf-8")
    (tmp_path / "entities" / "deal.yaml").write_text(textwrap.dedent(DEAL).lstrip())
    app = CompiledApp(load_package(tmp_path), 1)
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn, conn.begin():
        app.metadata.create_all(conn)
        sync_index(conn, app)  # the search index is part of a tenant's schema
        yield Env(app, RecordRepository(app), conn)
    engine.dispose()


def test_authorize_lets_the_system_save_and_says_so(env: Env) -> None:
    save = env.save("create", {"secret": "x"}, System("timer"))
    save.event.step = "authorize"
    checks.authorize(save)
    assert save.event.trace == [TraceStep("authorize", "timer", "system", {}, "deal", "authorize")]


def test_authorize_checks_a_members_action_fields_and_scope(env: Env) -> None:
    rep = env.member()
    checks.authorize(env.save("create", {"name": "A"}, rep))
    with pytest.raises(ValidationFailedError) as hidden:
        checks.authorize(env.save("create", {"secret": "x"}, rep))
    assert hidden.value.errors == {"secret": ["Your role may not change this field."]}
    with pytest.raises(ForbiddenError) as forbidden:
        checks.authorize(env.save("delete", {}, rep, record_id=1))
    assert forbidden.value.message == "Your role may not delete deal records."
    theirs = env.stored({"name": "B"}, owner=8)
    with pytest.raises(NotFoundError) as outside:
        checks.authorize(env.save("update", {"name": "C"}, rep, record_id=theirs["id"]))
    assert outside.value.message == f"No deal with id {theirs['id']}."
    mine = env.stored({"name": "M"}, owner=7)
    checks.authorize(env.save("update", {"name": "C"}, rep, record_id=mine["id"]))


def test_load_locks_the_record_and_refuses_a_stale_version(env: Env) -> None:
    stored = env.stored({"name": "A"})
    save = env.save("update", {}, record_id=stored["id"], expected_version=1)
    checks.load(save)
    assert save.event.old is not None
    assert (save.event.old["id"], save.event.old["name"]) == (stored["id"], "A")
    with pytest.raises(ConflictError) as stale:
        checks.load(env.save("update", {}, record_id=stored["id"], expected_version=3))
    assert stale.value.extra["current_version"] == 1
    with pytest.raises(NotFoundError):
        checks.load(env.save("update", {}, record_id=999))


def test_load_lets_old_and_changed_read_the_stored_record(env: Env) -> None:
    stored = env.stored({"name": "A"})
    save = env.save("update", {"name": "B"}, record_id=stored["id"])
    assert save.event.eval.old is None  # nothing stored read yet
    checks.load(save)
    assert save.event.eval.old is save.event.old
    assert save.event.eval.now == NOW


def test_coerce_converts_values_and_keeps_errors_for_later(env: Env) -> None:
    save = env.save("create", {"name": "A", "amount": "12.50", "stage": "nope"})
    checks.coerce(save)
    assert str(save.values["amount"]) == "12.50"
    assert list(save.errors) == ["stage"]
    assert save.event.record["name"] == "A"
    assert save.event.record["weighted"] is None


def test_defaults_fill_what_was_not_sent(env: Env) -> None:
    save = env.save("create", {"name": "A"})
    checks.coerce(save)
    checks.defaults(save)
    assert save.event.record["stage"] == "open"
    sent = env.save("create", {"name": "A", "stage": "won"})
    checks.coerce(sent)
    checks.defaults(sent)
    assert sent.event.record["stage"] == "won"


def test_check_fields_reports_required_and_unique_at_once(env: Env) -> None:
    env.stored({"name": "A", "code": "X1"})
    save = env.save("create", {"code": "X1"})
    checks.coerce(save)
    with pytest.raises(ValidationFailedError) as caught:
        checks.check_fields(save)
    assert caught.value.errors == {
        "name": ["This field is required."],
        "code": ["Another deal already has this code."],
    }


def test_formulas_then_refresh_after_hooks_changed_the_record(env: Env) -> None:
    save = env.save("create", {"name": "A", "amount": 10})
    checks.coerce(save)
    checks.formulas(save)
    assert str(save.event.record["weighted"]) == "5.00"
    save.event.record["amount"] = 40  # as a before-save rule would
    checks.refresh_formulas(save)
    assert str(save.event.record["weighted"]) == "20.00"


def test_validate_runs_validation_rules(env: Env) -> None:
    save = env.save("create", {"name": "A", "amount": 5000})
    checks.coerce(save)
    with pytest.raises(ValidationFailedError) as caught:
        checks.validate(save)
    assert caught.value.errors == {"amount": ["Too big."]}


def test_write_steps_insert_update_and_log_change_rows(env: Env) -> None:
    save = env.save("create", {"name": "A"}, System("job", 3))
    checks.coerce(save)
    writes.autonumbers(save)
    writes.insert(save)
    writes.change_row(save)
    record_id = save.record_id
    assert save.event.record["number"] == "D-001"
    assert (save.event.record["created_by"], save.event.record["owner_id"]) == (3, 3)
    later = env.save("update", {"name": "B"}, record_id=record_id)
    checks.load(later)
    checks.coerce(later)
    writes.update(later)
    writes.change_row(later)
    changes = env.app.changes
    rows = env.conn.execute(sa.select(changes).order_by(changes.c.id)).mappings().all()
    assert [(r["op"], r["version"], r["user_id"]) for r in rows] == [
        ("create", 1, 3),
        ("update", 2, None),
    ]
    assert rows[1]["changes"]["name"] == ["A", "B"]


def test_a_locked_update_of_a_changed_record_is_a_conflict(env: Env) -> None:
    stored = env.stored({"name": "A"})
    save = env.save("update", {"name": "B"}, record_id=stored["id"])
    checks.load(save)
    env.repo.update_locked(env.conn, env.deal, stored["id"], 1, {"version": 2})
    checks.coerce(save)
    with pytest.raises(ConflictError) as caught:
        writes.update(save)
    assert caught.value.extra["current_version"] == 2


def test_soft_delete_marks_the_record_deleted(env: Env) -> None:
    stored = env.stored({"name": "A"})
    save = env.save("delete", {}, record_id=stored["id"])
    checks.load(save)
    writes.soft_delete(save)
    assert env.repo.get(env.conn, env.deal, stored["id"]) is None
    assert env.repo.current_version(env.conn, env.deal, stored["id"]) == 2


class Recorder:
    """A hook that notes which step ran it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def before_write(self, event: SaveEvent) -> None:
        self.seen.append(("before", event.step))

    def after_write(self, event: SaveEvent) -> None:
        self.seen.append(("after", event.step))


def test_hooks_run_in_the_steps_they_are_bound_to(env: Env) -> None:
    hook = Recorder()
    table = HookTable.of([BoundHook(hook, BEFORE_SAVE_RULES, OUTBOX)], STEP_NAMES)
    save = env.save("create", {"name": "A"})
    save.hooks = table
    for step in ("workflow guard", BEFORE_SAVE_RULES):
        save.event.step = step
        before_hooks(save)
    save.event.step = OUTBOX
    after_hooks(save)
    assert hook.seen == [("before", BEFORE_SAVE_RULES), ("after", OUTBOX)]
    with pytest.raises(ValueError, match="no such step"):
        HookTable.of([BoundHook(hook, "nowhere", None)], STEP_NAMES)


def test_the_trace_lists_every_step_by_name(env: Env) -> None:
    save = env.save("create", {"name": "A", "amount": 10})
    run_steps(CREATE_STEPS, save)
    trace = save.event.trace or []
    ran = [t.name for t in trace if t.kind == "step"]
    assert ran == [s.name for s in CREATE_STEPS]
    formula = next(t for t in trace if t.kind == "formula")
    assert (formula.name, formula.step) == ("weighted", "formulas")
    update = env.save("update", {"amount": 20}, record_id=save.record_id)
    run_steps(UPDATE_STEPS, update)
    assert [t.name for t in update.event.trace or [] if t.kind == "step"] == [
        s.name for s in UPDATE_STEPS
    ]


def test_every_save_through_the_service_is_authorized(env: Env) -> None:
    service = RecordService(env.app)
    rep = SaveContext(env.conn, env.member(), NOW)
    mine = service.create(rep, env.deal, {"name": "Mine"})
    assert (mine["created_by"], mine["owner_id"]) == (7, 7)
    with pytest.raises(ForbiddenError):
        service.delete(rep, env.deal, mine["id"], None)
    theirs = env.stored({"name": "Theirs"}, owner=8)
    with pytest.raises(NotFoundError):
        service.update(rep, env.deal, theirs["id"], {"name": "X"}, None)
    service.delete(SaveContext(env.conn, SYSTEM, NOW), env.deal, mine["id"], None)
    changes = env.app.changes
    last = env.conn.execute(sa.select(changes).order_by(changes.c.id.desc())).mappings().first()
    assert last is not None
    assert (last["op"], last["user_id"]) == ("delete", None)
