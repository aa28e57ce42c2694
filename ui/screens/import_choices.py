"""The import wizard's choices: who may import, the modes offered, the posted options,
each column's field and each reference's lookup (ui/screens/import_routes.py)."""

from __future__ import annotations

from typing import Any

from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.mapping import importable
from trellis.platform.imports.readers import ReadOptions, RowSource
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import ForbiddenError
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens import import_draft as drafts
from trellis.ui.screens.import_draft import Draft
from trellis.ui.screens.web import UiCall


def modes_of(ui: UiCall, entity: str) -> list[str]:
    """The modes the member may use: insert (create), update (update), upsert (both)."""
    access = ui.call.access
    create, update = access.can(entity, "create"), access.can(entity, "update")
    offered = (("insert", create), ("update", update), ("upsert", create and update))
    return [mode for mode, ok in offered if ok]


def importing(ui: UiCall, name: str) -> CompiledEntity:
    """The entity, when the member may import into it (403 otherwise)."""
    target = readable_entity(ui.call, name)
    if not ui.call.access.can(name, "import") or not modes_of(ui, name):
        label = ui.translator.label(target.entity.plural_label)
        raise ForbiddenError(
            ui.translator.gettext("Your role may not import %(label)s.", label=label)
        )
    return target


def all_of(fields: Any, name: str) -> list[Any]:
    """Every value of ``name`` in a posted form or a dict of lists."""
    if isinstance(fields, dict):
        return list(fields.get(name, []))
    return list(fields.getall(name, []))


def one_of(fields: Any, name: str, default: str = "") -> str:
    values = all_of(fields, name)
    return str(values[-1]).strip() if values else default


def _keys(fields: Any) -> list[str]:
    return [k.strip() for v in all_of(fields, "key") for k in str(v).split(",") if k.strip()]


def choose(ui: UiCall, draft: Draft, fields: Any) -> None:
    """Take mode, keys, encoding and sheet from a posted form (refused when not offered)."""
    mode = one_of(fields, "mode", "insert")
    if mode not in modes_of(ui, draft.entity):
        raise ImportRefusedError(
            ui.translator.gettext("Mode '%(mode)s' is not offered to you.", mode=mode)
        )
    draft.mode, draft.keys = mode, _keys(fields)
    draft.encoding = one_of(fields, "encoding", "utf-8") or "utf-8"
    draft.sheet = one_of(fields, "sheet") or None


def reused_map(runtime: Any, ui: UiCall, target: CompiledEntity, headers: tuple[str, ...]) -> Any:
    """The entity's saved map, kept to this file's columns and the member's fields."""
    fields = importable(target, ui.call.access.entity(target.name).hidden)
    saved = drafts.saved_map(runtime, ui.tenant, target.name)
    lookups = {n: v for n, v in saved.lookups.items() if n in fields}
    return {
        "columns": {
            h: f for h, f in saved.columns.items() if h in headers and (f is None or f in fields)
        },
        "lookups": lookups,
        "create_missing": [n for n in saved.create_missing if n in lookups],
        "formats": {n: v for n, v in saved.formats.items() if n in fields},
    }


def apply_columns(runtime: Any, ui: UiCall, draft: Draft, form: Any) -> None:
    """Take each column's field (``col-N``) and each reference's lookup from the form."""
    path = drafts.draft_source(runtime, ui.tenant, draft)
    try:
        source = RowSource(path, ReadOptions(encoding=draft.encoding, sheet=draft.sheet))
    except ImportRefusedError:
        return  # the mapping page shows why the file cannot be read
    headers = source.headers
    source.close()
    current = dict(draft.map or {})
    columns = dict(current.get("columns") or {})
    for index, header in enumerate(headers):
        name = f"col-{index}"
        if name in form:
            columns[header] = one_of(form, name) or None
    lookups = dict(current.get("lookups") or {})
    for key in list(form.keys()):
        if key.startswith("lookup-"):
            field = key.removeprefix("lookup-")
            value = one_of(form, key)
            if value:
                lookups[field] = value
            else:
                lookups.pop(field, None)
    current["columns"], current["lookups"] = columns, lookups
    current["create_missing"] = [n for n in current.get("create_missing") or [] if n in lookups]
    draft.map = current


def key_choices(ui: UiCall, target: CompiledEntity) -> list[tuple[str, str]]:
    hidden = ui.call.access.entity(target.name).hidden
    return [(n, ui.translator.label(f.label)) for n, f in importable(target, hidden).items()]


def lookup_choices(ui: UiCall, target: CompiledEntity) -> dict[str, list[tuple[str, str]]]:
    """For each reference field: the target's fields a cell may name (by name)."""
    hidden = ui.call.access.entity(target.name).hidden
    found: dict[str, list[tuple[str, str]]] = {}
    for name, f in importable(target, hidden).items():
        other = ui.call.app.entities.get(str(f.to)) if f.to else None
        if other is None or not ui.call.access.can(other.name, "read"):
            continue
        seen = ui.call.access.entity(other.name).hidden
        found[name] = [
            (n, ui.translator.label(g.label))
            for n, g in importable(other, seen).items()
            if g.to is None
        ]
    return found


__all__ = [
    "all_of",
    "apply_columns",
    "choose",
    "importing",
    "key_choices",
    "lookup_choices",
    "modes_of",
    "one_of",
    "reused_map",
]
