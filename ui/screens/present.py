"""Turn API records into display cells: formatted values and links for references."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from markupsafe import Markup

from trellis.metadata.model import STANDARD_COLUMNS, EntityDef, FieldDef, FieldType
from trellis.metadata.model.rich_text import plain_text
from trellis.platform.authz.call import Call
from trellis.platform.money import converted_currency, currency_symbol
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.services.records import RecordsService
from trellis.ui.screens.layouts import title_field

USER_COLUMNS = frozenset({"owner_id", "created_by", "updated_by"})
MAX_TITLES = 500
#: Field types whose values are ids of records of the entity in ``to``.
_LINKING = frozenset({FieldType.REFERENCE, FieldType.MANY_TO_MANY})
#: Field types shown by one record's title: a form's lookup box starts with it.
TITLED_TYPES = frozenset({FieldType.REFERENCE, FieldType.ANY_REFERENCE})
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
    #: A ``many_to_many`` value: one (title, link) chip per linked record.
    chips: tuple[tuple[str, str], ...] = ()
    #: Sanitised HTML of a rich text field (stored sanitised, so safe to show as is).
    html: Markup | None = None


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


def _any_target(value: Any) -> tuple[str, int] | None:
    """(entity, id) of an ``any_reference`` value as the API gives it, or None."""
    if not isinstance(value, Mapping):
        return None
    entity, ident = value.get("entity"), value.get("id")
    if isinstance(entity, str) and isinstance(ident, int) and not isinstance(ident, bool):
        return entity, ident
    return None


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
    if kind == FieldType.RICH_TEXT and isinstance(value, str):
        return plain_text(value)
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
            if f is not None and f.type == FieldType.ANY_REFERENCE:
                for record in records:
                    pair = _any_target(record.get(name))
                    if pair is not None and pair not in self._titles:
                        wanted.setdefault(pair[0], set()).add(pair[1])
                continue
            if f is None or f.type not in _LINKING or f.to is None:
                continue
            for record in records:
                value = record.get(name)
                for ident in value if isinstance(value, list) else (value,):
                    if isinstance(ident, int) and (f.to, ident) not in self._titles:
                        wanted.setdefault(f.to, set()).add(ident)
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
        if f is not None and f.type == FieldType.ANY_REFERENCE:
            target = _any_target(value)
            if target is not None:
                text = self._titles.get(target, f"#{target[1]}")
                return Cell(name, label, text, f"/t/{tenant}/e/{target[0]}/{target[1]}", value)
        if f is not None and f.type == FieldType.MANY_TO_MANY and f.to:
            chips = self.chips(f, value)
            return Cell(name, label, ", ".join(t for t, _ in chips), None, value, chips=chips)
        if name in USER_COLUMNS and isinstance(value, int):
            return Cell(name, label, self.users.get(value, f"user {value}"), None, value)
        if f is not None and f.rollup is not None and value is not None:
            code = converted_currency(self.call.app.model, entity, name)
            if code is not None:
                return Cell(name, label, currency_symbol(code) + _text(f, value, name), None, value)
        if f is not None and f.type == FieldType.RICH_TEXT and isinstance(value, str):
            # Stored through ``sanitise`` on every save path: markup is shown as saved.
            return Cell(name, label, _text(f, value, name), None, value, html=Markup(value))
        if titled:
            href = f"/t/{tenant}/e/{entity.name}/{record.get('id')}"
            return Cell(name, label, _text(f, value, name) or f"#{record.get('id')}", href, value)
        return Cell(name, label, _text(f, value, name), None, value)

    def chips(self, f: FieldDef, value: Any) -> tuple[tuple[str, str], ...]:
        """(title, link) of each record a ``many_to_many`` value links to."""
        if not isinstance(value, list) or f.to is None:
            return ()
        base = f"/t/{self.call.tenant}/e/{f.to}"
        return tuple(
            (self._titles.get((f.to, v), f"#{v}"), f"{base}/{v}")
            for v in value
            if isinstance(v, int)
        )

    def row(
        self, entity: EntityDef, record: Mapping[str, Any], columns: Sequence[str]
    ) -> list[Cell]:
        """The cells of ``columns`` for ``record``."""
        return [self.cell(entity, record, name) for name in columns]


def link_chips(
    shown: Presenter, entity: CompiledEntity, record: Mapping[str, Any]
) -> dict[str, tuple[tuple[int, str], ...]]:
    """(id, title) of each record a form's ``many_to_many`` fields link to."""
    names = [n for n in entity.links if isinstance(record.get(n), list)]
    shown.load_titles(entity.entity, [record], names)
    out: dict[str, tuple[tuple[int, str], ...]] = {}
    for name in names:
        ids = [v for v in record[name] if isinstance(v, int)]
        titles = shown.chips(entity.entity.fields[name], ids)
        out[name] = tuple((i, title) for i, (title, _) in zip(ids, titles, strict=True))
    return out


__all__ = [
    "RESTRICTED_TEXT",
    "TITLED_TYPES",
    "Cell",
    "Presenter",
    "label_of",
    "link_chips",
    "shown_columns",
]
