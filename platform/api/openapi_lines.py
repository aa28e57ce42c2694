"""OpenAPI schemas of ``lines`` fields: the array of lines a parent answers and takes.

A parent (``Invoice``) answers ``items`` as an array of ``InvoiceLine_Line`` (the line's
columns without its reference back); its create and update take an array of
``InvoiceLine_LineInput``: a new line (the line entity's create schema) or a changed
one (``id`` plus the fields that change), within the field's ``min``/``max``. The
recycle bin lists a deleted parent as ``Invoice_Deleted``: its columns, without lines.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.api.openapi_schemas import class_name, input_schema, record_schema, ref
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.lines import line_fields

_ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1, "description": "A stored line."}


def add_line_schemas(
    schemas: dict[str, Any],
    app: CompiledApp,
    entity: CompiledEntity,
    restricted: Callable[[str], tuple[Collection[str], Collection[str]]] = lambda _name: ((), ()),
) -> None:
    """Add the ``lines`` fields of ``entity`` (and their line schemas) to ``schemas``.

    ``restricted(line_entity)`` gives the reader's hidden and read-only line columns.
    """
    key = class_name(entity.name)
    if entity.entity.lines:  # the recycle bin lists a deleted record without its lines
        schemas[f"{key}_Deleted"] = {
            **schemas[key],
            "properties": dict(schemas[key]["properties"]),
            "required": list(schemas[key]["required"]),
            "title": f"Deleted {entity.entity.label}",
        }
    for field in line_fields(app, entity.entity):
        line_key = class_name(field.child.name)
        hidden, read_only = restricted(field.child.name)
        back = (field.parent_field, *hidden)
        schemas[f"{line_key}_Line"] = record_schema(field.child, back)
        created = input_schema(field.child, (*back, *read_only))
        changed = input_schema(field.child, (*back, *read_only), update=True)
        changed["properties"].pop("version", None)
        changed["properties"]["id"] = _ID
        changed["required"] = ["id"]
        changed["title"] = "A changed line: its id and the fields that change"
        schemas[f"{line_key}_LineInput"] = {
            "title": f"A line of {entity.entity.label}",
            "anyOf": [created, changed],
        }
        lines = field.lines
        label = str(lines.label)
        answer = {"type": "array", "title": label, "items": ref(f"{line_key}_Line")}
        schemas[key]["properties"][lines.name] = answer
        schemas[key]["required"].append(lines.name)
        sent: dict[str, Any] = {
            "type": ["array", "null"] if not lines.fewest else "array",
            "title": label,
            "description": "Every line of the record: lines without id are created, lines "
            "with an id changed, the record's other lines deleted.",
            "items": ref(f"{line_key}_LineInput"),
        }
        if lines.fewest:
            sent["minItems"] = lines.fewest
        if lines.max is not None:
            sent["maxItems"] = lines.max
        schemas[f"{key}_Create"]["properties"][lines.name] = sent
        schemas[f"{key}_Update"]["properties"][lines.name] = sent
        if lines.fewest:
            schemas[f"{key}_Create"].setdefault("required", []).append(lines.name)


__all__ = ["add_line_schemas"]
