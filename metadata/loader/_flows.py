"""Read ``pipelines/*.yaml`` and ``workflows/*.yaml`` into frozen definitions.

Like the entity builder, building is lenient: an item the schema check already
reported is left out, so cross-checks can still run on the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from trellis.metadata.loader._build import expression_text, humanize
from trellis.metadata.loader._colour_checks import check_stage_colours
from trellis.metadata.loader._entity_checks import NAME, NAME_HINT
from trellis.metadata.loader._files import ENTITY_SUFFIXES, PIPELINE_DIR, WORKFLOW_DIR, is_ignored
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schema_check import schema_diagnostics
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import PipelineDef, SourceSpan, StageDef, TransitionDef, WorkflowDef
from trellis.metadata.model.badges import BADGE_COLOURS
from trellis.metadata.model.local_text import local_text

#: Reads one package file: (root, relative path, path as shown, report) -> document.
Reader = Callable[[Path, str, str, Report], YamlDocument | None]


@dataclass
class Flows:
    """Pipelines and workflows read from a package, with their documents."""

    pipelines: dict[str, PipelineDef] = field(default_factory=dict)
    workflows: dict[str, WorkflowDef] = field(default_factory=dict)
    pipeline_docs: dict[str, YamlDocument] = field(default_factory=dict)
    workflow_docs: dict[str, YamlDocument] = field(default_factory=dict)
    #: Names of files that exist but could not be read (not reported as unknown again).
    broken_pipelines: set[str] = field(default_factory=set)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    # Labels, descriptions and messages may be {locale: text} (a LocalText).
    return local_text(data.get(key)) or None


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _files(root: Path, folder: str, display: str, report: Report) -> list[tuple[str, str]]:
    """(relative path, stem) of the YAML files in ``folder``; other items are warned about."""
    base = root / folder
    if not base.is_dir():
        return []
    found: list[tuple[str, str]] = []
    for entry in sorted(base.iterdir()):
        if is_ignored(entry):
            continue
        relative = entry.relative_to(root).as_posix()
        if entry.is_file() and entry.suffix in ENTITY_SUFFIXES:
            found.append((relative, entry.stem))
            continue
        shown = (PurePosixPath(display) / relative).as_posix()
        message = f"'{relative}' is not a {folder[:-1]} file (*.yaml); ignored"
        report.warning("MD031", message, SourceSpan(shown, 1, 1))
    return found


def _documents(
    root: Path, display: str, folder: str, key: str, read: Reader, report: Report
) -> tuple[dict[str, YamlDocument], set[str]]:
    """Read and schema-check every file of ``folder``; the name comes from the file."""
    docs: dict[str, YamlDocument] = {}
    broken: set[str] = set()
    first: dict[str, str] = {}
    for relative, stem in _files(root, folder, display, report):
        shown = (PurePosixPath(display) / relative).as_posix()
        doc = read(root, relative, shown, report)
        if doc is None:
            broken.add(stem)
            continue
        report.extend(schema_diagnostics(key, doc.data, doc.positions))
        if not NAME.match(stem):
            message = f"file name '{stem}' is not a valid {key} name; expected {NAME_HINT}"
            report.error("MD006", message, doc.positions.value(()))
            continue
        declared = doc.data.get(key) if isinstance(doc.data, dict) else None
        if isinstance(declared, str) and NAME.match(declared) and declared != stem:
            message = f"{key} '{declared}' does not match its file name '{stem}'"
            report.error("MD061", message, doc.positions.value((key,)), stem)
        if stem in first:
            message = f"{key} '{stem}' is already defined in {first[stem]}"
            report.error("MD062", message, doc.positions.value(()))
            continue
        first[stem] = shown
        docs[stem] = doc
    return docs, broken


def read_flows(root: Path, display: str, read: Reader, report: Report) -> Flows:
    """Read, schema-check and build every pipeline and workflow file of the package."""
    flows = Flows()
    docs, flows.broken_pipelines = _documents(root, display, PIPELINE_DIR, "pipeline", read, report)
    for name, doc in docs.items():
        check_stage_colours(doc.data, doc.positions, report)
        flows.pipelines[name] = build_pipeline(name, doc.data, doc.positions)
        flows.pipeline_docs[name] = doc
    docs, _ = _documents(root, display, WORKFLOW_DIR, "workflow", read, report)
    for name, doc in docs.items():
        workflow = build_workflow(name, doc.data, doc.positions)
        if workflow is not None:
            flows.workflows[name] = workflow
            flows.workflow_docs[name] = doc
    return flows


def _probability(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Decimal(str(value))


def build_pipeline(name: str, data: Any, positions: PositionMap) -> PipelineDef:
    """Build pipeline ``name``; stages without a usable name or probability are left out."""
    data = data if isinstance(data, dict) else {}
    items = data.get("stages")
    stages: list[StageDef] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        stage_name, probability = _text(item, "name"), _probability(item.get("probability"))
        if stage_name is None or probability is None:
            continue
        colour = item.get("colour")
        stages.append(
            StageDef(
                name=stage_name,
                label=_text(item, "label") or humanize(stage_name),
                probability=probability,
                won=item.get("won") is True,
                lost=item.get("lost") is True,
                description=_text(item, "description"),
                source=positions.value(("stages", index)),
                colour=colour if colour in BADGE_COLOURS else None,
            )
        )
    return PipelineDef(
        name=name,
        label=_text(data, "label") or humanize(name),
        stages=tuple(stages),
        description=_text(data, "description"),
        source=positions.anchor(("pipeline",) if "pipeline" in data else ()),
    )


def _transition(index: int, item: Any, positions: PositionMap) -> TransitionDef | None:
    if not isinstance(item, dict):
        return None
    name, to = _text(item, "name"), _text(item, "to")
    from_states = _texts(item.get("from"))
    if name is None or to is None or not from_states:
        return None
    path: NodePath = ("transitions", index)
    approval = item.get("approval")
    on_enter = item.get("on_enter")
    actions = on_enter.get("set") if isinstance(on_enter, dict) else None
    sets: dict[str, str] = {}
    sources: dict[str, SourceSpan] = {}
    for target, value in (actions if isinstance(actions, dict) else {}).items():
        text = expression_text(value)
        if text is not None:
            sets[target] = text
            sources[target] = positions.content((*path, "on_enter", "set", target))
    guard = _text(item, "guard")
    when = _text(approval, "when") if isinstance(approval, dict) else None
    return TransitionDef(
        name=name,
        label=_text(item, "label") or humanize(name),
        from_states=from_states,
        to=to,
        roles=_texts(item.get("roles")),
        guard=guard,
        guard_source=positions.content((*path, "guard")) if guard else None,
        message=_text(item, "message"),
        required=_texts(item.get("required")),
        approval_role=_text(approval, "role") if isinstance(approval, dict) else None,
        approval_when=when,
        approval_when_source=positions.content((*path, "approval", "when")) if when else None,
        on_enter_set=MappingProxyType(sets),
        on_enter_sources=MappingProxyType(sources),
        source=positions.value(path),
    )


def build_workflow(name: str, data: Any, positions: PositionMap) -> WorkflowDef | None:
    """Build workflow ``name``; None when its entity, field or initial state is missing."""
    data = data if isinstance(data, dict) else {}
    entity, state_field, initial = (
        _text(data, "entity"),
        _text(data, "field"),
        _text(data, "initial"),
    )
    if entity is None or state_field is None or initial is None:
        return None
    items = data.get("transitions")
    transitions = (
        _transition(i, item, positions)
        for i, item in enumerate(items if isinstance(items, list) else [])
    )
    return WorkflowDef(
        name=name,
        label=_text(data, "label") or humanize(name),
        entity=entity,
        field=state_field,
        initial=initial,
        states=_texts(data.get("states")),
        transitions=tuple(t for t in transitions if t is not None),
        description=_text(data, "description"),
        source=positions.anchor(("workflow",) if "workflow" in data else ()),
        done_states=_texts(data.get("done")),
    )


__all__ = ["Flows", "Reader", "build_pipeline", "build_workflow", "read_flows"]
