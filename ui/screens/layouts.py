"""Screen layouts of an entity: declared in metadata, or generated when absent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from trellis.metadata.model import AppModel, EntityDef, FieldDef, FieldType
from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.runtime import PartKey

#: Field types that make poor list columns.
WIDE_TYPES = frozenset(
    {FieldType.TEXT, FieldType.JSON, FieldType.TAGS, FieldType.MULTI_ENUM, FieldType.RICH_TEXT}
)
#: Field types offered as list filters by a generated layout.
_FILTER_TYPES = (FieldType.ENUM, FieldType.PIPELINE, FieldType.BOOLEAN)
SYSTEM_FIELDS = ("owner_id", "created_at", "updated_at")
MAX_DEFAULT_COLUMNS = 6
MAX_DEFAULT_HIGHLIGHTS = 4


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of fields (optionally on a tab)."""

    label: str
    fields: tuple[str, ...]
    tab: str | None = None


@dataclass(frozen=True, slots=True)
class Related:
    """Records of another entity pointing at this one through ``field``."""

    entity: str
    field: str
    label: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Screens:
    """The resolved layouts of one entity."""

    list_columns: tuple[str, ...]
    list_sort: str | None
    list_filters: tuple[str, ...]
    detail: tuple[Section, ...]
    related: tuple[Related, ...]
    form: tuple[Section, ...]
    kanban_field: str | None
    kanban_card: tuple[str, ...]
    kanban_total: str | None
    #: Key fields of the record page's header, and its icon.
    highlights: tuple[str, ...] = ()
    icon: str | None = None


def title_field(entity: EntityDef) -> str | None:
    """The field that names a record (declared ``title`` or the first text field)."""
    if entity.title:
        return entity.title
    for f in entity.fields.values():
        if f.type in (FieldType.STRING, FieldType.EMAIL):
            return f.name
    return None


def editable(f: FieldDef) -> bool:
    """Whether users type this field (computed and numbered fields are not)."""
    return not f.computed and f.type != FieldType.AUTONUMBER


def _default_columns(entity: EntityDef) -> tuple[str, ...]:
    title = title_field(entity)
    columns = [title] if title else []
    for f in entity.fields.values():
        if len(columns) >= MAX_DEFAULT_COLUMNS:
            break
        if f.name != title and f.type not in WIDE_TYPES:
            columns.append(f.name)
    return tuple(columns) or ("id",)


def _default_related(model: AppModel, entity: EntityDef) -> tuple[Related, ...]:
    found = []
    for other in model.entities.values():
        for f in other.fields.values():
            if f.type == FieldType.REFERENCE and f.to == entity.name:
                columns = tuple(c for c in _default_columns(other) if c != f.name)[:4]
                label = (
                    other.plural_label
                    if f.name == entity.name
                    else (f"{other.plural_label} ({f.label})")
                )
                found.append(Related(other.name, f.name, label, columns))
    return tuple(found)


def _pipeline_field(entity: EntityDef) -> str | None:
    for f in entity.fields.values():
        if f.type == FieldType.PIPELINE:
            return f.name
    return None


def _sections(raw: Any) -> tuple[Section, ...]:
    return tuple(
        Section(s.label or "", tuple(s.fields), getattr(s, "tab", None)) for s in raw.sections
    )


def resolve(model: AppModel, entity: EntityDef) -> Screens:
    """The layouts of ``entity``: what metadata declares, defaults for the rest."""
    declared = getattr(entity, "layouts", None)
    columns = _default_columns(entity)
    detail: tuple[Section, ...] = (
        Section("Details", tuple(entity.fields)),
        Section("System", SYSTEM_FIELDS),
    )
    form: tuple[Section, ...] = (
        Section("Details", tuple(n for n, f in entity.fields.items() if editable(f))),
    )
    screens = Screens(
        list_columns=columns,
        list_sort=None,
        list_filters=tuple(n for n, f in entity.fields.items() if f.type in _FILTER_TYPES),
        detail=detail,
        related=_default_related(model, entity),
        form=form,
        kanban_field=_pipeline_field(entity),
        kanban_card=columns[1:4],
        kanban_total=next(
            (n for n, f in entity.fields.items() if f.type == FieldType.MONEY and not f.computed),
            None,
        ),
    )
    if declared is not None:
        screens = _apply_declared(model, screens, declared)
    if not screens.highlights:  # generated: the list's columns after the title
        title = title_field(entity)
        shown = [c for c in screens.list_columns if c != title]
        screens = replace(screens, highlights=tuple(shown[:MAX_DEFAULT_HIGHLIGHTS]))
    return screens


def _apply_declared(model: AppModel, screens: Screens, declared: Any) -> Screens:
    """``screens`` with what the entity's ``layouts:`` section declares."""
    changes: dict[str, Any] = {}
    if declared.list is not None:
        changes["list_columns"] = tuple(declared.list.columns) or screens.list_columns
        changes["list_sort"] = declared.list.sort
        changes["list_filters"] = tuple(declared.list.filters) or screens.list_filters
    if declared.detail is not None:
        changes["detail"] = _sections(declared.detail) or screens.detail
        changes["highlights"] = tuple(declared.detail.highlights)
        changes["icon"] = declared.detail.icon
        if declared.detail.related:
            changes["related"] = tuple(
                Related(
                    r.entity,
                    r.field,
                    r.label or model.entities[r.entity].plural_label,
                    tuple(r.columns) or _default_columns(model.entities[r.entity])[:4],
                )
                for r in declared.detail.related
            )
    if declared.form is not None:
        changes["form"] = _sections(declared.form) or screens.form
    if declared.kanban is not None:
        changes["kanban_field"] = declared.kanban.field
        changes["kanban_card"] = tuple(declared.kanban.card)
        changes["kanban_total"] = declared.kanban.total
    return replace(screens, **changes)


_LAYOUTS: PartKey[Mapping[str, Screens]] = PartKey("ui.layouts")


def screens_of(call: Call, entity: CompiledEntity) -> Screens:
    """The resolved layouts of ``entity``, computed once per app version."""
    by_entity = call.rt.part(
        _LAYOUTS,
        lambda rt: MappingProxyType(
            {name: resolve(rt.app.model, e.entity) for name, e in rt.app.entities.items()}
        ),
    )
    return by_entity[entity.name]


__all__ = [
    "Related",
    "Screens",
    "Section",
    "editable",
    "resolve",
    "screens_of",
    "title_field",
]
