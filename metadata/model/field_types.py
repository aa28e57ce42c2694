"""Every field type in one place: its SQL column type, JSON Schema, DSL type and widget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import coerce as c
from trellis.metadata.model.defs import FieldDef
from trellis.metadata.model.dsl_types import DslType
from trellis.metadata.model.file_schema import FILE_SCHEMA, file_schema
from trellis.metadata.model.numeric_columns import bigint_column as _bigint
from trellis.metadata.model.numeric_columns import numeric_column as _numeric
from trellis.metadata.model.ranges import (
    INT64_MAX,
    INT64_MIN,
    WHOLE_TYPES,
    numeric_precision,
    storable_range,
    value_range,
)
from trellis.metadata.model.rich_text import MAX_RICH_TEXT_LENGTH
from trellis.metadata.model.type_names import FieldType

JsonSchema = dict[str, Any]

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ().\-]{2,39}$"
URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"


@dataclass(frozen=True, slots=True)
class FieldTypeSpec:
    """What one field type means to the database, the API, the DSL and the screens."""

    name: FieldType
    dsl_type: DslType
    sql_type: Callable[[FieldDef], sa.types.TypeEngine[Any]]
    json_schema: Callable[[FieldDef], JsonSchema]
    widget: str
    #: Fits a value (from the API or an expression) to the stored Python value of a
    #: field of this type; raises ``FieldValueError`` (a ``ValueError``) with the message.
    coerce: Callable[[Any, FieldDef], Any]
    #: JSON output renders values as strings (decimal-like types).
    decimal: bool = False
    #: The value is a list (stored as JSON).
    is_list: bool = False

    @property
    def whole(self) -> bool:
        """Values are whole numbers stored as BIGINT: integers, record and user ids."""
        return self.name in WHOLE_TYPES

    @property
    def numeric(self) -> bool:
        """A quantity: an integer or a decimal-like number (not an id)."""
        return self.decimal or self.name == FieldType.INTEGER


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _integer_schema(f: FieldDef) -> JsonSchema:
    low, high = value_range(f) or (Decimal(INT64_MIN), Decimal(INT64_MAX))
    return {"type": "integer", "minimum": _number(low), "maximum": _number(high)}


def _string(f: FieldDef) -> JsonSchema:
    return {"type": "string", "maxLength": f.max_length or 255}


def _decimal_schema(f: FieldDef) -> JsonSchema:
    """Numbers or numeric strings within the column's range and the field's own bounds.

    A column bound is written as an exclusive power of ten (exact in JSON, unlike
    999999999999999999.99 as a float); a tighter ``min``/``max`` of the field, and
    percent's 0-100, as inclusive bounds.
    """
    schema: JsonSchema = {"type": ["number", "string"], "pattern": DECIMAL_PATTERN}
    low, high = value_range(f) or (Decimal(0), Decimal(0))
    stored_low, stored_high = storable_range(f) or (low, high)
    precision, scale = numeric_precision(f) or (0, 0)
    column_limit = 10 ** (precision - scale)
    if f.type == FieldType.PERCENT or low > stored_low:
        schema["minimum"] = _number(low)
    else:
        schema["exclusiveMinimum"] = -column_limit
    if f.type == FieldType.PERCENT or high < stored_high:
        schema["maximum"] = _number(high)
    else:
        schema["exclusiveMaximum"] = column_limit
    return schema


_DEFAULT_COERCE: dict[DslType, Callable[[Any, FieldDef], Any]] = {
    DslType.TEXT: c.coerce_text,
    DslType.BOOLEAN: c.coerce_boolean,
    DslType.DATE: c.coerce_date,
    DslType.DATETIME: c.coerce_datetime,
}


def _spec(
    name: str,
    dsl: DslType,
    sql: Callable[[FieldDef], sa.types.TypeEngine[Any]],
    schema: Callable[[FieldDef], JsonSchema],
    widget: str,
    *,
    decimal: bool = False,
    is_list: bool = False,
    coerce_with: Callable[[Any, FieldDef], Any] | None = None,
) -> FieldTypeSpec:
    """A spec whose ``coerce`` follows from the type: decimal-like numbers are rounded to
    their column's scale, ids and integers fit BIGINT, the rest go by their DSL type."""
    kind = FieldType(name)
    coerce: Callable[[Any, FieldDef], Any]
    if coerce_with is not None:
        coerce = coerce_with
    elif decimal:
        coerce = c.to_decimal
    elif kind in WHOLE_TYPES:
        coerce = c.coerce_whole
    else:
        coerce = _DEFAULT_COERCE.get(dsl, c.coerce_as_is)
    return FieldTypeSpec(kind, dsl, sql, schema, widget, coerce, decimal, is_list)


#: Every field type's spec by its YAML name (plain text keys, so the names can be
#: written back to YAML); a :class:`FieldType` member finds its spec too.
FIELD_TYPES: dict[str, FieldTypeSpec] = {
    s.name.value: s
    for s in (
        _spec("string", DslType.TEXT, lambda f: sa.String(f.max_length or 255), _string, "text"),
        _spec("text", DslType.TEXT, lambda f: sa.Text(), lambda f: {"type": "string"}, "textarea"),
        _spec(
            "integer",
            DslType.NUMBER,
            lambda f: sa.BigInteger(),
            _integer_schema,
            "number",
        ),
        _spec(
            "decimal",
            DslType.NUMBER,
            _numeric,
            _decimal_schema,
            "number",
            decimal=True,
        ),
        _spec(
            "money",
            DslType.NUMBER,
            _numeric,
            _decimal_schema,
            "money",
            decimal=True,
        ),
        _spec(
            "percent",
            DslType.NUMBER,
            _numeric,
            _decimal_schema,
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
            lambda f: {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
            "reference",
        ),
        # Ids of target records; the link table ``_m2m_<entity>_<field>`` holds the
        # pairs (filters), the row a sorted copy of the ids (reads, history).
        FieldTypeSpec(
            FieldType.MANY_TO_MANY,
            DslType.LIST,
            lambda f: sa.JSON(),
            lambda f: {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
                "uniqueItems": True,
            },
            "multireference",
            c.coerce_id_list,
            is_list=True,
        ),
        # ``entity:id`` text (indexed); the API reads and writes {"entity", "id"}.
        FieldTypeSpec(
            FieldType.ANY_REFERENCE,
            DslType.TEXT,
            lambda f: sa.String(64),
            lambda f: {
                "type": "object",
                "properties": {
                    "entity": {"enum": list(f.targets)},
                    "id": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
                },
                "required": ["entity", "id"],
                "additionalProperties": False,
            },
            "anyreference",
            c.coerce_any_reference,
        ),
        _spec(
            "user",
            DslType.NUMBER,
            lambda f: _bigint(),
            lambda f: {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
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
        # Sanitised HTML (see ``rich_text``); searched and read by rules as plain text.
        _spec(
            "rich_text",
            DslType.TEXT,
            lambda f: sa.Text(),
            lambda f: {"type": "string", "maxLength": MAX_RICH_TEXT_LENGTH},
            "richtext",
            coerce_with=c.coerce_rich_text,
        ),
        # Metadata of the uploaded file(s); the bytes live in the file store.
        _spec("file", DslType.JSON, lambda f: sa.JSON(), file_schema, "file"),
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


__all__ = [
    "DECIMAL_PATTERN",
    "EMAIL_PATTERN",
    "FIELD_TYPES",
    "FILE_SCHEMA",
    "INT64_MAX",
    "INT64_MIN",
    "PHONE_PATTERN",
    "URL_PATTERN",
    "FieldType",
    "FieldTypeSpec",
    "JsonSchema",
    "field_type",
    "nullable_schema",
    "numeric_precision",
    "storable_range",
    "value_range",
]
