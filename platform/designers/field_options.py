"""The options a field designer offers for each field type, and how their values read.

Which option applies to which type comes from the metadata loader's own table
(``APPLIES_TO``, ``TARGETED``), so the designer never offers an option the validator
would refuse. A form's values are turned into a field definition here; a value the
form cannot turn into its kind (``max_length: abc``) is written as typed, and the
validator reports it with its position like any other error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trellis.metadata.loader import APPLIES_TO, TARGETED
from trellis.metadata.model import LINES_TYPE, FieldType
from trellis.platform.designers.option_labels import apply_option_labels, option_form_values

#: Every type a designer offers, in the order shown.
TYPES: tuple[str, ...] = (*(t.value for t in FieldType), LINES_TYPE)


@dataclass(frozen=True, slots=True)
class FieldOption:
    """One option of a field definition (a key of its YAML mapping)."""

    key: str
    #: How it is entered: text, local (en/es), bool, int, number, list, expr, choice, entity.
    kind: str
    choices: tuple[str, ...] = ()


OPTIONS: tuple[FieldOption, ...] = (
    FieldOption("label", "local"),
    FieldOption("description", "local"),
    FieldOption("required", "bool"),
    FieldOption("unique", "bool"),
    FieldOption("indexed", "choice", ("true", "trigram")),
    FieldOption("pii", "bool"),
    FieldOption("max_length", "int"),
    FieldOption("min", "number"),
    FieldOption("max", "number"),
    FieldOption("scale", "int"),
    FieldOption("options", "list"),
    FieldOption("to", "entity"),
    FieldOption("on_delete", "choice", ("restrict", "set_null", "cascade")),
    FieldOption("targets", "list"),
    FieldOption("entity", "entity"),
    FieldOption("parent_field", "text"),
    FieldOption("pipeline", "text"),
    FieldOption("currency_field", "text"),
    FieldOption("rate_date", "text"),
    FieldOption("format", "text"),
    FieldOption("multiple", "bool"),
    FieldOption("versioned", "bool"),
    FieldOption("max_size_mb", "int"),
    FieldOption("default", "expr"),
    FieldOption("formula", "expr"),
    FieldOption("required_when", "expr"),
    FieldOption("visible_when", "expr"),
    FieldOption("readonly_when", "expr"),
)
_BY_KEY = {option.key: option for option in OPTIONS}
#: Keys of a lines field (metadata/loader/_lines.py).
_LINES = ("label", "description", "required", "entity", "parent_field", "min", "max")
#: Keys only some types take, beyond the loader's table.
_ONLY = {"to": TARGETED, "entity": frozenset({LINES_TYPE}), "parent_field": frozenset({LINES_TYPE})}


def options_for(field_type: str) -> tuple[FieldOption, ...]:
    """The options a field of ``field_type`` takes, in the designer's order."""
    if field_type == LINES_TYPE:
        return tuple(_BY_KEY[key] for key in _LINES)
    found = []
    for option in OPTIONS:
        only = _ONLY.get(option.key) or APPLIES_TO.get(option.key)
        if only is None or field_type in only:
            found.append(option)
    return tuple(found)


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _value(option: FieldOption, form: Mapping[str, str]) -> Any:
    """The option's value from the form (None: not set)."""
    name = f"opt_{option.key}"
    if option.kind == "local":
        en, es = form.get(f"{name}_en", "").strip(), form.get(f"{name}_es", "").strip()
        if en and es:
            return {"en": en, "es": es}
        return en or ({"es": es} if es else None)
    raw = form.get(name, "")
    if option.kind == "bool":
        return True if raw in ("on", "true", "1") else None
    text = raw.strip()
    if not text:
        return None
    if option.kind == "int":
        return int(text) if text.lstrip("-").isdigit() else text
    if option.kind == "number":
        return _number(text)
    if option.kind == "list":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if option.key == "indexed" and text == "true":
        return True
    return text


def definition_from_form(
    form: Mapping[str, str], previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The field definition a designer form describes.

    Keys of ``previous`` the designer does not edit (``option_labels``, ``rollup``, …)
    are kept while they still apply to the chosen type.
    """
    field_type = form.get("type", "").strip() or "string"
    definition: dict[str, Any] = {"type": field_type}
    offered = options_for(field_type)
    for option in offered:
        value = _value(option, form)
        if value is not None:
            definition[option.key] = value
    for key, value in (previous or {}).items():
        if key in _BY_KEY or key == "type":
            continue
        only = APPLIES_TO.get(key)
        if only is None or field_type in only:
            definition[key] = value
    apply_option_labels(definition, form)
    return definition


def form_values(definition: Mapping[str, Any]) -> dict[str, str]:
    """The designer form's values for an existing definition (the inverse of the above)."""
    values = {"type": str(definition.get("type", "string"))}
    for option in OPTIONS:
        value = definition.get(option.key)
        name = f"opt_{option.key}"
        if value is None:
            continue
        if option.kind == "local":
            if isinstance(value, Mapping):
                values[f"{name}_en"] = str(value.get("en", ""))
                values[f"{name}_es"] = str(value.get("es", ""))
            else:
                values[f"{name}_en"] = str(value)
        elif option.kind == "bool":
            values[name] = "on" if value is True else ""
        elif option.kind == "list" and isinstance(value, list):
            values[name] = "\n".join(str(v) for v in value)
        elif value is True:
            values[name] = "true"
        else:
            values[name] = str(value)
    values.update(option_form_values(definition))
    return values


__all__ = [
    "OPTIONS",
    "TYPES",
    "FieldOption",
    "definition_from_form",
    "form_values",
    "options_for",
]
