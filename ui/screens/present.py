"""Turn API records into display cells: formatted values and links for references."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from trellis.metadata.model import STANDARD_COLUMNS, EntityDef, FieldDef, FieldType
from trellis.platform.authz.call import Call
from trellis.platform.services.records import RecordsService
from trellis.ui.screens.layouts import title_field

USER_COLUMNS = frozenset({"owner_id", "created_by", "updated_by"})
MAX_TITLES = 500
#: What a restricted rollup shows instead of its value.
RESTRICTED_TEXT = "Restricted"


@dataclass(frozen=True, slots=True)
class Cell:
    """One shown value: text, an optional link, and the raw value."""

    name: str
    label: str
    text: str
    href: str | None = None
    raw: Any = None
    #: A rollup the viewer's record scope does not wholly reach: shown without a value.
    restricted: bool = False


class _Column(NamedTuple):
    """A column's field, label, whether it is a restricted rollup, and links its record."""

    field: FieldDef | None
    label: str
    restricted: bool
    titled: bool


def label_of(entity: EntityDef, name: str) -> str:
    """A column's label (standard columns get readable names)."""
    f = entity.fields.get(name)
    if f is not None:
        return f.label
    return {
        "id": "Id",
        "owner_id": "Owner",
        "created_at": "Created",
        "updated_at": "Updated",
        "created_by": "Created by",
        "updated_by": "Updated by",
        "version": "Version",
    }.get(name, name.replace("_", " ").capitalize())


def shown_columns(call: Call, entity: str, names: Iterable[str]) -> list[str]:
    """``names`` a screen shows for ``entity``: readable ones, and restricted rollups."""
    access = call.access.entity(entity)
    return [n for n in names if n in access.columns or n in access.restricted]


def _text(f: FieldDef | None, value: Any, name: str) -> str:
    if value is None or value == "" or value == []:
        return ""
    kind = f.type if f is not None else (FieldType.DATETIME if name.endswith("_at") else "")
    if kind == FieldType.BOOLEAN:
        return "Yes" if value else "No"
    if kind == FieldType.MONEY:
        return f"{float(value):,.2f}"
    if kind == FieldType.PERCENT:
        return f"{float(value):g} %"
    if kind == FieldType.DATETIME and isinstance(value, str):
        return value.replace("T", " ")[:16]
    if kind == FieldType.FILE:  # file metadata: the names of the current files
        files = value if isinstance(value, list) else [value]
        return ", ".join(str(v.get("name")) for v in files if isinstance(v, dict))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


class Presenter:
    """Formats records of one call, resolving reference and user titles in batches."""

    def __init__(self, records: RecordsService, call: Call, users: Mapping[int, str]) -> None:
        self.records = records
        self.call = call
        self.users = users
        self._titles: dict[tuple[str, int], str] = {}
        self._columns: dict[tuple[str, str], _Column] = {}

    def load_titles(
        self, entity: EntityDef, records: Iterable[Mapping[str, Any]], columns: Sequence[str]
    ) -> None:
        """Fetch the titles of every record referenced by ``columns`` (scoped to the caller)."""
        wanted: dict[str, set[int]] = {}
        for name in columns:
            f = entity.fields.get(name)
            if f is None or f.type != FieldType.REFERENCE or f.to is None:
                continue
            for record in records:
                value = record.get(name)
                if isinstance(value, int) and (f.to, value) not in self._titles:
                    wanted.setdefault(f.to, set()).add(value)
        for target, ids in wanted.items():
            self._fetch(target, sorted(ids)[:MAX_TITLES])

    def _fetch(self, target: str, ids: list[int]) -> None:
        compiled = self.call.app.entities.get(target)
        if compiled is None:
            return
        title = title_field(compiled.entity)
        for ident, text in self.records.titles(self.call, compiled, ids, title).items():
            self._titles[(target, ident)] = text

    def _column(self, entity: EntityDef, name: str) -> _Column:
        """What a cell of column ``name`` needs that does not depend on the record."""
        key = (entity.name, name)
        found = self._columns.get(key)
        if found is None:
            restricted = name in self.call.access.entity(entity.name).restricted
            titled = name == title_field(entity) or (name == "id" and name in STANDARD_COLUMNS)
            found = _Column(entity.fields.get(name), label_of(entity, name), restricted, titled)
            self._columns[key] = found
        return found

    def cell(self, entity: EntityDef, record: Mapping[str, Any], name: str) -> Cell:
        """The display cell of column ``name`` of ``record``."""
        value = record.get(name)
        f, label, restricted, titled = self._column(entity, name)
        tenant = self.call.tenant
        if restricted:
            return Cell(name, label, RESTRICTED_TEXT, restricted=True)
        if f is not None and f.type == FieldType.REFERENCE and isinstance(value, int) and f.to:
            text = self._titles.get((f.to, value), f"#{value}")
            return Cell(name, label, text, f"/t/{tenant}/e/{f.to}/{value}", value)
        if name in USER_COLUMNS and isinstance(value, int):
            return Cell(name, label, self.users.get(value, f"user {value}"), None, value)
        if titled:
            href = f"/t/{tenant}/e/{entity.name}/{record.get('id')}"
            return Cell(name, label, _text(f, value, name) or f"#{record.get('id')}", href, value)
        return Cell(name, label, _text(f, value, name), None, value)

    def row(
        self, entity: EntityDef, record: Mapping[str, Any], columns: Sequence[str]
    ) -> list[Cell]:
        """The cells of ``columns`` for ``record``."""
        return [self.cell(entity, record, name) for name in columns]


__all__ = ["RESTRICTED_TEXT", "Cell", "Presenter", "label_of", "shown_columns"]
