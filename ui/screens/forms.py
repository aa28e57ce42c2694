"""HTML form posts to API values, and filter-builder rows to rule-language expressions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from trellis.metadata.model import FIELD_TYPES, EntityDef, FieldDef, FieldType
from trellis.platform.i18n import N_

#: Operators of the filter builder and the rule-language text they produce.
OPERATORS: dict[str, str] = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "contains": "contains",
    "starts_with": "starts_with",
    "empty": "is empty",
    "not_empty": "is not empty",
}
#: What the filter builder shows for each operator.
OPERATOR_LABELS = MappingProxyType(
    {
        "eq": N_("equals"),
        "ne": N_("does not equal"),
        "lt": N_("less than"),
        "le": N_("at most"),
        "gt": N_("greater than"),
        "ge": N_("at least"),
        "contains": N_("contains"),
        "starts_with": N_("starts with"),
        "empty": N_("is empty"),
        "not_empty": N_("is not empty"),
    }
)
NUMERIC_TYPES = frozenset(k for k, spec in FIELD_TYPES.items() if spec.numeric)


def quote_text(value: str) -> str:
    """A rule-language string literal for ``value``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def literal(f: FieldDef | None, value: str) -> str:
    """The rule-language literal of a typed-in ``value`` for field ``f``."""
    kind = f.type if f is not None else FieldType.INTEGER
    if kind in NUMERIC_TYPES or kind in (FieldType.REFERENCE, FieldType.MANY_TO_MANY):
        try:
            float(value)
        except ValueError:
            return quote_text(value)  # the server reports the type mismatch with a position
        return value.strip()
    if kind == FieldType.BOOLEAN:
        return "true" if value.lower() in ("1", "true", "yes", "on") else "false"
    if kind == FieldType.DATE:
        return f"date({quote_text(value)})"
    if kind == FieldType.DATETIME:
        return f"datetime({quote_text(value)})"
    return quote_text(value)


def filter_expression(entity: EntityDef, rows: Sequence[tuple[str, str, str]]) -> str | None:
    """AND of the builder's (field, operator, value) rows; rows missing a part are skipped."""
    parts = []
    for field, op, value in rows:
        if not field or op not in OPERATORS:
            continue
        text = OPERATORS[op]
        if op in ("empty", "not_empty"):
            parts.append(f"{field} {text}")
        elif value != "":
            parts.append(f"{field} {text} {literal(entity.fields.get(field), value)}")
    return " and ".join(parts) if parts else None


def search_expression(entity: EntityDef, text: str) -> str | None:
    """A quick-search filter: any of the entity's search (or title) fields contains ``text``."""
    text = text.strip()
    if not text:
        return None
    names = [n for n in entity.search if "." not in n and n in entity.fields]
    if not names and entity.title:
        names = [entity.title]
    if not names:
        names = [
            n for n, f in entity.fields.items() if f.type in (FieldType.STRING, FieldType.EMAIL)
        ][:3]
    if not names:
        return None
    return " or ".join(f"{n} contains {quote_text(text)}" for n in names)


def local_input(value: Any, zone: str) -> str:
    """A stored UTC datetime (JSON text) as a ``datetime-local`` input value in ``zone``."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value  # a refused value typed by the user is shown back as typed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _utc_text(local: str, zone: str) -> str:
    """A ``datetime-local`` value typed in ``zone`` as UTC JSON text (bad text kept)."""
    try:
        moment = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        return local
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def form_value(f: FieldDef, raw: Sequence[str], zone: str = "UTC") -> Any:
    """One field's posted strings as the API value (bad input is passed on to validation)."""
    first = raw[-1] if raw else ""
    if f.type == FieldType.BOOLEAN:
        return any(v in ("on", "true", "1") for v in raw)
    if f.type == FieldType.MULTI_ENUM:
        return [v for v in raw if v]
    if f.type == FieldType.TAGS:
        return [t.strip() for t in first.split(",") if t.strip()]
    if f.type == FieldType.MANY_TO_MANY:
        # The chips' checkboxes, after an empty marker so that none checked clears it.
        return [int(v) if v.isdigit() else v for v in dict.fromkeys(raw) if v]
    if first.strip() == "":
        return None
    if f.type in (FieldType.INTEGER, FieldType.REFERENCE):
        try:
            return int(first)
        except ValueError:
            return first
    if f.type == FieldType.JSON:
        try:
            return json.loads(first)
        except (ValueError, RecursionError):  # validation explains what is wrong
            return first
    if f.type == FieldType.DATETIME and len(first) == 16:  # <input type=datetime-local>: no seconds
        return _utc_text(first, zone)
    return first


def _any_reference(entity: Sequence[str], ident: Sequence[str]) -> Any:
    """The entity picker and the lookup's id as ``{"entity", "id"}`` (None when no id)."""
    chosen, number = (entity[-1] if entity else ""), (ident[-1] if ident else "").strip()
    if not number:
        return None
    return {"entity": chosen, "id": int(number) if number.isdigit() else number}


def form_values(
    entity: EntityDef,
    posted: Mapping[str, Sequence[str]],
    names: Sequence[str],
    zone: str = "UTC",
) -> dict[str, Any]:
    """API values for the ``names`` fields shown in a form, from the posted multi-dict.

    Date-time inputs are read in ``zone`` (the member's time zone) and sent as UTC.
    """
    values: dict[str, Any] = {}
    for name in names:
        f = entity.fields.get(name)
        if f is None:
            if name == "owner_id" and posted.get(name):
                values[name] = form_value(
                    FieldDef(name="owner_id", type=FieldType.INTEGER, label="Owner"), posted[name]
                )
            continue
        if f.type == FieldType.ANY_REFERENCE and name in posted:
            values[name] = _any_reference(posted.get(f"{name}__entity", []), posted[name])
        elif f.type == FieldType.BOOLEAN or name in posted:
            values[name] = form_value(f, posted.get(name, []), zone)
    return values


__all__ = [
    "OPERATORS",
    "filter_expression",
    "form_value",
    "form_values",
    "local_input",
    "quote_text",
    "search_expression",
]
