"""The workflow designer's service: changes land in the draft, publish, bad ones refused."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from trellis.platform.designers.flow_edit import FlowChange, FlowEditError
from trellis.platform.designers.flow_service import edit_workflow, workflow_file, workflow_rows
from trellis.platform.drafts import (
    DraftConflictError,
    DraftStore,
    InvalidDraftError,
    plan_draft,
    publish_draft,
)
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import PackageWriter

TENANT = "desk"
TICKET = """
    label: {en: Ticket, es: Incidencia}
    title: subject
    fields:
      subject: {type: string, required: true}
      resolution: {type: text}
      status:
        type: enum
        options: [new, open, closed]
        option_labels:
          new: {en: New, es: Nueva}
          open: {en: Open, es: Abierta}
          closed: {en: Closed, es: Cerrada}
"""
FLOW = """
    workflow: ticket_flow
    label: {en: Ticket flow, es: Flujo de incidencias}
    entity: ticket
    field: status
    initial: new
    states: [new, open, closed]
    # Open it, then close it.
    transitions:
      - {name: open, label: {en: Open, es: Abrir}, from: [new], to: open}
      - {name: close, label: {en: Close, es: Cerrar}, from: [open], to: closed}
"""


def write_flow_package(write_package: PackageWriter) -> Path:
    """The ticket package with its workflow."""
    root = write_package({"ticket": TICKET})
    (root / "workflows").mkdir()
    (root / "workflows" / "ticket_flow.yaml").write_text(textwrap.dedent(FLOW).lstrip())
    return root


@pytest.fixture
def desk(runtime: Runtime, write_package: PackageWriter) -> Runtime:
    """A tenant with a ticket entity following ``ticket_flow``."""
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_flow_package(write_package))
    return runtime


def _edit(runtime: Runtime, op: str, **values: Any) -> int:
    revision = workflow_file(runtime, TENANT, "ticket_flow").revision
    change = FlowChange(op, **values)
    return edit_workflow(runtime, TENANT, "ticket_flow", change, expected=revision, actor="a@x")


def _draft(runtime: Runtime, path: str) -> dict[str, Any]:
    info = runtime.tenant(TENANT, fresh=True)
    text = DraftStore(runtime.registry).load(info.id).files[path].text
    assert text is not None
    found: dict[str, Any] = yaml.safe_load(text)
    return found


def test_a_new_state_is_saved_flagged_unreachable_and_a_transition_makes_it_reachable(
    desk: Runtime,
) -> None:
    _edit(desk, "add_state", state="waiting", label_en="Waiting", label_es="En espera")
    flow = workflow_file(desk, TENANT, "ticket_flow")
    assert flow.graph.unreachable() == ("waiting",)
    assert flow.state_labels["waiting"] == {"en": "Waiting", "es": "En espera"}
    status = _draft(desk, "entities/ticket.yaml")["fields"]["status"]
    assert status["options"] == ["new", "open", "closed", "waiting"]
    rows, _revision = workflow_rows(desk, TENANT)
    assert [(r.name, r.unreachable, r.changed) for r in rows] == [
        ("ticket_flow", ("waiting",), True)
    ]
    plan = plan_draft(desk, TENANT)
    assert not plan["valid"]
    assert any("MD068" in e["text"] and "'waiting'" in e["text"] for e in plan["errors"])

    _edit(
        desk,
        "add_transition",
        name="wait",
        label_en="Wait",
        label_es="Esperar",
        sources=("open",),
        target="waiting",
    )
    _edit(desk, "add_transition", name="resume", sources=("waiting",), target="open")
    flow = workflow_file(desk, TENANT, "ticket_flow")
    assert flow.graph.unreachable() == ()
    assert flow.graph.dead_ends() == ()
    written = desk.tenant(TENANT, fresh=True)
    text = DraftStore(desk.registry).load(written.id).files["workflows/ticket_flow.yaml"].text
    assert text is not None and "label: {en: Ticket flow, es: Flujo de incidencias}" in text
    assert plan_draft(desk, TENANT)["valid"]
    publish_draft(desk, TENANT, actor="a@x", comment="waiting state", confirm=False)
    published = desk.app(TENANT).model.workflows["ticket_flow"]
    assert published.states == ("new", "open", "closed", "waiting")
    assert [t.name for t in published.transitions] == ["open", "close", "wait", "resume"]


def test_labels_change_in_both_files_and_removing_a_state_drops_its_transitions(
    desk: Runtime,
) -> None:
    _edit(desk, "label_state", state="open", label_en="In progress", label_es="En curso")
    _edit(desk, "label_transition", name="close", label_en="Finish", label_es="Terminar")
    status = _draft(desk, "entities/ticket.yaml")["fields"]["status"]
    assert status["option_labels"]["open"] == {"en": "In progress", "es": "En curso"}
    flow = _draft(desk, "workflows/ticket_flow.yaml")
    assert flow["transitions"][1]["label"] == {"en": "Finish", "es": "Terminar"}

    _edit(desk, "remove_transition", name="close")
    graph = workflow_file(desk, TENANT, "ticket_flow").graph
    assert graph.unreachable() == ("closed",)
    assert graph.dead_ends() == ()  # no ``done``: a state nothing leaves is final
    _edit(desk, "remove_state", state="closed")
    flow = _draft(desk, "workflows/ticket_flow.yaml")
    assert flow["states"] == ["new", "open"]
    assert _draft(desk, "entities/ticket.yaml")["fields"]["status"]["options"] == ["new", "open"]
    assert plan_draft(desk, TENANT)["valid"]


def test_bad_changes_are_refused_and_leave_the_draft(desk: Runtime) -> None:
    before = DraftStore(desk.registry).load(desk.tenant(TENANT, fresh=True).id).revision
    refusals = [
        (FlowChange("add_state", state="Open"), "is not a state name"),
        (FlowChange("add_state", state="open"), "already has a state 'open'"),
        (FlowChange("remove_state", state="new"), "is the initial state"),
        (FlowChange("remove_state", state="gone"), "has no state 'gone'"),
        (FlowChange("add_transition", name="x", target="open"), "at least one state"),
        (FlowChange("add_transition", name="x", sources=("new",), target="nowhere"), "'nowhere'"),
        (FlowChange("add_transition", name="open", sources=("new",), target="open"), "already"),
        (FlowChange("label_state", state="open", label_en="Only English"), "English and in"),
        (FlowChange("remove_transition", name="missing"), "no transition 'missing'"),
        (FlowChange("explode"), "is not a workflow change"),
    ]
    for change, words in refusals:
        with pytest.raises(FlowEditError, match=words):
            edit_workflow(desk, TENANT, "ticket_flow", change, expected=before, actor="a@x")
    _edit(desk, "remove_transition", name="open")
    with pytest.raises(FlowEditError, match="at least one transition"):
        _edit(desk, "remove_transition", name="close")
    assert DraftStore(desk.registry).load(desk.tenant(TENANT, fresh=True).id).revision == before + 1


def test_a_bad_guard_is_refused_with_its_position(desk: Runtime) -> None:
    change = FlowChange(
        "add_transition", name="reopen", sources=("closed",), target="open", guard="resolutin > 3"
    )
    with pytest.raises(InvalidDraftError) as caught:
        _edit(
            desk,
            change.op,
            name=change.name,
            sources=change.sources,
            target="open",
            guard=change.guard,
        )
    texts = [e["text"] for e in caught.value.errors]
    assert any(
        t.startswith("workflows/ticket_flow.yaml:") and "resolutin" in t and "resolution" in t
        for t in texts
    ), texts
    assert DraftStore(desk.registry).load(desk.tenant(TENANT, fresh=True).id).files == {}


def test_a_stale_edit_is_a_conflict_and_changes_nothing(desk: Runtime) -> None:
    revision = workflow_file(desk, TENANT, "ticket_flow").revision
    change = FlowChange("label_transition", name="open", label_en="Start", label_es="Empezar")
    edit_workflow(desk, TENANT, "ticket_flow", change, expected=revision, actor="a@x")
    other = FlowChange("remove_transition", name="open")
    with pytest.raises(DraftConflictError):
        edit_workflow(desk, TENANT, "ticket_flow", other, expected=revision, actor="b@x")
    assert [t["name"] for t in _draft(desk, "workflows/ticket_flow.yaml")["transitions"]] == [
        "open",
        "close",
    ]
