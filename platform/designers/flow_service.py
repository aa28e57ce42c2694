"""What the workflow designer reads and saves: ``workflows/<name>.yaml`` in the tenant's draft.

A page reads the workflow file as the draft has it (and the state field's option
labels from the entity file), so a draft that does not validate yet still draws. A
change rewrites only the nodes of the workflow file it changes (comments and the
rest stay as written; :mod:`~trellis.platform.designers.yaml_patch`), and the state
field when a state is added, renamed or removed, validates the whole
package with it and saves both files as one draft revision at the revision the
admin read. A state nothing reaches yet is no reason to refuse a save (a new state
is unreachable until a transition leads to it): the diagram flags it, and a publish
refuses it (MD068) until it is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trellis.metadata.model.local_text import local_text
from trellis.platform.designers.field_yaml import entity_fields, parse_entity, set_field
from trellis.platform.designers.flow_edit import FlowChange, apply_flow_change
from trellis.platform.designers.flow_graph import FlowGraph, graph_of
from trellis.platform.designers.roles_yaml import parse_roles
from trellis.platform.designers.service import ENTITY_NAME, draft_state, entity_path
from trellis.platform.designers.yaml_patch import patch_yaml
from trellis.platform.drafts.errors import DraftFileNotFoundError, InvalidDraftError
from trellis.platform.drafts.plan import load_checked, package_folder
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.runtime import Runtime

WORKFLOW_FOLDER = "workflows"
ROLES_FILE = "roles.yaml"
#: An error the designer saves anyway: the diagram shows it until a transition fixes it.
UNREACHABLE = "MD068"


@dataclass(frozen=True, slots=True)
class FlowRow:
    """One workflow of the draft, as the designer lists it."""

    name: str
    label: str
    entity: str
    states: int
    unreachable: tuple[str, ...]
    dead_ends: tuple[str, ...]
    changed: bool


@dataclass(frozen=True, slots=True)
class FlowFile:
    """One workflow as the draft has it, with its state labels and the revision read."""

    name: str
    path: str
    revision: int
    changed: bool
    label: str
    entity: str
    field: str
    data: dict[str, Any]
    #: state -> its option label (``{en, es}`` mapping or text), from the entity file.
    state_labels: dict[str, Any]
    graph: FlowGraph
    #: The roles ``roles.yaml`` declares and the entity's fields, as the draft has them.
    roles: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()


def workflow_path(name: str) -> str:
    """The package path of workflow ``name``.

    Raises:
        DraftFileNotFoundError: ``name`` is not a workflow name (no file can have it).
    """
    if not ENTITY_NAME.fullmatch(name):
        raise DraftFileNotFoundError(f"'{name}' is not a workflow name.")
    return f"{WORKFLOW_FOLDER}/{name}.yaml"


def _name(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) == 2 and parts[0] == WORKFLOW_FOLDER and parts[1].endswith(".yaml"):
        return parts[1].removesuffix(".yaml")
    return None


def _field(files: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    entity, name = str(data.get("entity") or ""), str(data.get("field") or "")
    text = files.get(entity_path(entity)) if ENTITY_NAME.fullmatch(entity) else None
    return entity_fields(text).get(name, {}) if text is not None else {}


def workflow_rows(runtime: Runtime, tenant: str) -> tuple[list[FlowRow], int]:
    """Every workflow of the draft, with what its diagram flags, and the draft revision."""
    state, draft = draft_state(runtime, tenant)
    rows = []
    for path, text in sorted(draft_files(state, draft).items()):
        name = _name(path)
        if name is None:
            continue
        data = parse_entity(text)
        graph = graph_of(data)
        label = local_text(data.get("label")) or name
        entity = str(data.get("entity") or "")
        changed = path in draft.files
        rows.append(
            FlowRow(
                name,
                label,
                entity,
                len(graph.states),
                graph.unreachable(),
                graph.dead_ends(),
                changed,
            )
        )
    return rows, draft.revision


def workflow_file(runtime: Runtime, tenant: str, name: str) -> FlowFile:
    """Workflow ``name`` as the draft has it.

    Raises:
        DraftFileNotFoundError: the draft has no such workflow.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = workflow_path(name)
    text = files.get(path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no workflow '{name}'.")
    data = parse_entity(text)
    labels = _field(files, data).get("option_labels")
    entity = str(data.get("entity") or "")
    entity_text = files.get(entity_path(entity)) if ENTITY_NAME.fullmatch(entity) else None
    return FlowFile(
        name,
        path,
        draft.revision,
        path in draft.files,
        local_text(data.get("label")) or name,
        str(data.get("entity") or ""),
        str(data.get("field") or ""),
        data,
        dict(labels) if isinstance(labels, dict) else {},
        graph_of(data),
        tuple(parse_roles(files.get(ROLES_FILE, ""))),
        tuple(entity_fields(entity_text)) if entity_text is not None else (),
    )


def _errors(runtime: Runtime, files: dict[str, str]) -> list[dict[str, Any]]:
    with package_folder(files) as root:
        try:
            load_checked(runtime, root)
        except InvalidDraftError as exc:
            return exc.errors
    return []


def check_new_errors(
    runtime: Runtime, before: dict[str, str], after: dict[str, str], path: str
) -> None:
    """Raise when ``after`` has errors ``before`` lacks, but unreachable states of ``path``.

    Raises:
        InvalidDraftError: the change adds errors (all of ``after``'s, placed).
    """
    found = _errors(runtime, after)
    new = [e for e in found if not (e.get("code") == UNREACHABLE and e.get("file") == path)]
    if not new:
        return
    known = {e["text"] for e in _errors(runtime, before)}
    if any(e["text"] not in known for e in new):
        raise InvalidDraftError(found)


def edit_workflow(
    runtime: Runtime,
    tenant: str,
    name: str,
    change: FlowChange,
    *,
    expected: int,
    actor: str,
) -> int:
    """Make ``change`` to workflow ``name`` in the draft; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such workflow (or its entity) in the draft.
        FlowEditError: the change cannot be made (the message says why).
        InvalidDraftError: the changed package has errors it did not have (all placed),
            states the initial one does not reach aside.
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = workflow_path(name)
    text = files.get(path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no workflow '{name}'.")
    data = parse_entity(text)
    options = _field(files, data)
    new_data, new_options = apply_flow_change(data, options, change)
    changes = {path: patch_yaml(text, new_data)}
    if options and new_options != options:
        entity_file = entity_path(str(data.get("entity")))
        changes[entity_file] = set_field(files[entity_file], str(data.get("field")), new_options)
    check_new_errors(runtime, files, {**files, **changes}, path)
    return DraftStore(runtime.registry).save_many(state.info, changes, expected, actor)


__all__ = [
    "FlowFile",
    "FlowRow",
    "check_new_errors",
    "edit_workflow",
    "workflow_file",
    "workflow_path",
    "workflow_rows",
]
