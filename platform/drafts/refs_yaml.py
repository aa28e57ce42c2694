"""Rename a field or entity in a package's YAML files, editing only the nodes that name it.

The file is composed with PyYAML (every node keeps its character offsets); the walk
knows which keys hold a field name, a list of field names, an entity name or a
rule-language expression, and on which entity each is read (the file's entity, or
the nearest ``entity:`` key: a related list, a dashboard tile, a workflow, a form).
Comments, order and formatting of everything else stay as written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import yaml

from trellis.metadata.model import AppModel
from trellis.platform.drafts.refs_expr import (
    Edit,
    Rename,
    apply_edits,
    expression_edits,
    path_hits,
)

#: Keys whose value is one field name (``-close_date`` in ``sort``, ``due_at:month``).
FIELD_KEYS = frozenset(
    {
        "field",
        "title",
        "currency_field",
        "sort",
        "total",
        "group_by",
        "set_field",
        "priority_field",
        "start_field",
        "parent_field",
        "rate_date",
    }
)
#: Keys whose value lists field names (or dotted paths).
LIST_KEYS = frozenset({"columns", "filters", "card", "search", "fields", "indexes"})
#: Keys whose value is a rule-language expression on the current entity.
EXPR_KEYS = frozenset(
    {
        "formula",
        "default",
        "when",
        "where",
        "visible_when",
        "required_when",
        "readonly_when",
        "guard",
        "met_when",
        "pause_when",
        "cancel_when",
    }
)
#: Keys whose value is an entity name.
ENTITY_KEYS = frozenset({"entity", "to"})


def render(node: yaml.ScalarNode, value: str) -> str:
    """``value`` written in ``node``'s style (plain, quoted or as a JSON string)."""
    if node.style == "'":
        return "'" + value.replace("'", "''") + "'"
    if node.style is None and "\n" not in value and value.strip() == value:
        return value
    return json.dumps(value, ensure_ascii=False)


@dataclass
class _Walk:
    model: AppModel
    rename: Rename
    text: str
    edits: list[Edit] = field(default_factory=list)

    def replace(self, node: yaml.ScalarNode, value: str) -> None:
        start, end = node.start_mark.index, node.end_mark.index
        tail = "\n" if node.style in ("|", ">") and self.text[start:end].endswith("\n") else ""
        self.edits.append((start, end, render(node, value) + tail))

    def field_name(self, node: yaml.Node, entity: str | None) -> None:
        """A field name or dotted path, with ``-`` / ``:unit`` decorations kept."""
        if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
            return
        raw = node.value
        head, sign = (raw[1:], "-") if raw.startswith("-") else (raw, "")
        head, colon, unit = head.partition(":")
        names = head.split(".")
        hits = path_hits(self.model, entity, names, self.rename)
        if hits:
            for i in hits:
                names[i] = self.rename.new
            self.replace(node, sign + ".".join(names) + colon + unit)

    def entity_name(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode) and self.rename.names_entity(node.value):
            self.replace(node, self.rename.new)

    def expression(self, node: yaml.Node, entity: str | None) -> None:
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith((":int", ":float", ":bool")):
            return
        edits = expression_edits(self.model, entity, node.value, self.rename)
        if edits:
            self.replace(node, apply_edits(node.value, edits))

    def field_list(self, node: yaml.Node, entity: str | None) -> None:
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if isinstance(item, yaml.ScalarNode):
                    self.field_name(item, entity)
                else:
                    self.walk(item, entity)
        elif isinstance(node, yaml.MappingNode):
            self.walk(node, entity)

    def keyed_fields(self, node: yaml.MappingNode, entity: str | None, expressions: bool) -> None:
        """A mapping keyed by field names (``set:``, a role's ``fields:``)."""
        for key, value in node.value:
            if self.rename.field(entity, key.value):
                self.replace(key, self.rename.new)
            self.walk(value, entity, expressions=expressions)

    def walk(self, node: yaml.Node, entity: str | None, *, expressions: bool = False) -> None:
        if isinstance(node, yaml.ScalarNode):
            if expressions:
                self.expression(node, entity)
            return
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self.walk(item, entity)
            return
        if not isinstance(node, yaml.MappingNode):
            return
        keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        named = keys.get("entity")
        if isinstance(named, yaml.ScalarNode) and named.value in self.model.entities:
            entity = named.value
        source = keys.get("from")
        if isinstance(source, yaml.ScalarNode) and "agg" in keys and "." in source.value:
            self.rollup_source(source)
            entity = source.value.split(".")[0]
        for key, value in node.value:
            self.entry(str(key.value), value, entity)

    def rollup_source(self, node: yaml.ScalarNode) -> None:
        child, _, ref = node.value.partition(".")
        new_child = self.rename.new if self.rename.names_entity(child) else child
        new_ref = self.rename.new if self.rename.field(child, ref) else ref
        if (new_child, new_ref) != (child, ref):
            self.replace(node, f"{new_child}.{new_ref}")

    def entry(self, key: str, value: yaml.Node, entity: str | None) -> None:
        if key in ENTITY_KEYS:
            self.entity_name(value)
        elif key == "targets" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                self.entity_name(item)
        elif key == "entities" and isinstance(value, yaml.MappingNode):
            for name, spec in value.value:
                self.entity_name(name)
                self.walk(spec, name.value)
        elif key in ("set", "fields") and isinstance(value, yaml.MappingNode):
            self.keyed_fields(value, entity, key == "set")
        elif key == "activity_fields" and isinstance(value, yaml.MappingNode):
            for _, spec in value.value:
                self.field_name(spec, entity)
        elif key in FIELD_KEYS:
            self.field_name(value, entity)
        elif key in LIST_KEYS:
            self.field_list(value, entity)
        elif key in EXPR_KEYS:
            self.expression(value, entity)
        elif not isinstance(value, yaml.ScalarNode):
            self.walk(value, entity)


def yaml_edits(model: AppModel, text: str, entity: str | None, rename: Rename) -> list[Edit]:
    """Edits renaming ``rename`` in the YAML ``text`` of a file read on ``entity``."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return []
    walk = _Walk(model, rename, text)
    walk.walk(root, entity)
    return walk.edits


def declare_renamed_from(text: str, path: tuple[str, ...], old: str) -> list[Edit]:
    """Edits adding ``renamed_from: old`` to the mapping at ``path`` (unless it has one)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    for step in path:
        if not isinstance(node, yaml.MappingNode):
            return []
        node = next((v for k, v in node.value if k.value == step), None)
    if not isinstance(node, yaml.MappingNode):
        return []
    if any(k.value == "renamed_from" for k, _ in node.value):
        return []
    if node.flow_style:
        at = node.start_mark.index + 1
        return [(at, at, f"renamed_from: {old}, " if node.value else f"renamed_from: {old}")]
    at = node.start_mark.index
    return [(at, at, f"renamed_from: {old}\n" + " " * node.start_mark.column)]


__all__ = ["declare_renamed_from", "render", "yaml_edits"]
