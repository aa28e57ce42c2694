"""Filters of the home page's panels, written in the rule language the lists accept."""

from __future__ import annotations

from collections.abc import Collection

from trellis.metadata.model import AppModel, EntityDef, FieldDef, StageDef

#: Records the member owns.
MINE = "owner_id == current_user()"


def quoted(text: str) -> str:
    """``text`` as a rule-language string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pipeline_field(entity: EntityDef) -> FieldDef:
    """The entity's first pipeline field (the loader guarantees one for pipeline panels)."""
    return next(f for f in entity.fields.values() if f.pipeline)


def open_stages(model: AppModel, f: FieldDef) -> tuple[StageDef, ...]:
    """The stages of ``f``'s pipeline that are neither won nor lost, in order."""
    pipeline = model.pipelines.get(f.pipeline or "")
    if pipeline is None:
        return ()
    return tuple(s for s in pipeline.stages if not s.won and not s.lost)


def assigned_filter(model: AppModel, entity: EntityDef, hidden: Collection[str] = ()) -> str:
    """Records the member owns that are still open: in a workflow state a transition
    leaves (a state nothing leaves, such as closed, is done with) or, with ``done:``,
    in a state it does not list. A workflow field
    hidden from the member is not filtered on."""
    for workflow in model.workflows.values():
        if workflow.entity != entity.name or workflow.field in hidden:
            continue
        leaving = {s for t in workflow.transitions for s in t.from_states}
        states = [s for s in workflow.states if s in leaving or "*" in leaving]
        if workflow.done_states:
            states = [s for s in workflow.states if s not in workflow.done_states]
        if states:
            names = ", ".join(quoted(s) for s in states)
            return f"{MINE} and {workflow.field} in ({names})"
    return MINE


__all__ = ["MINE", "assigned_filter", "open_stages", "pipeline_field", "quoted"]
