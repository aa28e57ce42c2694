"""Cross-checks of workflows: entity and field, states, transitions, reachability."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from trellis.metadata.diagnostics import Diagnostic, did_you_mean
from trellis.metadata.loader._expressions import ExpressionChecker
from trellis.metadata.loader._flows import Flows
from trellis.metadata.loader._formula_deps import mentions
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import (
    FIELD_TYPES,
    STANDARD_COLUMNS,
    WRITABLE_STANDARD_COLUMNS,
    AppModel,
    DslType,
    EntityDef,
    FieldType,
    SourceSpan,
    WorkflowDef,
)


def _items(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def check_workflows(
    model: AppModel,
    flows: Flows,
    entity_docs: Mapping[str, YamlDocument],
    broken: Collection[str],
    report: Report,
) -> None:
    """Report every problem of every workflow against the model (MD062, MD064-MD069)."""
    bound: dict[tuple[str, str], str] = {}
    for name, workflow in flows.workflows.items():
        doc = flows.workflow_docs[name]
        entity = _target(workflow, model, entity_docs, broken, doc.positions, report)
        if entity is not None:
            key = (workflow.entity, workflow.field)
            if key in bound:
                message = (
                    f"field '{workflow.field}' of '{workflow.entity}' already follows "
                    f"workflow '{bound[key]}'"
                )
                report.error("MD062", message, doc.positions.value(("field",)))
            bound.setdefault(key, name)
            _check_fields(workflow, entity, doc.data, doc.positions, report)
        states_known = _check_states(workflow, doc.data, doc.positions, report)
        # A transition the schema check refused would make states look unreachable.
        complete = len(workflow.transitions) == len(_items(doc.data, "transitions"))
        if states_known and complete:
            _check_reachable(workflow, doc.data, doc.positions, report)


def _target(
    workflow: WorkflowDef,
    model: AppModel,
    entity_docs: Mapping[str, YamlDocument],
    broken: Collection[str],
    positions: PositionMap,
    report: Report,
) -> EntityDef | None:
    """The workflow's entity when it and its state field are usable."""
    entity = model.entities.get(workflow.entity)
    if entity is None:
        if workflow.entity not in broken:
            report.error(
                "MD064",
                f"unknown entity '{workflow.entity}'",
                positions.value(("entity",)),
                did_you_mean(workflow.entity, model.entities),
            )
        return None
    state_field = entity.fields.get(workflow.field)
    if state_field is None:
        data = entity_docs[entity.name].data
        specs = data.get("fields") if isinstance(data, dict) else None
        if not (isinstance(specs, dict) and workflow.field in specs):  # else reported there
            report.error(
                "MD065",
                f"unknown field '{workflow.field}' on entity '{entity.name}'",
                positions.value(("field",)),
                did_you_mean(workflow.field, entity.fields),
            )
        return None
    where = positions.value(("field",))
    if state_field.type != FieldType.ENUM:
        message = (
            f"field '{workflow.field}' must be an enum whose options are the states, "
            f"not '{state_field.type}'"
        )
        report.error("MD066", message, where)
        return entity
    options = state_field.options
    for index, state in enumerate(workflow.states):
        if state not in options:
            report.error(
                "MD066",
                f"state '{state}' is not an option of field '{workflow.field}'",
                positions.value(("states", index)),
                did_you_mean(state, options),
            )
    missing = [o for o in options if o not in workflow.states]
    if missing:
        listed = ", ".join(f"'{o}'" for o in missing)
        message = f"option {listed} of field '{workflow.field}' is not a state"
        if len(missing) > 1:
            message = f"options {listed} of field '{workflow.field}' are not states"
        report.error("MD066", message, positions.value(("states",)))
    return entity


def _check_fields(
    workflow: WorkflowDef,
    entity: EntityDef,
    data: Any,
    positions: PositionMap,
    report: Report,
) -> None:
    """Required fields must exist; ``on_enter`` may only set writable fields (MD065, MD069)."""
    known = [*entity.fields, *WRITABLE_STANDARD_COLUMNS]
    for index, item in enumerate(_items(data, "transitions")):
        if not isinstance(item, dict):
            continue
        path: NodePath = ("transitions", index)
        owner = f"transition '{item.get('name')}'"
        for j, name in enumerate(item.get("required") or []):
            if isinstance(name, str) and name not in known:
                report.error(
                    "MD065",
                    f"{owner}: unknown required field '{name}'",
                    positions.value((*path, "required", j)),
                    did_you_mean(name, known),
                )
        on_enter = item.get("on_enter")
        sets = on_enter.get("set") if isinstance(on_enter, dict) else None
        for name in sets if isinstance(sets, dict) else {}:
            span = positions.anchor((*path, "on_enter", "set", name))
            target = entity.fields.get(name)
            if target is None and name not in WRITABLE_STANDARD_COLUMNS:
                if name in STANDARD_COLUMNS:
                    message = f"{owner}: on_enter cannot set '{name}', which the platform sets"
                    report.error("MD069", message, span)
                    continue
                message = f"{owner}: on_enter sets unknown field '{name}'"
                report.error("MD065", message, span, did_you_mean(name, known))
            elif name == workflow.field:
                message = f"{owner}: on_enter cannot set the workflow's own field '{name}'"
                report.error("MD069", message, span)
            elif target is not None and target.computed:
                message = f"{owner}: on_enter cannot set '{name}', which is computed"
                report.error("MD069", message, span)


def _check_states(workflow: WorkflowDef, data: Any, positions: PositionMap, report: Report) -> bool:
    """Repeated names (MD062) and unknown states (MD067); False when a state is unknown."""
    ok = True
    states = list(workflow.states)
    seen: set[str] = set()
    for index, state in enumerate(_items(data, "states")):
        if not isinstance(state, str):
            continue
        if state in seen:
            message = f"state '{state}' is declared twice"
            report.error("MD062", message, positions.value(("states", index)))
        seen.add(state)
    if workflow.initial not in seen:
        ok = False
        report.error(
            "MD067",
            f"initial state '{workflow.initial}' is not one of the states",
            positions.value(("initial",)),
            did_you_mean(workflow.initial, states),
        )
    for index, state in enumerate(_items(data, "done")):
        if isinstance(state, str) and state not in seen:
            report.error(
                "MD067",
                f"done state '{state}' is not one of the states",
                positions.value(("done", index)),
                did_you_mean(state, states),
            )
    names: set[str] = set()
    for index, item in enumerate(_items(data, "transitions")):
        if not isinstance(item, dict):
            continue
        path: NodePath = ("transitions", index)
        name = item.get("name")
        if isinstance(name, str):
            if name in names:
                message = f"transition '{name}' is declared twice"
                report.error("MD062", message, positions.value((*path, "name")))
            names.add(name)
        for where, state in _state_refs(item, path):
            if state not in seen:
                ok = False
                report.error(
                    "MD067",
                    f"transition '{name}': unknown state '{state}' in '{where[2]}'",
                    positions.value(where),
                    did_you_mean(state, states),
                )
    return ok


def _state_refs(item: Mapping[str, Any], path: NodePath) -> list[tuple[NodePath, str]]:
    """Every (position path, state name) a transition mentions in ``from`` and ``to``."""
    refs: list[tuple[NodePath, str]] = []
    origin = item.get("from")
    if isinstance(origin, str):
        refs.append(((*path, "from"), origin))
    elif isinstance(origin, list):
        refs.extend(((*path, "from", j), s) for j, s in enumerate(origin) if isinstance(s, str))
    if isinstance(item.get("to"), str):
        refs.append(((*path, "to"), item["to"]))
    return refs


def _check_reachable(
    workflow: WorkflowDef, data: Any, positions: PositionMap, report: Report
) -> None:
    """Every state must be reachable from the initial one through transitions (MD068)."""
    reached = {workflow.initial}
    frontier = [workflow.initial]
    while frontier:
        state = frontier.pop()
        for t in workflow.transitions:
            if state in t.from_states and t.to not in reached:
                reached.add(t.to)
                frontier.append(t.to)
    for index, state in enumerate(_items(data, "states")):
        if isinstance(state, str) and state not in reached:
            message = (
                f"state '{state}' cannot be reached from the initial state "
                f"'{workflow.initial}' by any transition"
            )
            report.error("MD068", message, positions.value(("states", index)))


def check_flow_expressions(
    model: AppModel,
    checker: ExpressionChecker,
    unreliable: Mapping[str, Collection[str]],
    report: Report,
) -> None:
    """Type-check guards (boolean) and ``on_enter`` values (the field's type) as MD020."""
    for workflow in model.workflows.values():
        entity = model.entities.get(workflow.entity)
        if entity is None or workflow.field not in entity.fields:
            continue
        skip = unreliable.get(entity.name, ())
        for t in workflow.transitions:
            jobs: list[tuple[str, str, DslType, SourceSpan | None]] = []
            if t.guard is not None:
                jobs.append(
                    (f"transition '{t.name}' guard", t.guard, DslType.BOOLEAN, t.guard_source)
                )
            if t.approval_when is not None:
                owner = f"transition '{t.name}' approval when"
                jobs.append((owner, t.approval_when, DslType.BOOLEAN, t.approval_when_source))
            for name, source in t.on_enter_set.items():
                expected = _settable_type(entity, name, workflow.field)
                if expected is not None:
                    owner = f"transition '{t.name}' on_enter '{name}'"
                    jobs.append((owner, source, expected, t.on_enter_sources.get(name)))
            for owner, source, expected, span in jobs:
                if span is None or (skip and mentions(source, skip)):
                    continue
                found = checker.check(source, entity, model, expected=expected, span=span)
                report.extend(_recode(owner, d) for d in found)


def _settable_type(entity: EntityDef, name: str, state_field: str) -> DslType | None:
    """The type an ``on_enter`` value must have, or None when the target is not settable."""
    if name in WRITABLE_STANDARD_COLUMNS:
        return STANDARD_COLUMNS[name][0]
    target = entity.fields.get(name)
    if target is None or target.computed or name == state_field:
        return None
    dsl = FIELD_TYPES[target.type].dsl_type
    return DslType.NUMBER if dsl is DslType.REFERENCE else dsl


def _recode(owner: str, d: Diagnostic) -> Diagnostic:
    """A rule diagnostic as MD020, keeping its own code in brackets."""
    if d.code.startswith("MD"):
        return d
    message = f"{owner}: {d.message} [{d.code}]"
    return Diagnostic("MD020", message, d.span, d.suggestion, d.severity, d.context)


__all__ = ["check_flow_expressions", "check_workflows"]
