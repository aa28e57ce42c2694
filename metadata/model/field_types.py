"""Every field type in one place: its SQL column type, JSON Schema, DSL type and widget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.defs import FieldDef
from trellis.metadata.model.dsl_types import DslType

JsonSchema = dict[str, Any]

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ().\-]{2,39}$"
URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"


@dataclass(frozen=True, slots=True)
class FieldTypeSpec:
    """What one field type means to the database, the API, the DSL and the screens."""

    name: str
    dsl_type: DslType
    sql_type: Callable[[FieldDef], sa.types.TypeEngine[Any]]
    json_schema: Callable[[FieldDef], JsonSchema]
    widget: str
    #: JSON output renders values as strings (decimal-like types).
    decimal: bool = False
    #: The value is a list (stored as JSON).
    is_list: bool = False


def _bounds(f: FieldDef, schema: JsonSchema) -> JsonSchema:
    if f.min is not None:
        schema["minimum"] = int(f.min) if f.min == f.min.to_integral_value() else float(f.min)
    if f.max is not None:
        schema["maximum"] = int(f.max) if f.max == f.max.to_integral_value() else float(f.max)
    return schema


def _string(f: FieldDef) -> JsonSchema:
    return {"type": "string", "maxLength": f.max_length or 255}


def _decimal_schema(f: FieldDef, lo: int | None = None, hi: int | None = None) -> JsonSchema:
    schema: JsonSchema = {"type": ["number", "string"], "pattern": DECIMAL_PATTERN}
    if lo is not None:
        schema["minimum"] = lo
    if hi is not None:
        schema["maximum"] = hi
    return _bounds(f, schema)


def _bigint() -> sa.types.TypeEngine[Any]:
    # SQLite only auto-increments INTEGER PRIMARY KEY; elsewhere BIGINT.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _spec(
    name: str,
    dsl: DslType,
    sql: Callable[[FieldDef], sa.types.TypeEngine[Any]],
    schema: Callable[[FieldDef], JsonSchema],
    widget: str,
    *,
    decimal: bool = False,
    is_list: bool = False,
) -> FieldTypeSpec:
    return FieldTypeSpec(name, dsl, sql, schema, widget, decimal, is_list)


FIELD_TYPES: dict[str, FieldTypeSpec] = {
    s.name: s
    for s in (
        _spec("string", DslType.TEXT, lambda f: sa.String(f.max_length or 255), _string, "text"),
        _spec("text", DslType.TEXT, lambda f: sa.Text(), lambda f: {"type": "string"}, "textarea"),
        _spec(
            "integer",
            DslType.NUMBER,
            lambda f: sa.BigInteger(),
            lambda f: _bounds(f, {"type": "integer"}),
            "number",
        ),
        _spec(
            "decimal",
            DslType.NUMBER,
            lambda f: sa.Numeric(24, f.scale if f.scale is not None else 6),
            _decimal_schema,
            "number",
            decimal=True,
        ),
        _spec(
            "money",
            DslType.NUMBER,
            lambda f: sa.Numeric(20, 2),
            _decimal_schema,
            "money",
            decimal=True,
        ),
        _spec(
            "percent",
            DslType.NUMBER,
            lambda f: sa.Numeric(9, 4),
            lambda f: _decimal_schema(f, 0, 100),
            "percent",
            decimal=True,
        ),
        _spec(
            "boolean",
            DslType.BOOLEAN,
            lambda f: sa.Boolean(),
            lambda f: {"type": "boolean"},
            "checkbox",
        ),
        _spec(
            "date",
            DslType.DATE,
            lambda f: sa.Date(),
            lambda f: {"type": "string", "format": "date"},
            "date",
        ),
        _spec(
            "datetime",
            DslType.DATETIME,
            lambda f: sa.DateTime(timezone=True),
            lambda f: {"type": "string", "format": "date-time"},
            "datetime",
        ),
        _spec(
            "email",
            DslType.TEXT,
            lambda f: sa.String(254),
            lambda f: {
                "type": "string",
                "maxLength": 254,
                "pattern": EMAIL_PATTERN,
                "format": "email",
            },
            "email",
        ),
        _spec(
            "phone",
            DslType.TEXT,
            lambda f: sa.String(40),
            lambda f: {"type": "string", "pattern": PHONE_PATTERN},
            "tel",
        ),
        _spec(
            "url",
            DslType.TEXT,
            lambda f: sa.String(2048),
            lambda f: {
                "type": "string",
                "maxLength": 2048,
                "format": "uri",
                "pattern": URL_PATTERN,
            },
            "url",
        ),
        _spec(
            "enum",
            DslType.TEXT,
            lambda f: sa.String(64),
            lambda f: {"type": "string", "enum": list(f.options)},
            "select",
        ),
        _spec(
            "multi_enum",
            DslType.LIST,
            lambda f: sa.JSON(),
            lambda f: {"type": "array", "items": {"enum": list(f.options)}, "uniqueItems": True},
            "multiselect",
            is_list=True,
        ),
        _spec(
            "tags",
            DslType.LIST,
            lambda f: sa.JSON(),
            lambda f: {
                "type": "array",
                "items": {"type": "string", "maxLength": 64},
                "uniqueItems": True,
            },
            "tags",
            is_list=True,
        ),
        _spec(
            "reference",
            DslType.REFERENCE,
            lambda f: _bigint(),
            lambda f: {"type": "integer", "minimum": 1},
            "reference",
        ),
        _spec(
            "user",
            DslType.NUMBER,
            lambda f: _bigint(),
            lambda f: {"type": "integer", "minimum": 1},
            "user",
        ),
        # A stage name; the loader copies the bound pipeline's stage names into ``options``.
        _spec(
            "pipeline",
            DslType.TEXT,
            lambda f: sa.String(64),
            lambda f: {"type": "string", "enum": list(f.options)},
            "stage",
        ),
        _spec("json", DslType.JSON, lambda f: sa.JSON(), lambda f: {}, "json"),
        _spec(
            "autonumber",
            DslType.TEXT,
            lambda f: sa.String(64),
            lambda f: {"type": "string", "readOnly": True},
            "readonly",
        ),
    )
}


def field_type(name: str) -> FieldTypeSpec:
    """Return the spec of field type ``name``; raises ``KeyError`` if unknown."""
    return FIELD_TYPES[name]


def nullable_schema(f: FieldDef) -> JsonSchema:
    """The field's JSON Schema, allowing ``null`` unless the field is required."""
    schema = dict(FIELD_TYPES[f.type].json_schema(f))
    if f.description:
        schema["description"] = f.description
    schema["title"] = f.label
    if f.required:
        return schema
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = [*types, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema
