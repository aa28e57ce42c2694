"""Cross-checks of one field's spec that need no other field or entity."""

from __future__ import annotations

import re
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._lines import check_lines_field
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model import FIELD_TYPES, LINES_TYPE, STANDARD_COLUMNS, FieldType

_NUMERIC = frozenset(k for k, spec in FIELD_TYPES.items() if spec.numeric)
_NOT_INDEXABLE = frozenset(
    {
        FieldType.JSON,
        FieldType.TAGS,
        FieldType.MULTI_ENUM,
        FieldType.MANY_TO_MANY,
        FieldType.RICH_TEXT,
        FieldType.FILE,
    }
)
#: Types that point at records of the entity named in ``to``.
TARGETED = frozenset({FieldType.REFERENCE, FieldType.MANY_TO_MANY, FieldType.RICH_TEXT})
#: Types whose values are plain text: ``indexed: trigram`` applies to them.
TRIGRAM_TYPES = frozenset(
    {FieldType.STRING, FieldType.TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}
)
#: Keys that only make sense for some types: key -> types it applies to.
APPLIES_TO: dict[str, frozenset[str]] = {
    "max_length": frozenset({FieldType.STRING}),
    "min": _NUMERIC,
    "max": _NUMERIC,
    "scale": frozenset({FieldType.DECIMAL}),
    "options": frozenset({FieldType.ENUM, FieldType.MULTI_ENUM}),
    "option_labels": frozenset({FieldType.ENUM, FieldType.MULTI_ENUM}),
    "on_delete": frozenset({FieldType.REFERENCE}),
    "format": frozenset({FieldType.AUTONUMBER}),
    "currency_field": frozenset({FieldType.MONEY}),
    "rate_date": frozenset({FieldType.MONEY}),
    "pipeline": frozenset({FieldType.PIPELINE}),
    "targets": frozenset({FieldType.ANY_REFERENCE}),
    "multiple": frozenset({FieldType.FILE}),
    "versioned": frozenset({FieldType.FILE}),
    "max_size_mb": frozenset({FieldType.FILE}),
    "encrypted": frozenset({FieldType.STRING, FieldType.TEXT, FieldType.EMAIL, FieldType.PHONE}),
    "filter_of": frozenset({FieldType.STRING, FieldType.TEXT}),
}
#: Keywords of the rule language: a field with such a name could not be referenced.
RESERVED_WORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "in",
        "is",
        "empty",
        "null",
        "true",
        "false",
        "contains",
        "starts_with",
        "ends_with",
    }
)
#: Types a rollup can fill.
ROLLUP_TYPES = _NUMERIC | {FieldType.DATE, FieldType.DATETIME}
#: Types whose value the platform cannot compute from a formula.
NOT_COMPUTABLE = frozenset(
    {
        FieldType.AUTONUMBER,
        FieldType.REFERENCE,
        FieldType.USER,
        FieldType.MULTI_ENUM,
        FieldType.TAGS,
        FieldType.JSON,
        FieldType.MANY_TO_MANY,
        FieldType.ANY_REFERENCE,
        FieldType.FILE,
    }
)
#: Autonumber format: literal text around exactly one ``{n}`` or ``{n:0Wd}`` (W 1-20).
AUTONUMBER_FORMAT = re.compile(r"^[^{}]*\{n(?::0(?:[1-9]|1[0-9]|20)d)?\}[^{}]*$")
_TEXT_LITERAL = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"\s*$')


def check_field(name: str, spec: Any, positions: PositionMap, report: Report) -> None:
    """Report what is wrong with field ``name`` on its own."""
    path: NodePath = ("fields", name)
    if name in STANDARD_COLUMNS:
        report.error(
            "MD015",
            f"field '{name}' collides with the standard column '{name}'; choose another name",
            positions.anchor(path),
        )
    elif name in RESERVED_WORDS:
        report.error(
            "MD015",
            f"field '{name}' is a word of the rule language and could not be used in "
            "expressions; choose another name",
            positions.anchor(path),
        )
    if not isinstance(spec, dict):
        return
    type_name = spec.get("type")
    if not isinstance(type_name, str):
        return
    if type_name == LINES_TYPE:
        check_lines_field(name, spec, positions, report)
        return
    if type_name not in FIELD_TYPES:
        report.error(
            "MD010",
            f"field '{name}': type '{type_name}' is unknown",
            positions.value((*path, "type")),
            did_you_mean(type_name, FIELD_TYPES),
        )
        return
    _check_keys(name, type_name, spec, positions, report)
    _check_computed(name, type_name, spec, positions, report)
    _check_values(name, type_name, spec, positions, report)
    if type_name == FieldType.FILE:
        _check_file(name, spec, positions, report)
    if spec.get("encrypted") is True:
        _check_encrypted(name, spec, positions, report)


def _check_encrypted(
    name: str, spec: dict[str, Any], positions: PositionMap, report: Report
) -> None:
    """An encrypted field is written by clients and matched exactly: no formula, default
    or trigram index (its stored text is ciphertext)."""
    path: NodePath = ("fields", name)
    for key in ("formula", "default", "rollup"):
        if key in spec:
            message = f"field '{name}': an encrypted field cannot have '{key}'"
            report.error("MD370", message, positions.anchor((*path, key)))
    if spec.get("indexed") == "trigram":
        message = (
            f"field '{name}': an encrypted field is found by exact match only and cannot "
            "have 'indexed: trigram'"
        )
        report.error("MD370", message, positions.anchor((*path, "indexed")))


def _check_file(name: str, spec: dict[str, Any], positions: PositionMap, report: Report) -> None:
    """A file field is filled by uploads: no default, not required, versioned or multiple."""
    path: NodePath = ("fields", name)
    if spec.get("multiple") is True and spec.get("versioned") is True:
        message = (
            f"field '{name}': a file field is either 'multiple' (a list of files) or "
            "'versioned' (one file with its earlier versions), not both"
        )
        report.error("MD220", message, positions.anchor((*path, "versioned")))
    for key in ("default", "required"):
        if key in spec and spec.get(key) is not False:
            message = (
                f"field '{name}': file fields are filled by uploads once the record exists "
                f"and cannot have '{key}'"
            )
            report.error("MD221", message, positions.anchor((*path, key)))


def _check_keys(
    name: str, type_name: str, spec: dict[str, Any], positions: PositionMap, report: Report
) -> None:
    path: NodePath = ("fields", name)
    if type_name in (FieldType.ENUM, FieldType.MULTI_ENUM) and "options" not in spec:
        report.error(
            "MD016", f"field '{name}': type '{type_name}' needs 'options'", positions.anchor(path)
        )
    if type_name == FieldType.REFERENCE and "to" not in spec:
        message = f"field '{name}': a reference needs 'to' (the entity it points at)"
        report.error("MD017", message, positions.anchor(path))
    if type_name == FieldType.MANY_TO_MANY and "to" not in spec:
        message = f"field '{name}': a many_to_many field needs 'to' (the entity it links to)"
        report.error("MD250", message, positions.anchor(path))
    if type_name == FieldType.ANY_REFERENCE and "targets" not in spec:
        message = (
            f"field '{name}': an any_reference field needs 'targets' (the entities it may point at)"
        )
        report.error("MD251", message, positions.anchor(path))
    if type_name not in TARGETED and "to" in spec:
        message = f"field '{name}': 'to' only applies to references, not to '{type_name}'"
        report.error("MD018", message, positions.anchor((*path, "to")))
    for key, types in APPLIES_TO.items():
        if key in spec and type_name not in types:
            allowed = ", ".join(sorted(types))
            message = (
                f"field '{name}': '{key}' does not apply to type '{type_name}' (only {allowed})"
            )
            report.error("MD019", message, positions.anchor((*path, key)))
    for key in ("unique", "indexed"):
        if spec.get(key) is True and type_name in _NOT_INDEXABLE:
            message = f"field '{name}': '{key}' does not apply to type '{type_name}'"
            report.error("MD019", message, positions.anchor((*path, key)))
    if spec.get("indexed") == "trigram" and type_name not in TRIGRAM_TYPES:
        allowed = ", ".join(sorted(TRIGRAM_TYPES))
        message = (
            f"field '{name}': 'indexed: trigram' does not apply to type '{type_name}' "
            f"(only {allowed})"
        )
        report.error("MD019", message, positions.anchor((*path, "indexed")))


def _check_computed(
    name: str, type_name: str, spec: dict[str, Any], positions: PositionMap, report: Report
) -> None:
    path: NodePath = ("fields", name)
    has_formula = "formula" in spec
    has_rollup = "rollup" in spec
    if has_formula and type_name in NOT_COMPUTABLE:
        message = f"field '{name}': a formula cannot compute a value of type '{type_name}'"
        report.error("MD022", message, positions.anchor((*path, "formula")))
    if has_rollup and type_name not in ROLLUP_TYPES:
        message = (
            f"field '{name}': a rollup gives a number or a date, not a value of type '{type_name}'"
        )
        report.error("MD022", message, positions.anchor((*path, "rollup")))
    if "visible_to_all" in spec and not has_rollup:
        message = (
            f"field '{name}': 'visible_to_all' only applies to rollups "
            "(an aggregate shared with every role that reads the entity)"
        )
        report.error("MD054", message, positions.anchor((*path, "visible_to_all")))
    if has_formula and has_rollup:
        message = f"field '{name}': a field has either a formula or a rollup, not both"
        report.error("MD050", message, positions.anchor((*path, "rollup")))
    if not (has_formula or has_rollup or type_name == FieldType.AUTONUMBER):
        return
    what = "formula" if has_formula else "rollup" if has_rollup else "autonumber"
    if "default" in spec:
        message = f"field '{name}': {what} fields are computed and cannot have a default"
        report.error("MD023", message, positions.anchor((*path, "default")))
    if spec.get("required") is True:
        message = f"field '{name}': {what} fields are computed and cannot be required"
        report.error("MD023", message, positions.anchor((*path, "required")))


def _check_values(
    name: str, type_name: str, spec: dict[str, Any], positions: PositionMap, report: Report
) -> None:
    path: NodePath = ("fields", name)
    number_format = spec.get("format")
    bad_format = isinstance(number_format, str) and not AUTONUMBER_FORMAT.match(number_format)
    if type_name == FieldType.AUTONUMBER and bad_format:
        message = (
            f"field '{name}': format '{number_format}' needs exactly one placeholder "
            "'{n}' or '{n:0Wd}' (W from 1 to 20) and no other braces"
        )
        report.error("MD024", message, positions.value((*path, "format")))
    low, high = _number(spec.get("min")), _number(spec.get("max"))
    if low is not None and high is not None and low > high:
        message = f"field '{name}': min {low} is greater than max {high}"
        report.error("MD025", message, positions.anchor((*path, "max")))
    if spec.get("on_delete") == "set_null" and spec.get("required") is True:
        message = f"field '{name}': on_delete 'set_null' cannot empty a required reference"
        report.error("MD025", message, positions.value((*path, "on_delete")))
    default, options = spec.get("default"), spec.get("options")
    if type_name == FieldType.ENUM and isinstance(default, str) and isinstance(options, list):
        literal = _TEXT_LITERAL.match(default)
        choices = [o for o in options if isinstance(o, str)]
        if literal and literal.group(1) not in choices:
            message = f"field '{name}': default '{literal.group(1)}' is not one of the options"
            suggestion = did_you_mean(literal.group(1), choices)
            report.error("MD026", message, positions.content((*path, "default")), suggestion)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value
