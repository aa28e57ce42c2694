"""Turn API records into display cells: formatted values and links for references."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

from trellis.metadata.model import STANDARD_COLUMNS, EntityDef, FieldDef, FieldType
from trellis.platform.authz.call import Call
from trellis.platform.i18n import N_, Translator
from trellis.platform.services.records import RecordsService
from trellis.ui.screens.layouts import title_field

T = TypeVar("T")
USER_COLUMNS = frozenset({"owner_id", "created_by", "updated_by"})
MAX_TITLES = 500
#: What a restricted rollup shows instead of its value.
RESTRICTED_TEXT = N_("Restricted")
#: Field types whose stored values are shown by their label.
_LABELLED = frozenset({FieldType.ENUM, FieldType.MULTI_ENUM, FieldType.PIPELINE})


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


_STANDARD_LABELS = MappingProxyType(
    {
        "id": N_("Id"),
        "owner_id": N_("Owner"),
        "created_at": N_("Created"),
        "updated_at": N_("Updated"),
        "created_by": N_("Created by"),
        "updated_by": N_("Updated by"),
        "version": N_("Version"),
        "deleted_at": N_("Deleted"),
    }
)


def label_of(entity: EntityDef, name: str) -> str:
    """A column's label (standard columns get readable names)."""
    f = entity.fields.get(name)
    if f is not None:
        return f.label
    return _STANDARD_LABELS.get(name, name.replace("_", " ").capitalize())


def localized_label(entity: EntityDef, name: str, t: Translator) -> str:
    """A column's label in the reader's language."""
    f = entity.fields.get(name)
    return t.label(f.label) if f is not None else t.gettext(label_of(entity, name))


def shown_columns(call: Call, entity: str, names: Iterable[str]) -> list[str]:
    """``names`` a screen shows for ``entity``: readable ones, and restricted rollups."""
    access = call.access.entity(entity)
    return [n for n in names if n in access.columns or n in access.restricted]


def _text(f: FieldDef | None, value: Any, name: str, t: Translator, currency: Any = None) -> str:
    if value is None or value == "" or value == []:
        return ""
    kind = f.type if f is not None else (FieldType.DATETIME if name.endswith("_at") else "")
    if kind == FieldType.BOOLEAN:
        return t.gettext("Yes") if value else t.gettext("No")
    if kind == FieldType.MONEY:
        return t.money(Decimal(str(value)), currency if isinstance(currency, str) else None)
    if kind == FieldType.PERCENT:
        return t.percent(Decimal(str(value)))
    if kind in (FieldType.DECIMAL, FieldType.INTEGER) and not isinstance(value, bool):
        return t.number(Decimal(str(value)))
    if kind == FieldType.DATE and isinstance(value, str):
        return t.date(_parse(dt.date.fromisoformat, value)) or value
    if kind == FieldType.DATETIME and isinstance(value, str):
        parsed = _parse(dt.datetime.fromisoformat, value.replace("Z", "+00:00"))
        return t.datetime(parsed, "short") if parsed else value.replace("T", " ")[:16]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _parse(parse: Callable[[str], T], value: str) -> T | None:
    try:
        return parse(value)
    except ValueError:
        return None


class Presenter:
    """Formats records of one call, resolving reference and user titles in batches."""

    def __init__(
        self,
        records: RecordsService,
        call: Call,
        users: Mapping[int, str],
        translator: Translator | None = None,
    ) -> None:
        self.records = records
        self.call = call
        self.users = users
        #: The reader's language: labels of values, dates, numbers and money.
        self.t = translator or Translator()
        self._titles: dict[tuple[str, int], str] = {}
        self._columns: dict[tuple[str, str], _Column] = {}
        self._labels: dict[tuple[str, str, Any], str] = {}

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
            label = localized_label(entity, name, self.t)
            found = _Column(entity.fields.get(name), label, restricted, titled)
            self._columns[key] = found
        return found

    def cell(self, entity: EntityDef, record: Mapping[str, Any], name: str) -> Cell:
        """The display cell of column ``name`` of ``record``."""
        value = record.get(name)
        f, label, restricted, titled = self._column(entity, name)
        tenant = self.call.tenant
        if restricted:
            return Cell(name, label, self.t.gettext(RESTRICTED_TEXT), restricted=True)
        if f is not None and f.type == FieldType.REFERENCE and isinstance(value, int) and f.to:
            text = self._titles.get((f.to, value), f"#{value}")
            return Cell(name, label, text, f"/t/{tenant}/e/{f.to}/{value}", value)
        if name in USER_COLUMNS and isinstance(value, int):
            return Cell(name, label, self.users.get(value, f"user {value}"), None, value)
        text = self._value_text(entity, f, record, value, name)
        if titled:
            href = f"/t/{tenant}/e/{entity.name}/{record.get('id')}"
            return Cell(name, label, text or f"#{record.get('id')}", href, value)
        return Cell(name, label, text, None, value)

    def _value_label(self, entity: EntityDef, f: FieldDef, value: Any) -> str:
        """An option's or stage's label, looked up once per page."""
        key = (entity.name, f.name, value)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = self.t.value_label(self.call.app.model, f, value)
        return found

    def _value_text(
        self,
        entity: EntityDef,
        f: FieldDef | None,
        record: Mapping[str, Any],
        value: Any,
        name: str,
    ) -> str:
        """``value`` as the reader expects it: option labels, local dates, numbers, money."""
        if f is not None and f.type in _LABELLED and value not in (None, ""):
            if isinstance(value, list):
                return ", ".join(self._value_label(entity, f, v) for v in value)
            return self._value_label(entity, f, value)
        currency = record.get(f.currency_field) if f is not None and f.currency_field else None
        return _text(f, value, name, self.t, currency)

    def row(
        self, entity: EntityDef, record: Mapping[str, Any], columns: Sequence[str]
    ) -> list[Cell]:
        """The cells of ``columns`` for ``record``."""
        return [self.cell(entity, record, name) for name in columns]


__all__ = [
    "RESTRICTED_TEXT",
    "Cell",
    "Presenter",
    "label_of",
    "localized_label",
    "shown_columns",
]
