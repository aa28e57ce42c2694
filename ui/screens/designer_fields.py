"""The field designer's form preview and the placing of errors on the options they name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trellis.metadata.model.local_text import local_text
from trellis.platform.designers import field_key_offset, option_columns, set_field
from trellis.platform.designers.option_labels import ENUM_TYPES

#: Input of the form preview for each field type (``select`` lists the options).
PREVIEW_INPUT = {
    "text": "textarea",
    "rich_text": "textarea",
    "json": "textarea",
    "integer": "number",
    "decimal": "number",
    "money": "number",
    "percent": "number",
    "boolean": "checkbox",
    "date": "date",
    "datetime": "datetime-local",
    "email": "email",
    "phone": "tel",
    "url": "url",
    "enum": "select",
    "multi_enum": "select",
    "pipeline": "select",
    "file": "file",
    "reference": "search",
    "user": "search",
    "many_to_many": "search",
    "any_reference": "search",
    "lines": "lines",
}


def preview_field(name: str, definition: Mapping[str, Any]) -> dict[str, Any]:
    """What the form preview shows for one field."""
    kind = str(definition.get("type", "string"))
    raw_label = definition.get("label")
    label = local_text(raw_label) or name.replace("_", " ").capitalize()
    description = definition.get("description")
    raw_options = definition.get("options")
    options = raw_options if isinstance(raw_options, list) else []
    return {
        "name": name,
        "type": kind,
        "label": label,
        "description": local_text(description) or "",
        "input": PREVIEW_INPUT.get(kind, "text"),
        "options": [str(o) for o in options],
        "multiple": kind == "multi_enum",
        "required": definition.get("required") is True,
        "computed": "formula" in definition or "rollup" in definition,
    }


def enum_options(definition: Mapping[str, Any]) -> list[str]:
    """The options whose labels and colours the editor shows (enum fields only)."""
    found = definition.get("options")
    if definition.get("type") not in ENUM_TYPES or not isinstance(found, list):
        return []
    return [str(o) for o in found]


def placed_errors(
    errors: list[dict[str, Any]], path: str, text: str, name: str, definition: dict[str, Any]
) -> tuple[dict[str, list[str]], list[str]]:
    """Errors on the option they are about (by line and column), and the rest."""
    written = set_field(text, name, definition)
    columns = option_columns(written, name)
    offset = field_key_offset(written, name)
    line = written.count("\n", 0, offset) + 1 if offset is not None else 0
    inline: dict[str, list[str]] = {}
    general: list[str] = []
    for error in errors:
        key = None
        if error.get("file") == path and error.get("line") == line:
            column = int(error.get("column") or 0)
            key = next((k for k, (a, b) in columns.items() if a <= column <= b), "name")
        if key is None:
            general.append(str(error["text"]))
        else:
            inline.setdefault(key, []).append(str(error["text"]))
    return inline, general


__all__ = ["PREVIEW_INPUT", "enum_options", "placed_errors", "preview_field"]
