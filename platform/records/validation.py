"""Input checking for record writes: JSON Schema (fast path first) plus friendly messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.model import (
    FIELD_TYPES,
    STANDARD_COLUMNS,
    WRITABLE_STANDARD_COLUMNS,
    AppModel,
    EntityDef,
    FieldDef,
    FieldType,
)
from trellis.metadata.model.field_types import (
    INT64_MAX,
    INT64_MIN,
    nullable_schema,
    value_range,
)
from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.filter_fields import FilterFields
from trellis.platform.records.values import range_message, to_stored

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

Errors = dict[str, list[str]]
REQUIRED_MESSAGE = Translatable("This field is required.")
NUL_MESSAGE = Translatable("Text must not contain NUL characters.")
#: Deepest nesting of lists and objects in a field value (a JSON field's).
MAX_VALUE_DEPTH = 32
DEPTH_MESSAGE = Translatable(
    "Must not nest lists and objects more than %(depth)s levels deep.", depth=MAX_VALUE_DEPTH
)

_FORMAT_MESSAGES = {
    FieldType.EMAIL: Translatable("Enter a valid email address."),
    FieldType.URL: Translatable("Enter a valid URL starting with http:// or https://."),
    FieldType.PHONE: Translatable("Enter a valid phone number (digits, spaces, + ( ) - .)."),
    FieldType.DATE: Translatable("Enter a date as YYYY-MM-DD."),
    FieldType.DATETIME: Translatable(
        "Enter a date and time in ISO 8601, e.g. 2026-01-31T10:00:00Z."
    ),
    FieldType.DECIMAL: Translatable("Must be a number."),
    FieldType.MONEY: Translatable("Must be a number."),
    FieldType.PERCENT: Translatable("Must be a number."),
}
#: Text types checked by a pattern: a wrong JSON type gets the generic message.
_PATTERN_TYPES = (FieldType.EMAIL, FieldType.URL, FieldType.PHONE)
_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


def _input_schema(f: FieldDef) -> dict[str, Any]:
    schema = nullable_schema(replace(f, required=False))
    if FIELD_TYPES[f.type].decimal:
        # Numeric strings escape these keywords: the range is checked after conversion.
        for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            schema.pop(keyword, None)
    if FIELD_TYPES[f.type].whole:
        schema.setdefault("minimum", INT64_MIN)
        schema.setdefault("maximum", INT64_MAX)
    schema.pop("title", None)
    schema.pop("description", None)
    return schema


def value_problem(value: Any) -> str | None:
    """What no field can store: NUL in any string (or object key), or deep nesting."""
    if isinstance(value, str):  # the common case, without the walk
        return NUL_MESSAGE if "\x00" in value else None
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return NUL_MESSAGE
        elif isinstance(item, dict | list):
            if depth >= MAX_VALUE_DEPTH:
                return DEPTH_MESSAGE
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _message(f: FieldDef, error: Any) -> str:
    keyword = error.validator
    if keyword in ("pattern", "format"):
        return _FORMAT_MESSAGES.get(f.type, Translatable("The value has the wrong format."))
    if keyword == "type":
        if f.type in _FORMAT_MESSAGES and f.type not in _PATTERN_TYPES:
            return _FORMAT_MESSAGES[f.type]
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, str) else next(w for w in wanted if w != "null")
        return f"Must be {_TYPE_NAMES.get(wanted, wanted)}."
    if keyword == "enum":
        options = ", ".join(str(o) for o in error.validator_value if o is not None)
        return Translatable(
            "'%(value)s' is not an option; choose one of: %(options)s.",
            value=error.instance,
            options=options,
        )
    if keyword in ("minimum", "maximum") and f.type == FieldType.INTEGER:
        low, high = value_range(f) or (None, None)
        own = f.min == low if keyword == "minimum" else f.max == high
        if not own:
            return range_message(f)
    if keyword == "minimum":
        return Translatable("Must be at least %(min)s.", min=error.validator_value)
    if keyword == "maximum":
        return Translatable("Must be at most %(max)s.", max=error.validator_value)
    if keyword == "maxLength":
        return Translatable(
            "Must be at most %(count)s characters long.", count=error.validator_value
        )
    if keyword == "uniqueItems":
        return Translatable("Values must not repeat.")
    return str(error.message)


class RecordValidator:
    """Checks the fields a client sends for one entity and converts them for storage."""

    def __init__(self, entity: EntityDef, model: AppModel | None = None) -> None:
        self.entity = entity
        #: ``filter_of`` fields, checked against ``model`` (none without a model).
        self.filters = FilterFields(entity, model)
        self.writable = {name: f for name, f in entity.fields.items() if not f.computed}
        properties = {name: _input_schema(f) for name, f in self.writable.items()}
        properties["owner_id"] = {"type": ["integer", "null"], "minimum": 1, "maximum": INT64_MAX}
        self.schema: dict[str, Any] = {"type": "object", "properties": properties}
        self._owner = FieldDef("owner_id", FieldType.USER, "Owner")

    @cached_property
    def _fast(self) -> Any:
        """The compiled validator every write meets, built (and its native library
        loaded) on the first write: a process that only reads never pays for it."""
        import jsonschema_rs

        return jsonschema_rs.Draft202012Validator(self.schema, validate_formats=True)

    @cached_property
    def _slow(self) -> Draft202012Validator:
        """The validator that explains a refusal; built (and jsonschema loaded) on the
        first invalid input: valid writes only meet the fast one."""
        from jsonschema import Draft202012Validator

        return Draft202012Validator(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def _key_errors(self, data: Mapping[str, Any]) -> Errors:
        errors: Errors = {}
        for key in data:
            if key in self.writable or key in WRITABLE_STANDARD_COLUMNS:
                continue
            if key in STANDARD_COLUMNS:
                message = f"'{key}' is set by the platform and cannot be written."
            elif key in self.entity.fields and self.entity.fields[key].type == FieldType.FILE:
                message = f"'{key}' is a file field: upload its files to _files/{key}."
            elif key in self.entity.fields:
                message = f"'{key}' is computed and cannot be written."
            else:
                message = f"Unknown field '{key}'."
                hint = did_you_mean(key, [*self.writable, *WRITABLE_STANDARD_COLUMNS])
                if hint:
                    message = f"Unknown field '{key}' (did you mean '{hint}'?)."
            errors.setdefault(key, []).append(message)
        return errors

    def check(self, data: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
        """Validate ``data`` and return (stored values, errors by field).

        Every problem of every field is reported at once; values are only returned
        for fields without errors.
        """
        errors = self._key_errors(data)
        for key, raw in data.items():
            # PostgreSQL cannot store NUL in text; refused on every backend alike.
            problem = None if key in errors else value_problem(raw)
            if problem is not None:
                errors[key] = [problem]
        known = {k: v for k, v in data.items() if k not in errors}
        if not self._fast.is_valid(known):
            for error in self._slow.iter_errors(known):
                name = str(error.absolute_path[0]) if error.absolute_path else "__all__"
                f = self.writable.get(name, self._owner)
                message = _message(f, error)
                if message not in errors.get(name, []):
                    errors.setdefault(name, []).append(message)
        values: dict[str, Any] = {}
        for key, raw in known.items():
            if key in errors:
                continue
            f = self.writable.get(key, self._owner)
            try:
                value = to_stored(raw, f)
            except ValueError as exc:
                errors.setdefault(key, []).append(str(exc))
                continue
            range_error = self._range_error(f, value)
            if range_error:
                errors.setdefault(key, []).append(range_error)
                continue
            problems = self.filters.problems(key, value)
            if problems:
                errors.setdefault(key, []).extend(problems)
                continue
            values[key] = value
        return values, errors

    def body_errors(self, data: Mapping[str, Any], *, create: bool) -> Errors:
        """Problems of a write body itself, as the API's JSON Schema describes it.

        Unknown or unwritable keys, wrong types, formats or ranges, a required field
        sent empty and, on a create, a required field without a default left out.
        (Dry runs answer 422 for these, like saves; what the save pipeline refuses
        is explained instead.)
        """
        _values, errors = self.check(data)
        for name, f in self.writable.items():
            if not f.required or name in errors:
                continue
            value = data.get(name)
            missing = name not in data and create and f.default is None
            blank = name in data and (
                value is None or value == [] or (isinstance(value, str) and not value.strip())
            )
            if missing or blank:
                errors[name] = [REQUIRED_MESSAGE]
        return errors

    @staticmethod
    def _range_error(f: FieldDef, value: Any) -> str | None:
        """The field's own ``min``/``max`` (the column's range is checked on conversion)."""
        if value is None or not FIELD_TYPES[f.type].decimal:
            return None
        if f.min is not None and value < f.min:
            return Translatable("Must be at least %(min)s.", min=f.min)
        if f.max is not None and value > f.max:
            return Translatable("Must be at most %(max)s.", max=f.max)
        return None


__all__ = [
    "DEPTH_MESSAGE",
    "MAX_VALUE_DEPTH",
    "NUL_MESSAGE",
    "REQUIRED_MESSAGE",
    "Errors",
    "RecordValidator",
    "value_problem",
]
