"""What the layout designer reads and saves: an entity's ``layouts:`` in the tenant's draft.

A page shows the layouts the draft declares; a screen the entity leaves to the
generated default (form, detail, list) starts from the same default the screens
generate, written out on the first change. A change is checked (the field is the
entity's own, not already on the layout), the whole package validated with it (the
CLI's positioned errors) and saved at the draft revision the admin read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trellis.metadata.model.layouts import LAYOUT_STANDARD_COLUMNS
from trellis.metadata.model.local_text import local_text
from trellis.platform.designers.field_yaml import entity_fields, parse_entity
from trellis.platform.designers.layout_edit import (
    LayoutChange,
    LayoutEditError,
    apply_change,
    set_layouts,
)
from trellis.platform.designers.service import draft_state, entity_path, refuse_new_errors
from trellis.platform.drafts.errors import DraftFileNotFoundError
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.i18n.catalogue import N_
from trellis.platform.runtime import Runtime

#: Field types that make poor list columns (as the generated list leaves them out).
_WIDE = frozenset({"text", "json", "tags", "multi_enum", "rich_text"})
_MAX_COLUMNS = 6
#: The generated detail page's last section.
_SYSTEM = ("owner_id", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class EntityLayouts:
    """One entity's layouts as the draft has them, and the draft revision read."""

    name: str
    label: str
    revision: int
    changed: bool
    #: ``layouts:`` with the generated form, detail and list filled in.
    layouts: dict[str, Any]
    #: The entity's fields (then standard columns): name -> label.
    fields: dict[str, str]
    #: Screens the file declares (the others show the generated default).
    declared: tuple[str, ...]


def _computed(definition: dict[str, Any]) -> bool:
    return (
        "formula" in definition
        or "rollup" in definition
        or definition.get("type") in ("autonumber",)
    )


def _defaults(data: dict[str, Any], fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The generated form, detail and list layouts, as YAML data."""
    details = {"en": "Details", "es": "Detalles"}
    title = data.get("title") if isinstance(data.get("title"), str) else None
    if title is None:
        title = next((n for n, d in fields.items() if d.get("type") in ("string", "email")), None)
    columns = [title] if title else []
    columns += [n for n, d in fields.items() if n != title and d.get("type") not in _WIDE]
    editable = [n for n, d in fields.items() if not _computed(d)]
    found: dict[str, Any] = {
        "list": {"columns": columns[:_MAX_COLUMNS] or ["id"]},
        "detail": {
            "sections": [
                {"label": details, "fields": list(fields) or ["id"]},
                {"label": {"en": "System", "es": "Sistema"}, "fields": list(_SYSTEM)},
            ]
        },
    }
    if editable:
        found["form"] = {"sections": [{"label": details, "fields": editable}]}
    return found


def _declared(data: dict[str, Any]) -> dict[str, Any]:
    found = data.get("layouts")
    return found if isinstance(found, dict) else {}


def _with_defaults(text: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    data = parse_entity(text)
    declared = _declared(data)
    layouts: dict[str, Any] = dict(declared)
    for screen, spec in _defaults(data, entity_fields(text)).items():
        if not isinstance(layouts.get(screen), dict):
            layouts[screen] = spec
    return layouts, tuple(k for k, v in declared.items() if isinstance(v, dict))


def _ordered(layouts: dict[str, Any]) -> dict[str, Any]:
    order = ("list", "detail", "form", "kanban")
    return {
        **{k: layouts[k] for k in order if k in layouts},
        **{k: v for k, v in layouts.items() if k not in order},
    }


def entity_layouts(runtime: Runtime, tenant: str, entity: str) -> EntityLayouts:
    """Entity ``entity``'s layouts in the draft.

    Raises:
        DraftFileNotFoundError: the draft has no such entity.
    """
    state, draft = draft_state(runtime, tenant)
    path = entity_path(entity)
    text = draft_files(state, draft).get(path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no entity '{entity}'.")
    layouts, declared = _with_defaults(text)
    fields = {n: local_text(d.get("label")) or n for n, d in entity_fields(text).items()}
    fields.update({c: c for c in LAYOUT_STANDARD_COLUMNS if c not in fields})
    label = local_text(parse_entity(text).get("label")) or entity
    return EntityLayouts(
        entity,
        label,
        draft.revision,
        path in draft.files,
        _ordered(layouts),
        fields,
        declared,
    )


def _check_field(files: dict[str, str], entity: str, name: str) -> None:
    own = entity_fields(files[entity_path(entity)])
    if name in own or name in LAYOUT_STANDARD_COLUMNS:
        return
    for path, text in sorted(files.items()):
        other = path.removeprefix("entities/").removesuffix(".yaml")
        if path.startswith("entities/") and other != entity and name in entity_fields(text):
            raise LayoutEditError(
                N_(
                    "Field '%(field)s' belongs to entity '%(other)s', not to '%(entity)s': "
                    "a layout of '%(entity)s' can only show its own fields."
                ),
                field=name,
                other=other,
                entity=entity,
            )
    raise LayoutEditError(
        N_("Entity '%(entity)s' has no field '%(field)s'."), entity=entity, field=name
    )


def edit_layout(
    runtime: Runtime,
    tenant: str,
    entity: str,
    change: LayoutChange,
    *,
    expected: int,
    actor: str,
) -> int:
    """Make ``change`` to ``entity``'s layouts in the draft; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such entity in the draft.
        LayoutEditError: the change cannot be made (unknown field, another entity's
            field, a field already on the layout, a section without a name, …).
        InvalidDraftError: the changed package has errors it did not have (all placed).
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = entity_path(entity)
    text = files.get(path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no entity '{entity}'.")
    if not change.op.startswith(("section_", "related_")) and change.op != "edit_section":
        if not change.field.strip():
            raise LayoutEditError(N_("Choose a field."))
        _check_field(files, entity, change.field.strip())
    layouts, declared = _with_defaults(text)
    changed = apply_change(layouts, change)
    # Write out only the screens the file declares and the one changed.
    kept = {k: v for k, v in changed.items() if k in declared or k == change.screen}
    if change.op.startswith("related_"):
        kept["detail"] = changed["detail"]
    new_text = set_layouts(text, _ordered(kept))
    refuse_new_errors(runtime, files, {**files, path: new_text})
    return DraftStore(runtime.registry).save(state.info, path, new_text, expected, actor)


__all__ = ["EntityLayouts", "edit_layout", "entity_layouts"]
