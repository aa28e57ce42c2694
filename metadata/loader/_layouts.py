"""Build an entity's ``layouts:`` section into frozen layout definitions.

Lenient like the entity builder: a part the schema check already reported is left
out, so the rest of the package can still be built and checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model import (
    DetailLayout,
    FormLayout,
    KanbanLayout,
    LayoutsDef,
    LayoutSection,
    ListLayout,
    RelatedList,
)
from trellis.metadata.model.local_text import local_text

LAYOUTS_KEY = "layouts"


def _text(data: Mapping[str, Any], key: str) -> str | None:
    # Labels, descriptions and messages may be {locale: text} (a LocalText).
    return local_text(data.get(key)) or None


def _names(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _mapping(data: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = data.get(key)
    return value if isinstance(value, dict) else None


def _sections(value: Any, path: NodePath, positions: PositionMap) -> tuple[LayoutSection, ...]:
    out: list[LayoutSection] = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        if not isinstance(item, dict):
            continue
        fields = _names(item.get("fields"))
        if fields:
            out.append(
                LayoutSection(
                    label=_text(item, "label"),
                    fields=fields,
                    tab=_text(item, "tab"),
                    source=positions.value((*path, index)),
                )
            )
    return tuple(out)


def _related(value: Any, path: NodePath, positions: PositionMap) -> tuple[RelatedList, ...]:
    out: list[RelatedList] = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        if not isinstance(item, dict):
            continue
        entity, via = _text(item, "entity"), _text(item, "field")
        if entity is None or via is None:
            continue
        out.append(
            RelatedList(
                entity=entity,
                field=via,
                label=_text(item, "label"),
                columns=_names(item.get("columns")),
                source=positions.value((*path, index)),
            )
        )
    return tuple(out)


def _list(spec: Mapping[str, Any], path: NodePath, positions: PositionMap) -> ListLayout:
    return ListLayout(
        columns=_names(spec.get("columns")),
        sort=_text(spec, "sort"),
        filters=_names(spec.get("filters")),
        source=positions.anchor(path),
    )


def _detail(spec: Mapping[str, Any], path: NodePath, positions: PositionMap) -> DetailLayout:
    return DetailLayout(
        sections=_sections(spec.get("sections"), (*path, "sections"), positions),
        related=_related(spec.get("related"), (*path, "related"), positions),
        highlights=_names(spec.get("highlights")),
        icon=_text(spec, "icon"),
        source=positions.anchor(path),
    )


def _form(spec: Mapping[str, Any], path: NodePath, positions: PositionMap) -> FormLayout:
    return FormLayout(
        sections=_sections(spec.get("sections"), (*path, "sections"), positions),
        source=positions.anchor(path),
    )


def _kanban(spec: Mapping[str, Any], path: NodePath, positions: PositionMap) -> KanbanLayout | None:
    field = _text(spec, "field")
    if field is None:
        return None
    return KanbanLayout(
        field=field,
        card=_names(spec.get("card")),
        total=_text(spec, "total"),
        source=positions.anchor(path),
    )


def build_layouts(data: Mapping[str, Any], positions: PositionMap) -> LayoutsDef | None:
    """The ``layouts:`` of an entity file's ``data``; None when it declares none."""
    spec = _mapping(data, LAYOUTS_KEY)
    if spec is None:
        return None
    base: NodePath = (LAYOUTS_KEY,)
    parts = {key: _mapping(spec, key) for key in ("list", "detail", "form", "kanban")}
    list_spec, detail_spec = parts["list"], parts["detail"]
    form_spec, kanban_spec = parts["form"], parts["kanban"]
    return LayoutsDef(
        list=_list(list_spec, (*base, "list"), positions) if list_spec is not None else None,
        detail=(
            _detail(detail_spec, (*base, "detail"), positions) if detail_spec is not None else None
        ),
        form=_form(form_spec, (*base, "form"), positions) if form_spec is not None else None,
        kanban=(
            _kanban(kanban_spec, (*base, "kanban"), positions) if kanban_spec is not None else None
        ),
        source=positions.anchor(base),
    )


__all__ = ["LAYOUTS_KEY", "build_layouts"]
