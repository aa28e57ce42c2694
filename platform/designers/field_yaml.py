"""Read and write one field of an entity file, editing only that field's text.

The entity file is composed with PyYAML (nodes keep their character offsets); a
field written on one line is replaced in place by a one-line flow mapping, a field
written as a block mapping is edited key by key (``yaml_keys``: its comments stay), a
new field is appended after the last one. Comments, order and formatting of everything else stay
as written.
"""

from __future__ import annotations

from typing import Any

import yaml

from trellis.platform.designers.yaml_keys import node_end, set_mapping
from trellis.platform.drafts.errors import DraftError

FastLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EntityFileError(DraftError):
    """The entity file cannot be edited field by field (not a mapping with ``fields``)."""


def parse_entity(text: str) -> dict[str, Any]:
    """The entity file's data (an empty mapping when it is not one)."""
    try:
        data = yaml.load(text, Loader=FastLoader)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def entity_fields(text: str) -> dict[str, dict[str, Any]]:
    """The file's fields in order: name -> definition (``{}`` for a malformed one)."""
    fields = parse_entity(text).get("fields")
    if not isinstance(fields, dict):
        return {}
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in fields.items()}


def flow(definition: dict[str, Any]) -> str:
    """``definition`` as a one-line YAML flow mapping, keys in the given order."""
    text = yaml.safe_dump(
        definition, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**9
    )
    return text.strip()


def _fields_node(text: str) -> tuple[yaml.MappingNode, yaml.Node | None]:
    try:
        root = yaml.compose(text, Loader=FastLoader)
    except yaml.YAMLError as exc:
        raise EntityFileError(f"The entity file is not valid YAML: {exc}") from None
    if not isinstance(root, yaml.MappingNode):
        raise EntityFileError("The entity file is not a YAML mapping.")
    for key, value in root.value:
        if key.value == "fields":
            return root, value
    return root, None


def set_field(text: str, name: str, definition: dict[str, Any]) -> str:
    """``text`` with field ``name`` defined as ``definition`` (added when it is new).

    Raises:
        EntityFileError: the file is not YAML, or its ``fields`` is not a mapping.
    """
    _root, fields = _fields_node(text)
    line = f"{name}: {flow(definition)}"
    if fields is None:
        body = text if text.endswith("\n") or not text else text + "\n"
        return f"{body}fields:\n  {line}\n"
    if not isinstance(fields, yaml.MappingNode):
        raise EntityFileError("The entity file's 'fields' is not a mapping.")
    for key, value in fields.value:
        if key.value == name and isinstance(value, yaml.MappingNode) and not value.flow_style:
            old = entity_fields(text).get(name)
            if value.value and old:
                return set_mapping(text, value, definition, old)
        if key.value == name:
            start, end = int(key.end_mark.index), node_end(value)
            return text[:start] + ": " + flow(definition) + text[end:]
    if fields.flow_style or not fields.value:
        close = int(fields.end_mark.index) - 1
        glue = ", " if fields.value else ""
        return text[:close] + glue + line + text[close:]
    indent = " " * int(fields.value[0][0].start_mark.column)
    at = node_end(fields.value[-1][1])
    return text[:at] + "\n" + indent + line + text[at:]


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    return None


def show_in_layouts(text: str, name: str, screens: tuple[str, ...] = ("form", "detail")) -> str:
    """``text`` with field ``name`` added to the last section of each declared ``screens``.

    An entity that declares its form or detail sections shows only the fields they
    list; a field added in the designer joins the last section of each. Screens that
    are not declared (generated from the fields) and sections already naming it are
    left alone.
    """
    try:
        root = yaml.compose(text, Loader=FastLoader)
    except yaml.YAMLError:
        return text
    edits: list[tuple[int, str]] = []
    for screen in screens:
        sections = _child(_child(_child(root, "layouts"), screen), "sections")
        if not isinstance(sections, yaml.SequenceNode) or not sections.value:
            continue
        fields = _child(sections.value[-1], "fields")
        if not isinstance(fields, yaml.SequenceNode):
            continue
        if any(getattr(item, "value", None) == name for item in fields.value):
            continue
        if fields.flow_style:
            at = int(fields.end_mark.index) - 1
            edits.append((at, f", {name}" if fields.value else name))
        elif fields.value:
            indent = " " * int(fields.value[0].start_mark.column - 2)
            edits.append((node_end(fields.value[-1]), f"\n{indent}- {name}"))
    for at, insert in sorted(edits, reverse=True):
        text = text[:at] + insert + text[at:]
    return text


def field_key_offset(text: str, name: str) -> int | None:
    """Where field ``name``'s key starts in ``text`` (None if absent)."""
    try:
        _root, fields = _fields_node(text)
    except EntityFileError:
        return None
    if isinstance(fields, yaml.MappingNode):
        for key, _value in fields.value:
            if key.value == name:
                return int(key.start_mark.index)
    return None


def option_columns(text: str, name: str) -> dict[str, tuple[int, int]]:
    """Each option key of field ``name`` -> the 1-based columns its entry spans.

    Used to place a validation error on the option it is about (the field is written
    on one line by :func:`set_field`).
    """
    try:
        _root, fields = _fields_node(text)
    except EntityFileError:
        return {}
    if not isinstance(fields, yaml.MappingNode):
        return {}
    for key, value in fields.value:
        if key.value == name and isinstance(value, yaml.MappingNode):
            return {
                str(k.value): (int(k.start_mark.column) + 1, node_end(v) - _line_start(text, v))
                for k, v in value.value
            }
    return {}


def _line_start(text: str, node: yaml.Node) -> int:
    return text.rfind("\n", 0, node_end(node)) + 1


__all__ = [
    "EntityFileError",
    "FastLoader",
    "entity_fields",
    "field_key_offset",
    "flow",
    "node_end",
    "option_columns",
    "parse_entity",
    "set_field",
    "show_in_layouts",
]
