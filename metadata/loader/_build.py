"""Turn checked YAML data into frozen model objects.

The builder is lenient: a value of the wrong type is replaced by its default (its
error is reported by the schema check), so that a model can still be built for
cross-checks and expression checks while other parts of the package are wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from trellis.metadata.loader._colour_checks import option_colours
from trellis.metadata.loader._layouts import build_layouts
from trellis.metadata.loader._lines import build_lines
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model import (
    FIELD_TYPES,
    ActivityDef,
    AppModel,
    EntityDef,
    FieldDef,
    FieldType,
    IndexDef,
    RollupDef,
    SourceSpan,
    ValidationDef,
)
from trellis.metadata.model.local_text import LocalText, local_text

ON_DELETE = ("restrict", "set_null", "cascade")
ROLLUP_AGGREGATES = ("count", "sum", "min", "max", "avg")
CONDITION_KEYS = ("required_when", "visible_when", "readonly_when")
DEFAULT_AUTONUMBER_FORMAT = "{n}"
DEFAULT_TIMEZONE = "UTC"
_NO_LABELS: Mapping[str, str] = MappingProxyType({})


def humanize(name: str) -> str:
    """``annual_revenue`` -> ``Annual revenue``."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _plural_es(label: str) -> str:
    """A plain Spanish plural of the last word: casa -> casas, mes -> meses, luz -> luces."""
    if label.endswith("z"):
        return label[:-1] + "ces"
    if label[-1:].lower() in tuple("aeiouáéó"):
        return label + "s"
    return label + "es"


def plural_text(label: str) -> str:
    """The default plural label: English rules, and Spanish ones for an ``es`` value."""
    if not isinstance(label, LocalText):
        return pluralize(label)
    by_locale = dict(label.by_locale)
    plurals = {k: _plural_es(v) if k == "es" else pluralize(v) for k, v in by_locale.items()}
    return LocalText(plurals)


def pluralize(label: str) -> str:
    """A plain English plural, good enough for default labels."""
    if label.endswith("y") and label[-2:-1] not in tuple("aeiou"):
        return label[:-1] + "ies"
    if label.endswith(("s", "x", "z", "ch", "sh")):
        return label + "es"
    return label + "s"


def _text(spec: Mapping[str, Any], key: str) -> str | None:
    # Labels, descriptions and messages may be {locale: text} (a LocalText).
    return local_text(spec.get(key))


def _option_labels(spec: Mapping[str, Any]) -> Mapping[str, str]:
    value = spec.get("option_labels")
    if not isinstance(value, dict):
        return _NO_LABELS
    labels = {str(k): local_text(v) for k, v in value.items()}
    return MappingProxyType({k: v for k, v in labels.items() if v})


def _int(spec: Mapping[str, Any], key: str) -> int | None:
    value = spec.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(spec: Mapping[str, Any], key: str) -> Decimal | None:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Decimal(str(value))


def _names(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def expression_text(value: Any) -> str | None:
    """A ``default`` as rule-language text: plain numbers and booleans become literals."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def build_field(name: str, spec: Any, positions: PositionMap) -> FieldDef | None:
    """Build field ``name``; None when its spec is not a mapping or its type is unknown."""
    if not isinstance(spec, dict):
        return None
    type_name = spec.get("type")
    if not isinstance(type_name, str) or type_name not in FIELD_TYPES:
        return None
    path: NodePath = ("fields", name)
    on_delete = spec.get("on_delete")
    number_format = _text(spec, "format")
    kind = FieldType(type_name)
    if kind == FieldType.AUTONUMBER and number_format is None:
        number_format = DEFAULT_AUTONUMBER_FORMAT
    default = expression_text(spec.get("default"))
    formula = _text(spec, "formula") or None
    return FieldDef(
        name=name,
        type=kind,
        label=_text(spec, "label") or humanize(name),
        required=spec.get("required") is True,
        unique=spec.get("unique") is True,
        indexed=spec.get("indexed") is True,
        trigram=spec.get("indexed") == "trigram",
        max_length=_int(spec, "max_length"),
        min=_number(spec, "min"),
        max=_number(spec, "max"),
        scale=_int(spec, "scale"),
        options=_names(spec.get("options")),
        option_labels=_option_labels(spec),
        option_colours=MappingProxyType(option_colours(spec)),
        to=_text(spec, "to"),
        on_delete=on_delete if on_delete in ON_DELETE else "none",
        pii=spec.get("pii") is True,
        encrypted=spec.get("encrypted") is True,
        default=default,
        formula=formula,
        autonumber_format=number_format,
        renamed_from=_text(spec, "renamed_from"),
        description=_text(spec, "description"),
        source=positions.anchor(path),
        default_source=positions.content((*path, "default")) if default is not None else None,
        formula_source=positions.content((*path, "formula")) if formula is not None else None,
        currency_field=_text(spec, "currency_field"),
        rate_date=_text(spec, "rate_date"),
        pipeline=_text(spec, "pipeline"),
        targets=_names(spec.get("targets")),
        rollup=_rollup(spec.get("rollup"), path, positions),
        visible_to_all=spec.get("visible_to_all") is True,
        multiple=spec.get("multiple") is True,
        versioned=spec.get("versioned") is True,
        max_size_mb=_int(spec, "max_size_mb"),
        filter_of=_text(spec, "filter_of"),
        required_when=_text(spec, "required_when") or None,
        visible_when=_text(spec, "visible_when") or None,
        readonly_when=_text(spec, "readonly_when") or None,
        condition_sources=MappingProxyType(
            {
                key: positions.content((*path, key))
                for key in CONDITION_KEYS
                if isinstance(spec.get(key), str)
            }
        ),
    )


def _rollup(spec: Any, path: NodePath, positions: PositionMap) -> RollupDef | None:
    if not isinstance(spec, dict):
        return None
    source, agg = _text(spec, "from"), _text(spec, "agg")
    if not source or "." not in source or agg not in ROLLUP_AGGREGATES:
        return None
    entity, via = source.split(".", 1)
    where = _text(spec, "where") or None
    return RollupDef(
        entity=entity,
        via=via,
        agg=agg,
        field=_text(spec, "field"),
        where=where,
        where_source=positions.content((*path, "rollup", "where")) if where else None,
        source=positions.anchor((*path, "rollup")),
    )


def _validations(data: Mapping[str, Any], positions: PositionMap) -> tuple[ValidationDef, ...]:
    items = data.get("validations")
    out: list[ValidationDef] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        when, message = _text(item, "when"), _text(item, "message")
        if not when or message is None:
            continue
        path: NodePath = ("validations", index)
        out.append(
            ValidationDef(
                when=when,
                message=message,
                field=_text(item, "field"),
                source=positions.value(path),
                when_source=positions.content((*path, "when")),
            )
        )
    return tuple(out)


def _indexes(data: Mapping[str, Any], positions: PositionMap) -> tuple[IndexDef, ...]:
    items = data.get("indexes")
    out: list[IndexDef] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        source = positions.value(("indexes", index))
        if isinstance(item, list):
            fields, unique = _names(item), False
        elif isinstance(item, dict):
            fields, unique = _names(item.get("fields")), item.get("unique") is True
        else:
            continue
        if fields:
            out.append(IndexDef(fields, unique, source))
    return tuple(out)


def build_entity(name: str, data: Any, positions: PositionMap) -> EntityDef:
    """Build entity ``name`` from its file's data; unusable fields are left out."""
    data = data if isinstance(data, dict) else {}
    specs = data.get("fields")
    fields: dict[str, FieldDef] = {}
    for field_name, spec in (specs if isinstance(specs, dict) else {}).items():
        built = build_field(field_name, spec, positions)
        if built is not None:
            fields[field_name] = built
    label = _text(data, "label") or humanize(name)
    title = _text(data, "title")
    if title is None and "name" in fields:
        title = "name"
    source_path: NodePath = ("entity",) if "entity" in data else ()
    return EntityDef(
        name=name,
        label=label,
        plural_label=_text(data, "plural_label") or plural_text(label),
        fields=MappingProxyType(fields),
        title=title,
        search=_names(data.get("search")),
        validations=_validations(data, positions),
        indexes=_indexes(data, positions),
        description=_text(data, "description"),
        source=positions.anchor(source_path),
        layouts=build_layouts(data, positions),
        activity=_activity(data.get("activity_fields")),
        lines=build_lines(specs if isinstance(specs, dict) else {}, positions),
        renamed_from=_text(data, "renamed_from"),
    )


def _activity(spec: Any) -> ActivityDef | None:
    if not isinstance(spec, dict):
        return None
    return ActivityDef(_text(spec, "kind"), _text(spec, "done"), _text(spec, "date"))


def build_app(
    data: Any,
    *,
    fallback_name: str,
    source: SourceSpan,
    entities: Mapping[str, EntityDef],
    digest: str,
) -> AppModel:
    """Build the app model around already built ``entities``."""
    data = data if isinstance(data, dict) else {}
    name = _text(data, "name") or fallback_name
    requires = data.get("requires")
    pins = (
        {k: v for k, v in requires.items() if isinstance(v, str)}
        if isinstance(requires, dict)
        else {}
    )
    return AppModel(
        name=name,
        version=_text(data, "version") or "0",
        label=_text(data, "label") or humanize(name),
        entities=MappingProxyType(dict(entities)),
        description=_text(data, "description"),
        source=source,
        digest=digest,
        requires=MappingProxyType(pins),
        timezone=_text(data, "timezone") or DEFAULT_TIMEZONE,
        currency=_text(data, "currency"),
        locale=_text(data, "locale") or None,
        two_factor_required=data.get("two_factor") == "required",
    )
