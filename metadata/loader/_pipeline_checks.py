"""Cross-checks of pipelines, and binding ``pipeline`` fields to their stages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._flows import Flows
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import EntityDef, FieldDef, FieldType

_TEXT_LITERAL = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"\s*$')


def check_pipelines(flows: Flows, report: Report) -> None:
    """Report repeated stage names and stages that are both won and lost."""
    for name, doc in flows.pipeline_docs.items():
        items = doc.data.get("stages") if isinstance(doc.data, dict) else None
        seen: set[str] = set()
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            path: NodePath = ("stages", index)
            stage = item.get("name")
            if isinstance(stage, str):
                if stage in seen:
                    message = f"pipeline '{name}': stage '{stage}' is declared twice"
                    report.error("MD062", message, doc.positions.value((*path, "name")))
                seen.add(stage)
            if item.get("won") is True and item.get("lost") is True:
                message = f"pipeline '{name}': stage '{stage}' cannot be both won and lost"
                report.error("MD063", message, doc.positions.anchor((*path, "lost")))


def bind_pipeline_fields(
    entities: Mapping[str, EntityDef],
    docs: Mapping[str, YamlDocument],
    flows: Flows,
    report: Report,
) -> dict[str, EntityDef]:
    """Give every ``pipeline`` field its stage names as ``options``.

    Reports (MD060) a pipeline field without ``pipeline``, naming an unknown
    pipeline, or whose default is not one of the stages. Returns the entities,
    rebuilt where a field changed.
    """
    out: dict[str, EntityDef] = {}
    for name, entity in entities.items():
        positions = docs[name].positions
        fields: dict[str, FieldDef] = {}
        for f in entity.fields.values():
            fields[f.name] = (
                _bind(f, flows, positions, report) if f.type == FieldType.PIPELINE else f
            )
        changed = any(fields[n] is not entity.fields[n] for n in fields)
        out[name] = replace(entity, fields=MappingProxyType(fields)) if changed else entity
    return out


def _bind(f: FieldDef, flows: Flows, positions: PositionMap, report: Report) -> FieldDef:
    path: NodePath = ("fields", f.name)
    if f.pipeline is None:
        message = f"field '{f.name}': type 'pipeline' needs 'pipeline' (the stages it follows)"
        report.error("MD060", message, positions.anchor(path))
        return f
    pipeline = flows.pipelines.get(f.pipeline)
    if pipeline is None:
        if f.pipeline not in flows.broken_pipelines:
            report.error(
                "MD060",
                f"field '{f.name}': unknown pipeline '{f.pipeline}'",
                positions.value((*path, "pipeline")),
                did_you_mean(f.pipeline, flows.pipelines),
            )
        return f
    stages = pipeline.stage_names
    literal = _TEXT_LITERAL.match(f.default or "")
    if literal and literal.group(1) not in stages:
        report.error(
            "MD060",
            f"field '{f.name}': default '{literal.group(1)}' is not a stage of "
            f"pipeline '{pipeline.name}'",
            positions.content((*path, "default")),
            did_you_mean(literal.group(1), stages),
        )
    return replace(f, options=stages)


__all__ = ["bind_pipeline_fields", "check_pipelines"]
