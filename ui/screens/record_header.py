"""The record page's header: icon, highlights, owner avatar, status badge; inline-editable fields.

A field is edited inline when the user may update the record and the field: it is
declared, typed by users, neither hidden nor read-only for their role, not moved by a
workflow (transitions do that), and of a type one editor holds: an input, a select, a
searchable record picker (references), chips with a picker (many-to-many links),
a file field's files with an upload and remove buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trellis.metadata.model import EntityDef, FieldType
from trellis.platform.authz.call import Call
from trellis.ui.screens.icons import DEFAULT_ENTITY_ICON
from trellis.ui.screens.layouts import editable
from trellis.ui.screens.present import Cell, Presenter

#: Field types one inline input (text box, select or checkbox) edits.
INLINE_TYPES = frozenset(
    {
        FieldType.STRING,
        FieldType.TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.INTEGER,
        FieldType.DECIMAL,
        FieldType.MONEY,
        FieldType.PERCENT,
        FieldType.DATE,
        FieldType.DATETIME,
        FieldType.BOOLEAN,
        FieldType.ENUM,
        FieldType.PIPELINE,
        FieldType.TAGS,
        FieldType.MULTI_ENUM,
        FieldType.REFERENCE,  # a searchable picker
        FieldType.MANY_TO_MANY,  # chips and a searchable picker
        FieldType.FILE,  # its files, a remove button each, a file input (inline_file_routes)
    }
)
#: Inline types whose editor shows chosen records or options rather than typed text.
PICKED_TYPES = frozenset({FieldType.MULTI_ENUM, FieldType.REFERENCE, FieldType.MANY_TO_MANY})
MAX_INITIALS = 2


@dataclass(frozen=True, slots=True)
class Header:
    """What the header shows besides the title."""

    icon: str | None
    highlights: list[Cell]
    badge: Cell | None
    owner: str | None
    initials: str


def initials(name: str) -> str:
    """Up to two capital letters of a person's name or e-mail address (``Ana Ruiz`` → ``AR``)."""
    words = name.split("@", 1)[0].replace(".", " ").replace("_", " ").split()
    return "".join(w[0] for w in words[:MAX_INITIALS]).upper() or "?"


def workflow_fields(call: Call, entity: str) -> frozenset[str]:
    """Fields moved by the entity's workflows (changed by transitions, not typed)."""
    return frozenset(w.field for w in call.app.model.workflows_of(entity))


def inline_fields(call: Call, entity: EntityDef) -> frozenset[str]:
    """Names of the fields this caller may edit in place on a record of ``entity``."""
    if not call.access.can(entity.name, "update"):
        return frozenset()
    access = call.access.entity(entity.name)
    moved = workflow_fields(call, entity.name)
    return frozenset(
        n
        for n, f in entity.fields.items()
        # A file field is "computed" for clients (they upload, never write its value).
        if (editable(f) or f.type == FieldType.FILE)
        and f.type in INLINE_TYPES
        and n not in access.hidden
        and n not in access.read_only
        and n in access.columns
        and n not in moved
    )


def badge_field(call: Call, entity: EntityDef) -> str | None:
    """The field whose value is the record's status: a pipeline, a workflow's, a coloured enum."""
    visible = call.access.entity(entity.name).columns
    candidates = [n for n, f in entity.fields.items() if f.type == FieldType.PIPELINE]
    candidates += [w.field for w in call.app.model.workflows_of(entity.name)]
    candidates += [n for n, f in entity.fields.items() if f.option_colours]
    return next((n for n in candidates if n in visible and n in entity.fields), None)


def build_header(
    call: Call,
    entity: EntityDef,
    record: Mapping[str, Any],
    shown: Presenter,
    highlights: tuple[str, ...],
    icon: str | None,
) -> Header:
    """The header of ``record`` (cells of ``highlights`` the caller may read)."""
    access = call.access.entity(entity.name)
    names = [n for n in highlights if n in access.columns or n in access.restricted]
    status = badge_field(call, entity)
    shown.load_titles(entity, [record], names)
    badge = shown.cell(entity, record, status) if status and record.get(status) else None
    owner = None
    if "owner_id" in access.columns and isinstance(record.get("owner_id"), int):
        owner = shown.cell(entity, record, "owner_id").text
    return Header(
        icon=icon or DEFAULT_ENTITY_ICON,
        highlights=[shown.cell(entity, record, n) for n in names],
        badge=badge,
        owner=owner,
        initials=initials(owner) if owner else "",
    )


__all__ = [
    "INLINE_TYPES",
    "PICKED_TYPES",
    "Header",
    "badge_field",
    "build_header",
    "initials",
    "inline_fields",
]
