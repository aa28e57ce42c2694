"""Pipelines and workflows load into frozen definitions; their expressions reach the checker."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from trellis.metadata.loader import load_package, validate_package
from trellis.metadata.model import DslType
from trellis.metadata.model.field_types import nullable_schema

from metadata_test_support import NameChecker

ENTITY = """
    fields:
      subject: {type: string}
      status: {type: enum, options: [new, open, done]}
      stage: {type: pipeline, pipeline: sales, default: '"lead"'}
      points: {type: integer}
"""
PIPELINE = """
    label: Sales
    stages:
      - {name: lead, probability: 12.5}
      - {name: won, label: Won it, probability: 100, won: true}
      - {name: lost, probability: 0, lost: true}
"""
WORKFLOW = """
    workflow: flow
    entity: ticket
    field: status
    initial: new
    states: [new, open, done]
    transitions:
      - {name: start, from: new, to: open, guard: "subject is not empty"}
      - name: finish
        label: Finish it
        from: [open, new]
        to: done
        roles: [support_agent, support-lead]
        required: [subject]
        approval: {role: support-lead}
        message: Not yet.
        on_enter:
          set:
            points: 3
            subject: 'concat(subject, " (done)")'
"""


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for relative, text in {"app.yaml": 'name: t\nversion: "1.0"\n', **files}.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return _package(
        tmp_path,
        {
            "entities/ticket.yaml": ENTITY,
            "pipelines/sales.yaml": PIPELINE,
            "workflows/flow.yaml": WORKFLOW,
        },
    )


def test_pipeline_and_workflow_become_frozen_definitions(root: Path) -> None:
    model = load_package(root, checker=NameChecker())
    sales = model.pipelines["sales"]
    assert (sales.label, sales.stage_names) == ("Sales", ("lead", "won", "lost"))
    lead, won, lost = sales.stages
    assert (lead.probability, lead.label, lead.won, lead.lost) == (
        Decimal("12.5"),
        "Lead",
        False,
        False,
    )
    assert (won.label, won.won, lost.lost) == ("Won it", True, True)
    assert sales.stage("won") is won and sales.stage("nope") is None
    (flow,) = model.workflows_of("ticket")
    assert (flow.name, flow.entity, flow.field, flow.initial) == ("flow", "ticket", "status", "new")
    start, finish = flow.transitions
    assert (start.from_states, start.to, start.roles, start.label) == (
        ("new",),
        "open",
        (),
        "Start",
    )
    assert finish.from_states == ("open", "new")
    assert finish.roles == ("support_agent", "support-lead")
    assert (finish.required, finish.approval_role, finish.message) == (
        ("subject",),
        "support-lead",
        "Not yet.",
    )
    assert dict(finish.on_enter_set) == {"points": "3", "subject": 'concat(subject, " (done)")'}
    assert flow.transition("finish") is finish and flow.transition("x") is None
    with pytest.raises(TypeError):
        model.pipelines["x"] = sales  # type: ignore[index]
    with pytest.raises(TypeError):
        finish.on_enter_set["x"] = "1"  # type: ignore[index]


def test_pipeline_field_gets_the_stage_names_as_its_enum(root: Path) -> None:
    stage = load_package(root).entity("ticket").fields["stage"]
    assert (stage.type, stage.pipeline, stage.options) == (
        "pipeline",
        "sales",
        ("lead", "won", "lost"),
    )
    assert nullable_schema(stage)["enum"] == ["lead", "won", "lost", None]


def test_guards_and_on_enter_values_go_to_the_checker_with_type_and_place(root: Path) -> None:
    checker = NameChecker()
    load_package(root, checker=checker)
    calls = {source: (expected, span) for _, source, expected, span in checker.calls}
    lines = (root / "workflows/flow.yaml").read_text().splitlines()
    for source, wanted in (
        ("subject is not empty", DslType.BOOLEAN),
        ("3", DslType.NUMBER),
        ('concat(subject, " (done)")', DslType.TEXT),
    ):
        expected, span = calls[source]
        assert expected is wanted
        assert lines[span.line - 1][span.col - 1 :].startswith(source)


def test_guard_errors_are_md020_at_their_place(tmp_path: Path) -> None:
    flow = WORKFLOW.replace("subject is not empty", "subjct is not empty")
    root = _package(
        tmp_path,
        {
            "entities/ticket.yaml": ENTITY,
            "pipelines/sales.yaml": PIPELINE,
            "workflows/flow.yaml": flow,
        },
    )
    lines = [str(d) for d in validate_package(root, checker=NameChecker()).diagnostics]
    assert lines == [
        f"{root.as_posix()}/workflows/flow.yaml:7:48: error MD020: transition 'start' guard: "
        "unknown name 'subjct' [RL001] (did you mean 'subject'?)"
    ]


def test_an_approval_condition_is_checked_at_its_place(tmp_path: Path) -> None:
    flow = WORKFLOW.replace(
        "approval: {role: support-lead}", 'approval: {role: support-lead, when: "subjct > 3"}'
    )
    root = _package(
        tmp_path,
        {
            "entities/ticket.yaml": ENTITY,
            "pipelines/sales.yaml": PIPELINE,
            "workflows/flow.yaml": flow,
        },
    )
    report = validate_package(root, checker=NameChecker())
    lines = [str(d) for d in report.diagnostics]
    assert lines == [
        f"{root.as_posix()}/workflows/flow.yaml:14:43: error MD020: transition 'finish' "
        "approval when: unknown name 'subjct' [RL001] (did you mean 'subject'?)"
    ]
    good = _package(
        tmp_path / "good",
        {
            "entities/ticket.yaml": ENTITY,
            "pipelines/sales.yaml": PIPELINE,
            "workflows/flow.yaml": flow.replace("subjct", "subject"),
        },
    )
    model = load_package(good, checker=NameChecker())
    (finish,) = [t for t in model.workflows["flow"].transitions if t.name == "finish"]
    assert (finish.approval_role, finish.approval_when) == ("support-lead", "subject > 3")


def test_schema_problems_name_the_transition(tmp_path: Path) -> None:
    flow = WORKFLOW.replace("        to: done\n", "").replace(
        "roles: [support_agent, support-lead]", "roles: [Support]"
    )
    root = _package(
        tmp_path,
        {
            "entities/ticket.yaml": ENTITY,
            "pipelines/sales.yaml": PIPELINE,
            "workflows/flow.yaml": flow,
            "pipelines/notes.txt": "x",
        },
    )
    result = validate_package(root)
    lines = [str(d).removeprefix(root.as_posix() + "/") for d in result.diagnostics]
    assert lines == [
        "pipelines/notes.txt:1:1: warning MD031: 'pipelines/notes.txt' is not a pipeline "
        "file (*.yaml); ignored",
        "workflows/flow.yaml:8:5: error MD002: transition 2: missing required key 'to'",
        "workflows/flow.yaml:11:13: error MD006: transition 2: 'roles' item 1 is 'Support'; "
        "expected a role name: lowercase letters, digits, '_' and '-', starting with a letter",
    ]


def test_a_package_without_flows_has_empty_mappings(tmp_path: Path) -> None:
    root = _package(tmp_path, {"entities/note.yaml": "fields:\n  text: {type: text}\n"})
    model = load_package(root)
    assert (dict(model.pipelines), dict(model.workflows), model.workflows_of("note")) == (
        {},
        {},
        (),
    )
