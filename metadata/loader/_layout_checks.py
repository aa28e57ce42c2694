"""Cross-check an entity's ``layouts:`` against its fields and the other entities.

Codes: MD100 (unknown field), MD101 (a field the layout cannot use there: a sort
on a list or JSON field, a standard column other than ``owner_id`` in a form),
MD102 (related list on an unknown entity), MD103 (related list ``field`` is not a
reference from that entity to this one), MD104 (kanban ``field`` is not a pipeline
or enum field), MD105 (kanban ``total`` is not a number field), MD352 (the detail
layout's ``icon`` is not a named icon).

The checks read the files' data, so a field whose definition has other errors
still counts as declared and is not reported again as unknown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._entity_checks import NAME, spec_type
from trellis.metadata.loader._layouts import LAYOUTS_KEY
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import (
    FIELD_TYPES,
    FORM_STANDARD_COLUMNS,
    KANBAN_FIELD_TYPES,
    LAYOUT_STANDARD_COLUMNS,
    NUMBER_FIELD_TYPES,
    DslType,
    FieldType,
)
from trellis.metadata.model.icons import ICON_NAMES

_UNSORTABLE = (DslType.LIST, DslType.JSON)


def field_specs(data: Any) -> dict[str, Any]:
    """The raw ``fields:`` mapping of an entity file's data (empty when unusable)."""
    specs = data.get("fields") if isinstance(data, dict) else None
    return specs if isinstance(specs, dict) else {}


def _mapping(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _items(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class _Scope:
    """One entity file being checked: its name, fields, positions and the report."""

    entity: str
    specs: Mapping[str, Any]
    positions: PositionMap
    report: Report

    @property
    def shown(self) -> list[str]:
        """Names a layout may show: declared fields and the visible standard columns."""
        return [*self.specs, *LAYOUT_STANDARD_COLUMNS]

    def names(
        self, where: str, value: Any, path: NodePath, known: Collection[str] | None = None
    ) -> list[tuple[str, NodePath]]:
        """Report unknown names of the list at ``path``; return the known ones."""
        allowed = self.shown if known is None else known
        found: list[tuple[str, NodePath]] = []
        for i, name in enumerate(value if isinstance(value, list) else []):
            if not isinstance(name, str):
                continue
            if name in allowed:
                found.append((name, (*path, i)))
            else:
                self.unknown(where, name, self.positions.value((*path, i)), allowed)
        return found

    def unknown(self, where: str, name: str, span: Any, known: Collection[str]) -> None:
        """Report ``name`` as an unknown field (MD100)."""
        message = f"{where}: unknown field '{name}' of entity '{self.entity}'"
        self.report.error("MD100", message, span, did_you_mean(name, known))


def check_layouts(
    entity: str,
    docs: Mapping[str, YamlDocument],
    broken: Collection[str],
    report: Report,
) -> None:
    """Check the ``layouts:`` of ``entity`` (its file is ``docs[entity]``).

    Related lists read the other entities' files in ``docs``; an entity in
    ``broken`` exists but could not be read, so it is not reported as unknown.
    """
    doc = docs[entity]
    layouts = _mapping(doc.data, LAYOUTS_KEY)
    if not layouts:
        return
    scope = _Scope(entity, field_specs(doc.data), doc.positions, report)
    base: NodePath = (LAYOUTS_KEY,)
    _check_list(scope, _mapping(layouts, "list"), (*base, "list"))
    detail = _mapping(layouts, "detail")
    _check_sections(scope, "detail layout", detail, (*base, "detail"), scope.shown)
    highlights: NodePath = (*base, "detail", "highlights")
    scope.names("detail layout 'highlights'", detail.get("highlights"), highlights)
    _check_icon(scope, detail.get("icon"), (*base, "detail", "icon"))
    for i, item in enumerate(_items(detail, "related")):
        if isinstance(item, dict):
            _check_related(scope, item, (*base, "detail", "related", i), docs, broken)
    form_known = [*scope.specs, *FORM_STANDARD_COLUMNS]
    _check_sections(scope, "form layout", _mapping(layouts, "form"), (*base, "form"), form_known)
    _check_kanban(scope, _mapping(layouts, "kanban"), (*base, "kanban"))


def _check_icon(scope: _Scope, icon: Any, path: NodePath) -> None:
    if not isinstance(icon, str) or not NAME.match(icon) or icon in ICON_NAMES:
        return  # the schema check reports an icon that is not a name
    known = ", ".join(ICON_NAMES)
    message = f"detail layout: icon '{icon}' is not a known icon; use one of {known}"
    span = scope.positions.value(path)
    scope.report.error("MD352", message, span, did_you_mean(icon, ICON_NAMES))


def _check_list(scope: _Scope, spec: Mapping[str, Any], path: NodePath) -> None:
    scope.names("list layout 'columns'", spec.get("columns"), (*path, "columns"))
    scope.names("list layout 'filters'", spec.get("filters"), (*path, "filters"))
    sort = spec.get("sort")
    if not isinstance(sort, str):
        return
    start = scope.positions.content((*path, "sort"))
    offset = 0
    for part in sort.split(","):
        lead = len(part) - len(part.lstrip(" +-"))
        name = part.strip().lstrip("+-").strip()
        span = start.shifted(0, offset + lead)
        offset += len(part) + 1
        if not NAME.match(name):
            continue  # the schema check reports the form of 'sort'
        if name not in scope.shown:
            scope.unknown("list layout 'sort'", name, span, scope.shown)
            continue
        kind = spec_type(scope.specs.get(name))
        if kind in FIELD_TYPES and FIELD_TYPES[kind].dsl_type in _UNSORTABLE:
            message = f"list layout 'sort': field '{name}' of type '{kind}' cannot be sorted"
            scope.report.error("MD101", message, span)


def _check_sections(
    scope: _Scope, owner: str, spec: Mapping[str, Any], path: NodePath, known: list[str]
) -> None:
    for i, section in enumerate(_items(spec, "sections")):
        if not isinstance(section, dict):
            continue
        where = f"{owner} section {i + 1}"
        fields = section.get("fields")
        fields_path: NodePath = (*path, "sections", i, "fields")
        for j, name in enumerate(fields if isinstance(fields, list) else []):
            if not isinstance(name, str) or name in known:
                continue
            span = scope.positions.value((*fields_path, j))
            if name in LAYOUT_STANDARD_COLUMNS:
                message = (
                    f"{where}: standard column '{name}' cannot be edited in a form "
                    f"(only {', '.join(FORM_STANDARD_COLUMNS)} can)"
                )
                scope.report.error("MD101", message, span)
            else:
                scope.unknown(where, name, span, known)


def _check_related(
    scope: _Scope,
    item: Mapping[str, Any],
    path: NodePath,
    docs: Mapping[str, YamlDocument],
    broken: Collection[str],
) -> None:
    index = path[-1]
    where = f"detail layout related list {index + 1 if isinstance(index, int) else index}"
    target, via = item.get("entity"), item.get("field")
    if not isinstance(target, str) or not NAME.match(target) or target in broken:
        return
    if target not in docs:
        message = f"{where}: unknown entity '{target}'"
        scope.report.error(
            "MD102", message, scope.positions.value((*path, "entity")), did_you_mean(target, docs)
        )
        return
    specs = field_specs(docs[target].data)
    if isinstance(via, str) and NAME.match(via):
        spec = specs.get(via)
        if not _points_at(spec, scope.entity):
            pointing = [n for n, s in specs.items() if _points_at(s, scope.entity)]
            message = (
                f"{where}: '{target}.{via}' must be a reference from '{target}' to '{scope.entity}'"
            )
            scope.report.error(
                "MD103",
                message,
                scope.positions.value((*path, "field")),
                did_you_mean(via, pointing),
            )
    related = _Scope(target, specs, scope.positions, scope.report)
    related.names(f"{where} 'columns'", item.get("columns"), (*path, "columns"))


def _points_at(spec: Any, entity: str) -> bool:
    """Whether a raw field spec is a reference to ``entity``."""
    return spec_type(spec) == FieldType.REFERENCE and spec.get("to") == entity


def _check_kanban(scope: _Scope, spec: Mapping[str, Any], path: NodePath) -> None:
    if not spec:
        return
    field = spec.get("field")
    if isinstance(field, str) and NAME.match(field):
        span = scope.positions.value((*path, "field"))
        if field not in scope.specs:
            scope.unknown("kanban layout 'field'", field, span, list(scope.specs))
        else:
            kind = spec_type(scope.specs[field])
            if kind in FIELD_TYPES and kind not in KANBAN_FIELD_TYPES:
                message = (
                    f"kanban layout: field '{field}' of type '{kind}' has no columns; "
                    "use a pipeline or enum field"
                )
                scope.report.error("MD104", message, span)
    scope.names("kanban layout 'card'", spec.get("card"), (*path, "card"))
    total = spec.get("total")
    if isinstance(total, str) and NAME.match(total):
        span = scope.positions.value((*path, "total"))
        if total not in scope.specs:
            scope.unknown("kanban layout 'total'", total, span, list(scope.specs))
        else:
            kind = spec_type(scope.specs[total])
            if kind in FIELD_TYPES and kind not in NUMBER_FIELD_TYPES:
                message = (
                    f"kanban layout: total '{total}' of type '{kind}' cannot be added up; "
                    f"use a field of type {', '.join(NUMBER_FIELD_TYPES)}"
                )
                scope.report.error("MD105", message, span)


__all__ = ["check_layouts", "field_specs"]
