"""Turn API records into display cells: formatted values and links for references."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from markupsafe import Markup

from trellis.metadata.model import STANDARD_COLUMNS, EntityDef, FieldDef, FieldType
from trellis.metadata.model.rich_text import plain_text
from trellis.platform.authz.call import Call
from trellis.platform.i18n import N_, Translator
from trellis.platform.money import converted_currency
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.services.records import RecordsService
from trellis.ui.screens.badges import badge_colour
from trellis.ui.screens.layouts import title_field

T = TypeVar("T")
USER_COLUMNS = frozenset({"owner_id", "created_by", "updated_by"})
MAX_TITLES = 500
#: Field types whose values are ids of records of the entity in ``to``.
_LINKING = frozenset({FieldType.REFERENCE, FieldType.MANY_TO_MANY})
#: Field types shown by one record's title: a form's lookup box starts with it.
TITLED_TYPES = frozenset({FieldType.REFERENCE, FieldType.ANY_REFERENCE})
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
    #: A ``many_to_many`` value: one (title, link) chip per linked record.
    chips: tuple[tuple[str, str], ...] = ()
    #: Sanitised HTML of a rich text field (stored sanitised, so safe to show as is).
    html: Markup | None = None
    #: The badge colour of an enum option, workflow state or pipeline stage, if declared.
    colour: str | None = None


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


def zoned(t: Translator, value: dt.datetime) -> str:
    """A date and time in the reader's zone, with the zone's abbreviation (``CET``, ``UTC``)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return f"{t.datetime(aware, 'short')} {aware.astimezone(ZoneInfo(t.zone)).strftime('%Z')}"


def _any_target(value: Any) -> tuple[str, int] | None:
    """(entity, id) of an ``any_reference`` value as the API gives it, or None."""
    if not isinstance(value, Mapping):
        return None
    entity, ident = value.get("entity"), value.get("id")
    if isinstance(entity, str) and isinstance(ident, int) and not isinstance(ident, bool):
        return entity, ident
    return None


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
        return zoned(t, parsed) if parsed else value.replace("T", " ")[:16]
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
        if f is not None and f.type == FieldType.ANY_REFERENCE:
            target = _any_target(value)
            if target is not None:
                text = self._titles.get(target, f"#{target[1]}")
                return Cell(name, label, text, f"/t/{tenant}/e/{target[0]}/{target[1]}", value)
        if f is not None and f.type == FieldType.MANY_TO_MANY and f.to:
            chips = self.chips(f, value)
            return Cell(name, label, ", ".join(t for t, _ in chips), None, value, chips=chips)
        if f is not None and f.type == FieldType.FILE and value:
            base = f"/t/{tenant}/e/{entity.name}/{record.get('id')}/_files/{name}"
            files = value if isinstance(value, list) else [value]
            chips = tuple(
                (str(v.get("name")), f"{base}/{v.get('id')}") for v in files if isinstance(v, dict)
            )
            return Cell(name, label, ", ".join(t for t, _ in chips), None, value, chips=chips)
        if name in USER_COLUMNS and isinstance(value, int):
            return Cell(name, label, self.users.get(value, f"user {value}"), None, value)
        if f is not None and f.rollup is not None and value is not None:
            code = converted_currency(self.call.app.model, entity, name)
            if code is not None:
                return Cell(name, label, _text(f, value, name, self.t, code), None, value)
        if f is not None and f.type == FieldType.RICH_TEXT and isinstance(value, str):
            # Stored through ``sanitise`` on every save path: markup is shown as saved.
            text = _text(f, value, name, self.t)
            return Cell(name, label, text, None, value, html=Markup(value))
        text = self._value_text(entity, f, record, value, name)
        if titled:
            href = f"/t/{tenant}/e/{entity.name}/{record.get('id')}"
            return Cell(name, label, text or f"#{record.get('id')}", href, value)
        return Cell(
            name, label, text, None, value, colour=badge_colour(self.call.app.model, f, value)
        )

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
    "localized_label",
    "shown_columns",
]
