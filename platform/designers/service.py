"""What the entity and field designers read and save: the tenant's draft, field by field.

Pages read the published model (compiled once per version) and parse only the entity
files the draft changed, so a page costs a YAML parse of one file at most. A save
validates the whole package with the changed file (the same positioned errors as
``trellis metadata validate``) and stores it in the draft at the revision the admin
read (the draft's optimistic lock).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel
from trellis.metadata.model.local_text import local_text
from trellis.platform.designers.field_yaml import (
    entity_fields,
    field_key_offset,
    parse_entity,
    set_field,
    show_in_layouts,
)
from trellis.platform.drafts.errors import DraftError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.drafts.plan import load_checked, package_folder
from trellis.platform.drafts.refs_expr import Rename, line_starts
from trellis.platform.drafts.rename import file_edits
from trellis.platform.drafts.service import Published, draft_files, published
from trellis.platform.drafts.store import Draft, DraftStore
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import TenantInfo

ENTITY_FOLDER = "entities"
#: What an entity name looks like (anything else names no file).
ENTITY_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class FieldExistsError(DraftError):
    """A new field takes a name the entity already has."""


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One entity of the draft, as the designer lists it."""

    name: str
    label: str
    path: str
    fields: int
    #: The draft changed (or added) its file.
    changed: bool


@dataclass(frozen=True, slots=True)
class EntityFile:
    """One entity file of the draft: its text, fields and the draft revision read."""

    name: str
    path: str
    text: str
    revision: int
    label: str
    fields: dict[str, dict[str, Any]]
    changed: bool


@dataclass(frozen=True, slots=True)
class Usage:
    """A place that names a field: the file, the line and that line's text."""

    path: str
    line: int
    text: str


def entity_path(name: str) -> str:
    """The package path of entity ``name``'s file.

    Raises:
        DraftFileNotFoundError: ``name`` is not an entity name (no file can have it).
    """
    if not ENTITY_NAME.fullmatch(name):
        raise DraftFileNotFoundError(f"'{name}' is not an entity name.")
    return f"{ENTITY_FOLDER}/{name}.yaml"


def draft_state(runtime: Runtime, tenant: str) -> tuple[Published, Draft]:
    state = published(runtime, tenant)
    return state, DraftStore(runtime.registry).load(state.info.id)


def _entity_name(path: str) -> str | None:
    pure = PurePosixPath(path)
    if len(pure.parts) == 2 and pure.parts[0] == ENTITY_FOLDER and pure.suffix == ".yaml":
        return pure.stem
    return None


def tenant_draft(runtime: Runtime, tenant: str) -> tuple[TenantInfo, Draft]:
    """The tenant (read fresh) and its draft, without the published files."""
    info = runtime.tenant(tenant, fresh=True)
    return info, DraftStore(runtime.registry).load(info.id)


def _published_text(runtime: Runtime, info: TenantInfo, path: str) -> str | None:
    """One file of the published version, read alone (not the whole package)."""
    if not info.current_version:
        return None
    v = runtime.registry.versions
    query = sa.select(v.c.files[path].as_string()).where(
        v.c.tenant_id == info.id, v.c.version_no == info.current_version
    )
    with runtime.registry.connect() as conn:
        found = conn.execute(query).scalar()
    return str(found) if found is not None else None


def draft_text(runtime: Runtime, tenant: str, path: str) -> tuple[str | None, Draft]:
    """The draft's text of ``path`` (None when deleted or absent) and the draft.

    Reads the one file (from the draft, else alone from the published version), never
    the whole package.
    """
    info, draft = tenant_draft(runtime, tenant)
    change = draft.files.get(path)
    if change is not None:
        return change.text, draft
    return _published_text(runtime, info, path), draft


def entity_rows(runtime: Runtime, tenant: str) -> tuple[list[EntityRow], int]:
    """Every entity of the draft (published ones unless the draft changed them) and its revision."""
    info, draft = tenant_draft(runtime, tenant)
    rows: dict[str, EntityRow] = {}
    if info.current_version:
        for name, entity in runtime.app(tenant).model.entities.items():
            rows[name] = EntityRow(name, entity.label, entity_path(name), len(entity.fields), False)
    for path, change in draft.files.items():
        found = _entity_name(path)
        if found is None:
            continue
        name = found
        if change.text is None:
            rows.pop(name, None)
            continue
        data = parse_entity(change.text)
        label = local_text(data.get("label")) or name
        rows[name] = EntityRow(name, label, path, len(entity_fields(change.text)), True)
    return sorted(rows.values(), key=lambda r: r.name), draft.revision


def entity_file(runtime: Runtime, tenant: str, name: str) -> EntityFile:
    """Entity ``name``'s file as the draft has it.

    Raises:
        DraftFileNotFoundError: the draft has no such entity.
    """
    info, draft = tenant_draft(runtime, tenant)
    path = entity_path(name)
    change = draft.files.get(path)
    text = change.text if change is not None else _published_text(runtime, info, path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no entity '{name}'.")
    data = parse_entity(text)
    label = local_text(data.get("label")) or name
    return EntityFile(
        name, path, text, draft.revision, label, entity_fields(text), change is not None
    )


def refuse_new_errors(runtime: Runtime, before: dict[str, str], after: dict[str, str]) -> None:
    """Raise the errors of ``after`` that ``before`` did not have already.

    Raises:
        InvalidDraftError: the change adds errors (all of ``after``'s, placed).
    """
    with package_folder(after) as root:
        try:
            load_checked(runtime, root)
        except InvalidDraftError as exc:
            found = exc
        else:
            return
    with package_folder(before) as root:
        try:
            load_checked(runtime, root)
        except InvalidDraftError as old:
            known = {e["text"] for e in old.errors}
            if all(e["text"] in known for e in found.errors):
                return
    raise found


def save_field(
    runtime: Runtime,
    tenant: str,
    entity: str,
    name: str,
    definition: dict[str, Any],
    *,
    expected: int,
    actor: str,
    new: bool,
    show: bool = False,
) -> int:
    """Define field ``name`` of ``entity`` in the draft; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such entity in the draft.
        FieldExistsError: ``new`` and the entity already has the name.
        InvalidDraftError: the changed package has errors it did not have (all placed).
        EntityFileError: the entity file cannot be edited field by field.
        DraftConflictError: the draft is no longer at revision ``expected``.

    With ``show``, a new field also joins the entity's declared detail layout and,
    unless it is computed, its declared form layout.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = entity_path(entity)
    text = files.get(path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no entity '{entity}'.")
    if new and name in entity_fields(text):
        raise FieldExistsError(f"Entity '{entity}' already has a field '{name}'.")
    changed = set_field(text, name, definition)
    if new and show:
        computed = "formula" in definition or "rollup" in definition
        changed = show_in_layouts(changed, name, ("detail",) if computed else ("form", "detail"))
    refuse_new_errors(runtime, files, {**files, path: changed})
    return DraftStore(runtime.registry).save(state.info, path, changed, expected, actor)


def compiled_draft_model(runtime: Runtime, state: Published, draft: Draft) -> AppModel | None:
    if not draft.files:
        return state.model
    with package_folder(draft_files(state, draft)) as root:
        try:
            return load_checked(runtime, root)
        except InvalidDraftError:
            return state.model


def field_usage(runtime: Runtime, tenant: str, entity: str, name: str) -> list[Usage]:
    """Every place of the draft that names field ``name`` of ``entity``, but its own key.

    Found the way a rename finds what to rewrite (platform/drafts/rename.py): formulas,
    rules, layouts, roles, dashboards, forms, e-mail templates.
    """
    state, draft = draft_state(runtime, tenant)
    model = compiled_draft_model(runtime, state, draft)
    if model is None or entity not in model.entities or name not in model.entities[entity].fields:
        return []
    files = draft_files(state, draft)
    rename = Rename("field", entity, name, f"{name}__renamed")
    found: list[Usage] = []
    own = entity_path(entity)
    for path, edits in sorted(file_edits(model, files, rename).items()):
        text = files[path]
        starts = line_starts(text)
        lines = text.splitlines()
        key = field_key_offset(text, name) if path == own else None
        seen: set[int] = set()
        for start, end, _new in sorted(edits):
            if path == own and start in (end, key):
                continue  # the field's own key, or where renamed_from would go
            line = bisect_right(starts, start)
            if line not in seen:
                seen.add(line)
                found.append(Usage(path, line, lines[line - 1].strip()))
    return found


__all__ = [
    "EntityFile",
    "EntityRow",
    "FieldExistsError",
    "Usage",
    "compiled_draft_model",
    "draft_state",
    "draft_text",
    "entity_file",
    "entity_path",
    "entity_rows",
    "field_usage",
    "refuse_new_errors",
    "save_field",
    "tenant_draft",
]
