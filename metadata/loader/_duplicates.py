"""The ``duplicates:`` list of an entity file: checked (MD330-MD337) and built."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model.duplicates import (
    BlockingKey,
    DuplicateAction,
    DuplicateMatch,
    DuplicateRuleDef,
)

_RULE_KEYS = ("name", "match", "fields", "threshold", "blocking", "action")
_BLOCK_KEYS = ("field", "prefix")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Field types each kind of comparison accepts.
_EXACT_TYPES = frozenset(
    {"string", "text", "email", "phone", "url", "enum", "integer", "date", "reference"}
)
_FUZZY_TYPES = frozenset({"string", "text", "email"})
_MAX_PREFIX = 20


def _kinds(data: Mapping[str, Any]) -> dict[str, str]:
    specs = data.get("fields")
    out: dict[str, str] = {}
    for name, spec in (specs if isinstance(specs, dict) else {}).items():
        if isinstance(spec, dict) and isinstance(spec.get("type"), str):
            out[str(name)] = spec["type"]
    return out


class _Checker:
    """Checks one entity file's rules, reporting every problem at once."""

    def __init__(self, data: Mapping[str, Any], positions: PositionMap, report: Report) -> None:
        self.kinds = _kinds(data)
        self.positions = positions
        self.report = report
        self.ok = True

    def error(self, code: str, message: str, path: NodePath, hint: str | None = None) -> None:
        self.ok = False
        self.report.error(code, message, self.positions.value(path), hint)

    def field(self, where: str, name: Any, path: NodePath, allowed: frozenset[str]) -> bool:
        if not isinstance(name, str) or not name:
            self.error("MD332", f"{where}: a field name is expected", path)
            return False
        kind = self.kinds.get(name)
        if kind is None:
            self.error(
                "MD332", f"{where}: unknown field '{name}'", path, did_you_mean(name, self.kinds)
            )
            return False
        if kind not in allowed:
            wanted = ", ".join(sorted(allowed))
            self.error(
                "MD333", f"{where}: field '{name}' is {kind}; expected one of {wanted}", path
            )
            return False
        return True

    def rule(self, index: int, item: Any, names: dict[str, int]) -> DuplicateRuleDef | None:
        base: NodePath = ("duplicates", index)
        where = f"duplicate rule {index + 1}"
        if not isinstance(item, dict):
            self.error("MD330", f"{where} must be a mapping with 'match' and 'fields'", base)
            return None
        self.ok = True
        for key in item:
            if key not in _RULE_KEYS:
                hint = did_you_mean(str(key), _RULE_KEYS)
                self.report.error(
                    "MD330",
                    f"{where}: unknown key '{key}'",
                    self.positions.anchor((*base, key)),
                    hint,
                )
                self.ok = False
        name = item.get("name", f"rule_{index + 1}")
        if not isinstance(name, str) or not _NAME.match(name):
            self.error(
                "MD337",
                f"{where}: name '{name}' is not valid; expected lowercase letters, digits and '_'",
                (*base, "name"),
            )
        elif name in names:
            self.error(
                "MD337",
                f"{where}: name '{name}' is already used by rule {names[name] + 1}",
                (*base, "name"),
            )
        else:
            names[name] = index
            where = f"duplicate rule '{name}'"
        match = self._choice(item, "match", DuplicateMatch, where, base, None)
        action = self._choice(item, "action", DuplicateAction, where, base, DuplicateAction.WARN)
        allowed = _FUZZY_TYPES if match is DuplicateMatch.FUZZY else _EXACT_TYPES
        fields = item.get("fields")
        if isinstance(fields, str):
            fields = [fields]
        if not isinstance(fields, list) or not fields:
            self.error(
                "MD332", f"{where}: 'fields' must list at least one field", (*base, "fields")
            )
            fields = []
        field_path: NodePath = (*base, "fields")
        for i, f in enumerate(fields):
            path = (*field_path, i) if isinstance(item.get("fields"), list) else field_path
            self.field(where, f, path, allowed)
        threshold = self._threshold(item, match, where, base)
        blocking = self._blocking(item, match, where, base)
        if not self.ok or match is None or action is None:
            return None
        return DuplicateRuleDef(
            name=str(name),
            match=match,
            fields=tuple(str(f) for f in fields),
            action=action,
            threshold=threshold,
            blocking=blocking,
            source=self.positions.value(base),
        )

    def _choice(
        self,
        item: Mapping[str, Any],
        key: str,
        kind: type[DuplicateMatch] | type[DuplicateAction],
        where: str,
        base: NodePath,
        default: Any,
    ) -> Any:
        value = item.get(key)
        choices = [c.value for c in kind]
        if value is None and default is not None:
            return default
        if value not in choices:
            code = "MD331" if key == "match" else "MD336"
            shown = "missing" if value is None else f"'{value}'"
            hint = did_you_mean(value, choices) if isinstance(value, str) else None
            message = f"{where}: '{key}' is {shown}; expected one of {', '.join(choices)}"
            self.error(code, message, (*base, key) if value is not None else base, hint)
            return None
        return kind(value)

    def _threshold(
        self, item: Mapping[str, Any], match: DuplicateMatch | None, where: str, base: NodePath
    ) -> float:
        value = item.get("threshold")
        path: NodePath = (*base, "threshold")
        if value is None:
            return 0.85 if match is DuplicateMatch.FUZZY else 1.0
        if match is DuplicateMatch.EXACT:
            self.error("MD334", f"{where}: 'threshold' applies to fuzzy rules only", path)
            return 1.0
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            message = f"{where}: 'threshold' must be a number above 0 and at most 1, got {value!r}"
            self.error("MD334", message, path)
            return 1.0
        return float(value)

    def _blocking(
        self, item: Mapping[str, Any], match: DuplicateMatch | None, where: str, base: NodePath
    ) -> tuple[BlockingKey, ...]:
        value = item.get("blocking")
        path: NodePath = (*base, "blocking")
        if value is None:
            if match is DuplicateMatch.FUZZY:
                message = (
                    f"{where}: a fuzzy rule needs 'blocking' keys (e.g. blocking: "
                    "[{field: last_name, prefix: 3}]) so a scan never compares every pair"
                )
                self.error("MD335", message, base)
            return ()
        if not isinstance(value, list) or not value:
            self.error("MD335", f"{where}: 'blocking' must list at least one key", path)
            return ()
        keys: list[BlockingKey] = []
        for i, entry in enumerate(value):
            key = self._key(entry, where, (*path, i))
            if key is not None:
                keys.append(key)
        return tuple(keys)

    def _key(self, entry: Any, where: str, path: NodePath) -> BlockingKey | None:
        if isinstance(entry, str):
            return BlockingKey(entry) if self.field(where, entry, path, _EXACT_TYPES) else None
        if not isinstance(entry, dict):
            self.error(
                "MD335", f"{where}: a blocking key is a field name or {{field, prefix}}", path
            )
            return None
        for key in entry:
            if key not in _BLOCK_KEYS:
                hint = did_you_mean(str(key), _BLOCK_KEYS)
                self.error("MD335", f"{where}: unknown key '{key}' in a blocking key", path, hint)
        prefix = entry.get("prefix")
        if prefix is not None and (
            isinstance(prefix, bool)
            or not isinstance(prefix, int)
            or not 1 <= prefix <= _MAX_PREFIX
        ):
            message = (
                f"{where}: 'prefix' must be an integer from 1 to {_MAX_PREFIX}, got {prefix!r}"
            )
            self.error("MD335", message, (*path, "prefix"))
            return None
        name = entry.get("field")
        if not self.field(where, name, (*path, "field"), _EXACT_TYPES):
            return None
        return BlockingKey(str(name), prefix)


def check_duplicates(
    data: Any, positions: PositionMap, report: Report
) -> tuple[DuplicateRuleDef, ...]:
    """Check the ``duplicates:`` list of an entity file; return the rules without problems."""
    items = data.get("duplicates") if isinstance(data, dict) else None
    if items is None:
        return ()
    checker = _Checker(data, positions, report)
    if not isinstance(items, list):
        checker.error("MD330", "'duplicates' must be a list of rules", ("duplicates",))
        return ()
    names: dict[str, int] = {}
    rules = [checker.rule(i, item, names) for i, item in enumerate(items)]
    return tuple(r for r in rules if r is not None)


__all__ = ["check_duplicates"]
