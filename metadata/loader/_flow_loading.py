"""The two steps the package loader runs for pipelines and workflows."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from trellis.metadata.loader._flows import Flows, Reader, read_flows
from trellis.metadata.loader._pipeline_checks import bind_pipeline_fields, check_pipelines
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._workflow_checks import check_workflows
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import AppModel, EntityDef


def load_flows(
    root: Path,
    display: str,
    read: Reader,
    entities: dict[str, EntityDef],
    entity_docs: Mapping[str, YamlDocument],
    report: Report,
) -> Flows:
    """Read pipelines and workflows, and bind ``pipeline`` fields in ``entities`` in place.

    Runs before the app model is built, so that pipeline fields carry their stage
    names as ``options`` for JSON Schema and expression checks.
    """
    flows = read_flows(root, display, read, report)
    check_pipelines(flows, report)
    entities.update(bind_pipeline_fields(entities, entity_docs, flows, report))
    return flows


def attach_flows(
    model: AppModel,
    flows: Flows,
    entity_docs: Mapping[str, YamlDocument],
    broken: Collection[str],
    report: Report,
) -> AppModel:
    """Cross-check the workflows against ``model`` and return it with both attached."""
    check_workflows(model, flows, entity_docs, broken, report)
    return replace(
        model,
        pipelines=MappingProxyType(dict(flows.pipelines)),
        workflows=MappingProxyType(dict(flows.workflows)),
    )


__all__ = ["attach_flows", "load_flows"]
