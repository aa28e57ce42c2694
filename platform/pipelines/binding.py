"""Which pipeline, entity and fields a pipeline query is about, with sensible defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trellis.metadata.model import EntityDef, FieldDef, FieldType, PipelineDef
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import BadRequestError

AMOUNT_TYPES = (FieldType.MONEY, FieldType.DECIMAL, FieldType.INTEGER)
DATE_TYPES = (FieldType.DATE, FieldType.DATETIME)


@dataclass(frozen=True, slots=True)
class PipelineBinding:
    """A pipeline and the entity field that follows it."""

    pipeline: PipelineDef
    entity: EntityDef
    field: FieldDef


def _bad(param: str, message: str) -> BadRequestError:
    return BadRequestError(message, {param: [message]})


def _pipeline(app: CompiledApp, name: str | None) -> PipelineDef:
    pipelines = app.model.pipelines
    if name is None:
        if len(pipelines) == 1:
            return next(iter(pipelines.values()))
        raise _bad(
            "pipeline", f"Name the pipeline: one of {', '.join(sorted(pipelines)) or '(none)'}."
        )
    found = pipelines.get(name)
    if found is None:
        raise _bad("pipeline", f"Unknown pipeline '{name}'.")
    return found


def bind(app: CompiledApp, params: Mapping[str, str]) -> PipelineBinding:
    """Resolve ``pipeline``, ``entity`` and ``field`` query parameters.

    Without ``entity`` (or ``field``), the only entity (field) bound to the pipeline
    is used.

    Raises:
        BadRequestError: unknown or ambiguous names.
    """
    pipeline = _pipeline(app, params.get("pipeline") or None)
    bound = [
        (entity, f)
        for entity in app.model.entities.values()
        for f in entity.fields.values()
        if f.type == FieldType.PIPELINE and f.pipeline == pipeline.name
    ]
    entity_name, field_name = params.get("entity") or None, params.get("field") or None
    if entity_name is not None:
        if entity_name not in app.model.entities:
            raise _bad("entity", f"Unknown entity '{entity_name}'.")
        bound = [(e, f) for e, f in bound if e.name == entity_name]
    if field_name is not None:
        bound = [(e, f) for e, f in bound if f.name == field_name]
    if not bound:
        raise _bad("field", f"No field follows pipeline '{pipeline.name}' there.")
    if len(bound) > 1:
        choices = ", ".join(f"{e.name}.{f.name}" for e, f in bound)
        raise _bad(
            "entity",
            f"Several fields follow pipeline '{pipeline.name}' ({choices}); "
            "name the entity and field.",
        )
    entity, f = bound[0]
    return PipelineBinding(pipeline, entity, f)


def value_field(
    entity: EntityDef, params: Mapping[str, str], param: str, types: tuple[str, ...]
) -> FieldDef:
    """The field named by ``param``, else the entity's first field of one of ``types``.

    Raises:
        BadRequestError: unknown field, wrong type, or none to default to.
    """
    name = params.get(param) or None
    if name is None:
        found = next((f for f in entity.fields.values() if f.type == types[0]), None)
        found = found or next((f for f in entity.fields.values() if f.type in types), None)
        if found is None:
            raise _bad(param, f"{entity.name} has no field of type {' or '.join(types)}; name one.")
        return found
    f = entity.fields.get(name)
    if f is None:
        raise _bad(param, f"Unknown field '{name}' on {entity.name}.")
    if f.type not in types:
        raise _bad(param, f"'{name}' is a {f.type} field; {param} needs {' or '.join(types)}.")
    return f


__all__ = ["AMOUNT_TYPES", "DATE_TYPES", "PipelineBinding", "bind", "value_field"]
