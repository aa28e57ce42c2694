"""A record's place in its pipeline and workflows: the stage bar and transition buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trellis.metadata.model import FieldType
from trellis.platform.records.compiled import CompiledEntity
from trellis.ui.screens.kanban import Stage, stages_of
from trellis.ui.screens.web import UiCall, UiServices


@dataclass(frozen=True, slots=True)
class Step:
    """One stage of the bar: before, at or after the record's current stage."""

    stage: Stage
    current: bool
    done: bool


@dataclass(slots=True)
class FlowView:
    """What the stage bar and the workflow panel of a detail page show."""

    record_id: int
    version: int
    stage_field: str | None = None
    stage_label: str = ""
    steps: list[Step] = field(default_factory=list)
    can_move: bool = False
    states: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    message: str | None = None


def stage_bar_field(ui: UiCall, entity: CompiledEntity, preferred: str | None) -> str | None:
    """The pipeline field the stage bar shows: the board field if it is one, else the first."""
    visible = ui.call.access.entity(entity.name).columns
    fields = entity.entity.fields
    names = [n for n, f in fields.items() if f.type == FieldType.PIPELINE and n in visible]
    if preferred in names:
        return preferred
    return names[0] if names else None


def build_flow(
    ui: UiCall,
    entity: CompiledEntity,
    record_id: int,
    services: UiServices,
    preferred_field: str | None,
) -> FlowView:
    """The stage bar and transitions of record ``record_id`` as the caller sees them.

    Raises:
        NotFoundError: the record is deleted or outside the caller's scope.
    """
    call = ui.call
    ops = services.workflows
    record = services.records.read(call, entity, record_id).record
    view = FlowView(record_id, int(record.get("version") or 1))
    name = stage_bar_field(ui, entity, preferred_field)
    access = call.access.entity(entity.name)
    if name is not None:
        f = entity.entity.fields[name]
        current = record.get(name)
        stages = stages_of(call.app.model, f)
        index = next((i for i, s in enumerate(stages) if s.name == current), -1)
        view.stage_field = name
        view.stage_label = f.label
        view.steps = [Step(s, i == index, i < index) for i, s in enumerate(stages)]
        view.can_move = call.access.can(entity.name, "update") and name not in access.read_only
    if ops.runner(call).flows.get(entity.name):
        body = ops.available(call, entity, record_id)
        roles = set(call.identity.roles)
        for state in body["states"]:
            pending = state["pending"]
            can_decide = pending is not None and (pending["role"] in roles or call.access.admin)
            state_field = entity.entity.fields.get(str(state.get("field")))
            shown = state.get("state")
            if state_field is not None:
                shown = ui.translator.value_label(call.app.model, state_field, shown)
            view.states.append({**state, "can_decide": can_decide, "state_label": shown})
        view.transitions = body["transitions"]
    return view


__all__ = ["FlowView", "Step", "build_flow", "stage_bar_field"]
