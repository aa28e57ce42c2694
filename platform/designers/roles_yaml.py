"""Edit ``roles.yaml`` one role's entity entry at a time, keeping the rest as written.

The file is composed with PyYAML (nodes keep their character offsets). A changed entry
``roles.<role>.entities.<entity>`` is replaced in place by a one-line flow mapping,
a new one is appended after the role's last entry and a removed one loses its lines.
Where the role or its ``entities`` is written in flow style, that value is rewritten
as one flow mapping. Comments, order and formatting of everything else stay.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import yaml

from trellis.platform.designers.field_yaml import FastLoader, flow, node_end
from trellis.platform.drafts.errors import DraftError


class RolesFileError(DraftError):
    """``roles.yaml`` cannot be edited entry by entry (not YAML, or not a ``roles`` mapping)."""


def parse_roles(text: str) -> dict[str, dict[str, Any]]:
    """Role name -> its definition as written (``{}`` for a malformed one).

    Parsed once per text (pages are read far more often than roles change): callers
    copy what they change and never change the definitions in place.
    """
    return dict(_parsed(text))


@lru_cache(maxsize=8)
def _parsed(text: str) -> dict[str, dict[str, Any]]:
    try:
        data = yaml.load(text, Loader=FastLoader) if text.strip() else {}
    except yaml.YAMLError:
        return {}
    roles = data.get("roles") if isinstance(data, dict) else None
    if not isinstance(roles, dict):
        return {}
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in roles.items()}


def _stop(text: str, node: yaml.Node) -> int:
    """:func:`node_end` before the line breaks a block scalar (``>-``, ``|``) swallows."""
    at = node_end(node)
    while at > 0 and text[at - 1] == "\n":
        at -= 1
    return at


def _drop_lines(text: str, key: yaml.Node, value: yaml.Node) -> str:
    """``text`` without the lines of one block mapping entry."""
    start = text.rfind("\n", 0, int(key.start_mark.index)) + 1
    stop = text.find("\n", _stop(text, value))
    return text[:start] + text[(len(text) if stop < 0 else stop + 1) :]


def _entry(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if k.value == key), None)
    return None


def _replace_value(text: str, key: yaml.Node, value: yaml.Node, data: Any) -> str:
    written = json.dumps(data, ensure_ascii=False) if isinstance(data, str) else flow(data)
    return text[: int(key.end_mark.index)] + ": " + written + text[_stop(text, value) :]


def _roles_node(text: str) -> yaml.Node | None:
    try:
        root = yaml.compose(text, Loader=FastLoader) if text.strip() else None
    except yaml.YAMLError as exc:
        raise RolesFileError(f"roles.yaml is not valid YAML: {exc}") from None
    if root is None:
        return None
    if not isinstance(root, yaml.MappingNode):
        raise RolesFileError("roles.yaml is not a YAML mapping.")
    found = _entry(root, "roles")
    return found[1] if found else None


def set_entity_access(text: str, role: str, entity: str, spec: dict[str, Any] | None) -> str:
    """``text`` with role ``role``'s entry for ``entity`` set to ``spec`` (None: removed).

    Raises:
        RolesFileError: the file is not YAML, or ``role`` is not one of its roles.
    """
    roles = _roles_node(text)
    found = _entry(roles, role)
    if found is None:
        raise RolesFileError(f"roles.yaml has no role '{role}'.")
    role_key, role_node = found
    wanted = dict(parse_roles(text).get(role, {}))
    entities = dict(wanted.get("entities") or {})
    if spec is None:
        entities.pop(entity, None)
    else:
        entities[entity] = spec
    wanted["entities"] = entities
    if not isinstance(role_node, yaml.MappingNode) or role_node.flow_style:
        return _replace_value(text, role_key, role_node, wanted)
    listed = _entry(role_node, "entities")
    if listed is None:
        indent = " " * int(role_node.value[0][0].start_mark.column)
        at = _stop(text, role_node.value[-1][1])
        block = f"\n{indent}entities:\n{indent}  {entity}: {flow(spec)}" if spec else ""
        return text[:at] + block + text[at:]
    ents_key, ents = listed
    if not isinstance(ents, yaml.MappingNode) or ents.flow_style or not ents.value:
        return _replace_value(text, ents_key, ents, entities)
    current = _entry(ents, entity)
    if current is not None and spec is not None:
        return _replace_value(text, current[0], current[1], spec)
    if current is not None:
        if len(ents.value) == 1:
            return _replace_value(text, ents_key, ents, {})
        return _drop_lines(text, *current)
    if spec is None:
        return text
    indent = " " * int(ents.value[0][0].start_mark.column)
    at = _stop(text, ents.value[-1][1])
    return text[:at] + f"\n{indent}{entity}: {flow(spec)}" + text[at:]


def set_role_text(text: str, role: str, key: str, value: str | None) -> str:
    """``text`` with role ``role``'s ``label`` or ``description`` set (None: removed).

    Raises:
        RolesFileError: the file is not YAML, or ``role`` is not one of its roles.
    """
    found = _entry(_roles_node(text), role)
    if found is None:
        raise RolesFileError(f"roles.yaml has no role '{role}'.")
    role_key, role_node = found
    if not isinstance(role_node, yaml.MappingNode) or role_node.flow_style or not role_node.value:
        wanted = dict(parse_roles(text).get(role, {}))
        if value is None:
            wanted.pop(key, None)
        else:
            wanted[key] = value
        return _replace_value(text, role_key, role_node, wanted)
    current = _entry(role_node, key)
    if current is not None:
        if value is None:
            return _drop_lines(text, *current)
        return _replace_value(text, current[0], current[1], value)
    if value is None:
        return text
    indent = " " * int(role_node.value[0][0].start_mark.column)
    at = _stop(text, role_node.value[-1][1])
    return text[:at] + f"\n{indent}{key}: {json.dumps(value, ensure_ascii=False)}" + text[at:]


def add_role(text: str, name: str, label: str) -> str:
    """``text`` with a new role ``name`` (no entities yet) after the last one.

    Raises:
        RolesFileError: the file is not YAML, or its ``roles`` is not a mapping.
    """
    roles = _roles_node(text)
    line = f"{name}: {flow({'label': label, 'entities': {}})}"
    if roles is None or (isinstance(roles, yaml.ScalarNode) and not roles.value):
        body = text if text.endswith("\n") or not text else text + "\n"
        return body.replace("roles:\n", "") + f"roles:\n  {line}\n"
    if not isinstance(roles, yaml.MappingNode):
        raise RolesFileError("roles.yaml's 'roles' is not a mapping.")
    if roles.flow_style or not roles.value:
        close = int(roles.end_mark.index) - 1
        return text[:close] + (", " if roles.value else "") + line + text[close:]
    indent = " " * int(roles.value[0][0].start_mark.column)
    at = _stop(text, roles.value[-1][1])
    return text[:at] + f"\n{indent}{line}" + text[at:]


def _role_entry(text: str, role: str) -> tuple[yaml.Node, yaml.Node]:
    found = _entry(_roles_node(text), role)
    if found is None:
        raise RolesFileError(f"roles.yaml has no role '{role}'.")
    return found


def rename_role_key(text: str, old: str, new: str) -> str:
    """``text`` with role ``old`` called ``new``; its definition and place stay as written.

    Raises:
        RolesFileError: the file is not YAML, or ``old`` is not one of its roles.
    """
    key, _value = _role_entry(text, old)
    return text[: int(key.start_mark.index)] + new + text[int(key.end_mark.index) :]


def remove_role(text: str, role: str) -> str:
    """``text`` without role ``role`` (its lines, or its entry of a flow mapping).

    Raises:
        RolesFileError: the file is not YAML, or ``role`` is not one of its roles.
    """
    key, value = _role_entry(text, role)
    roles = _roles_node(text)
    assert isinstance(roles, yaml.MappingNode)  # _role_entry found the role in it
    if not roles.flow_style and len(roles.value) > 1:
        return _drop_lines(text, key, value)
    root = yaml.compose(text, Loader=FastLoader)
    roles_key, _roles = _entry(root, "roles") or (key, value)
    kept = {k: v for k, v in parse_roles(text).items() if k != role}
    return _replace_value(text, roles_key, roles, kept)


def entry_lines(text: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(role, entity) -> the 1-based first and last line of its entry in ``text``."""
    try:
        roles = _roles_node(text)
    except RolesFileError:
        return {}
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for role_key, role_node in roles.value if isinstance(roles, yaml.MappingNode) else []:
        listed = _entry(role_node, "entities")
        if listed is None or not isinstance(listed[1], yaml.MappingNode):
            continue
        for key, value in listed[1].value:
            last = text.count("\n", 0, _stop(text, value)) + 1
            found[(str(role_key.value), str(key.value))] = (int(key.start_mark.line) + 1, last)
    return found


__all__ = [
    "RolesFileError",
    "add_role",
    "entry_lines",
    "parse_roles",
    "remove_role",
    "rename_role_key",
    "set_entity_access",
    "set_role_text",
]
