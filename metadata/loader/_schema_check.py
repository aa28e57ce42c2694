"""Validate a document against a meta-schema; turn jsonschema errors into diagnostics."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from trellis.metadata.diagnostics import Diagnostic, did_you_mean
from trellis.metadata.loader._wording import describe, kind_of, show, subject
from trellis.metadata.loader.positions import NodePath, PositionMap

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


@cache
def meta_schema(name: str) -> dict[str, Any]:
    """Return meta-schema ``name`` (``"app"`` or ``"entity"``) as loaded from JSON."""
    resource = files(__package__ or "trellis.metadata.loader") / "schemas" / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


@cache
def _fast_validator(name: str) -> jsonschema_rs.Draft202012Validator:
    import jsonschema_rs  # loaded by the first metadata check, not by every import

    return jsonschema_rs.Draft202012Validator(meta_schema(name), validate_formats=False)


def fast_accepts(name: str, data: Any) -> bool:
    """Whether the compiled validator accepts ``data`` (False when it cannot tell)."""
    try:
        return bool(_fast_validator(name).is_valid(data))
    except ValueError:  # a value JSON has no type for (a YAML date): jsonschema decides
        return False


@cache
def _validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(meta_schema(name))


def schema_diagnostics(name: str, data: Any, positions: PositionMap) -> list[Diagnostic]:
    """Every problem of ``data`` against meta-schema ``name``, placed in the file.

    A valid document (nearly every load: a server start, a publish) is only checked by
    the compiled validator; jsonschema, whose errors the diagnostics are made from, is
    loaded for the first invalid one.
    """
    if fast_accepts(name, data):
        return []
    out: list[Diagnostic] = []
    for error in _validator(name).iter_errors(data):
        out.extend(_translate(error, positions))
    return _unique(out)


def _unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: dict[tuple[str, int, int, str], Diagnostic] = {}
    for d in diagnostics:
        seen.setdefault((d.code, d.span.line, d.span.col, d.message), d)
    return list(seen.values())


def _translate(error: ValidationError, positions: PositionMap) -> Iterator[Diagnostic]:
    path: NodePath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "propertyNames" in error.schema_path:
        yield _bad_key_name(error, path, positions)
        return
    validator = error.validator
    if validator == "required":
        yield from _missing(error, path, positions)
    elif validator == "additionalProperties":
        yield from _unknown_keys(error, path, positions)
    elif validator in ("anyOf", "oneOf"):
        yield from _alternatives(error, path, positions)
    elif validator == "type":
        expected = _expected_words(error.validator_value)
        hint = _quote_hint(error.validator_value, error.instance)
        message = f"{subject(path)} must be {expected}, got {kind_of(error.instance)}{hint}"
        yield _at_value("MD004", message, path, positions)
    elif validator == "pattern":
        hint = schema.get("x-hint", f"text matching {error.validator_value}")
        message = f"{subject(path)} is {show(error.instance)}; expected {hint}"
        yield _at_value("MD006", message, path, positions)
    elif validator == "enum":
        choices = [str(c) for c in error.validator_value]
        message = f"{subject(path)} is {show(error.instance)}, not one of {', '.join(choices)}"
        suggestion = did_you_mean(str(error.instance), choices)
        yield _at_value("MD007", message, path, positions, suggestion)
    elif validator == "uniqueItems":
        yield _repeated(error, path, positions)
    else:
        yield _at_value("MD008", f"{subject(path)} {_limit_words(error)}", path, positions)


def _at_value(
    code: str,
    message: str,
    path: NodePath,
    positions: PositionMap,
    suggestion: str | None = None,
) -> Diagnostic:
    return Diagnostic(code, message, positions.value(path), suggestion)


def _missing(
    error: ValidationError, path: NodePath, positions: PositionMap
) -> Iterator[Diagnostic]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    owner = describe(path)
    for key in error.validator_value:
        if key not in instance:
            prefix = f"{owner}: " if owner else ""
            yield Diagnostic(
                "MD002", f"{prefix}missing required key '{key}'", positions.anchor(path)
            )


def _unknown_keys(
    error: ValidationError, path: NodePath, positions: PositionMap
) -> Iterator[Diagnostic]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = list(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    instance = error.instance if isinstance(error.instance, dict) else {}
    owner = describe(path)
    for key in instance:
        if key in known or any(p.search(key) for p in patterns):
            continue
        prefix = f"{owner}: " if owner else ""
        yield Diagnostic(
            "MD003",
            f"{prefix}unknown key '{key}'",
            positions.anchor((*path, key)),
            did_you_mean(key, known),
        )


def _bad_key_name(error: ValidationError, path: NodePath, positions: PositionMap) -> Diagnostic:
    name = str(error.instance)
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("x-hint", error.message) if error.validator == "pattern" else error.message
    what = "field name" if path == ("fields",) else f"{subject(path)} key"
    message = f"{what} '{name}' is not valid; expected {hint}"
    return Diagnostic("MD006", message, positions.anchor((*path, name)))


def _alternatives(
    error: ValidationError, path: NodePath, positions: PositionMap
) -> Iterator[Diagnostic]:
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    expected: list[str] = []
    viable: list[list[ValidationError]] = []
    for subs in branches.values():
        rejected = [s for s in subs if s.validator == "type" and not s.relative_path]
        if rejected:
            expected.extend(_type_list(rejected[0].validator_value))
        else:
            viable.append(subs)
    if not viable:
        unique = list(dict.fromkeys(expected))
        hint = _quote_hint(unique, error.instance)
        message = (
            f"{subject(path)} must be {_expected_words(unique)}, got {kind_of(error.instance)}"
        )
        yield _at_value("MD004", message + hint, path, positions)
        return
    # Like jsonschema's best_match: the branch the value was meant for is the one
    # whose type fits (the most relevant error comes from it); report all of its
    # problems, not only the best one.
    from jsonschema.exceptions import relevance

    best = max((e for subs in viable for e in subs), key=relevance)
    chosen = next(subs for subs in viable if any(e is best for e in subs))
    for sub in chosen:
        yield from _translate(sub, positions)


def _repeated(error: ValidationError, path: NodePath, positions: PositionMap) -> Diagnostic:
    items = error.instance if isinstance(error.instance, list) else []
    seen: list[Any] = []
    for index, item in enumerate(items):
        if item in seen:
            message = f"{subject(path)} repeats {show(item)}"
            return Diagnostic("MD008", message, positions.value((*path, index)))
        seen.append(item)
    return _at_value("MD008", f"{subject(path)} has repeated items", path, positions)


def _type_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _expected_words(value: Any) -> str:
    types = _type_list(value)
    words = [_TYPE_WORDS.get(t, t) for t in types]
    if len(words) > 1 and "boolean" in types:
        words[types.index("boolean")] = "a boolean"
    if "a number" in words and "an integer" in words:
        words.remove("an integer")
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _quote_hint(expected: Any, instance: Any) -> str:
    is_number = isinstance(instance, (int, float)) and not isinstance(instance, bool)
    return " (write it in quotes)" if is_number and "string" in _type_list(expected) else ""


def _limit_words(error: ValidationError) -> str:
    limit = error.validator_value
    words = {
        "minimum": f"must be at least {limit}, got {show(error.instance)}",
        "maximum": f"must be at most {limit}, got {show(error.instance)}",
        "minLength": "must not be empty" if limit == 1 else f"needs at least {limit} characters",
        "maxLength": f"must be at most {limit} characters long",
        "minItems": "must not be empty" if limit == 1 else f"needs at least {limit} items",
        "minProperties": "must not be empty" if limit == 1 else f"needs at least {limit} entries",
    }
    return words.get(str(error.validator), str(error.message))
