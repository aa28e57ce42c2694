"""Differences between two versions of a tenant's metadata: by file and by model node."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from trellis.metadata.model import AppModel, FieldDef
from trellis.metadata.model.source import SourceSpan

#: Field attributes that do not change what the field is (positions in the YAML).
_IGNORED = frozenset({"source"})


def files_diff(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, Any]:
    """Added, removed and changed files; each change as a unified diff."""
    changed = []
    for path in sorted(set(old) & set(new)):
        if old[path] != new[path]:
            lines = difflib.unified_diff(
                old[path].splitlines(keepends=True),
                new[path].splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
            changed.append({"path": path, "diff": "".join(lines)})
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": changed,
    }


def _plain(value: Any) -> Any:
    """A JSON value for a field attribute (enums by value, mappings and tuples as such).

    Source positions are left out: a field read from another folder or moved to another
    line has not changed (they would also show the server's folders on the screens).
    """
    if isinstance(value, SourceSpan):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _IGNORED and not isinstance(getattr(value, f.name), SourceSpan)
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(getattr(value, "value", value))


def field_changes(old: FieldDef, new: FieldDef) -> dict[str, list[Any]]:
    """Attribute -> [old, new] for every attribute that differs."""
    changes: dict[str, list[Any]] = {}
    for attr in dataclasses.fields(FieldDef):
        if attr.name in _IGNORED:
            continue
        before, after = _plain(getattr(old, attr.name)), _plain(getattr(new, attr.name))
        if before != after:
            changes[attr.name] = [before, after]
    return changes


def model_diff(old: AppModel | None, new: AppModel | None) -> dict[str, Any]:
    """Entities and fields added, removed or changed from ``old`` to ``new``."""
    if new is None:  # nothing on either side: an empty diff of the same shape
        return {
            "app": {"from": None, "to": None},
            "entities_added": [],
            "entities_removed": [],
            "fields_added": {},
            "fields_removed": {},
            "fields_changed": {},
            "roles_changed": [],
            "pipelines_changed": [],
            "workflows_changed": [],
            "layouts_changed": [],
        }
    before = dict(old.entities) if old is not None else {}
    after = dict(new.entities)
    fields_added: dict[str, list[str]] = {}
    fields_removed: dict[str, list[str]] = {}
    fields_changed: dict[str, dict[str, dict[str, list[Any]]]] = {}
    for name in sorted(set(before) & set(after)):
        was, now = before[name].fields, after[name].fields
        if added := sorted(set(now) - set(was)):
            fields_added[name] = added
        if removed := sorted(set(was) - set(now)):
            fields_removed[name] = removed
        changed = {
            f: c for f in sorted(set(was) & set(now)) if (c := field_changes(was[f], now[f]))
        }
        if changed:
            fields_changed[name] = changed
    return {
        "app": {
            "from": f"{old.name} {old.version}" if old is not None else None,
            "to": f"{new.name} {new.version}",
        },
        "entities_added": sorted(set(after) - set(before)),
        "entities_removed": sorted(set(before) - set(after)),
        "fields_added": fields_added,
        "fields_removed": fields_removed,
        "fields_changed": fields_changed,
        "roles_changed": _names_changed(old.roles if old else {}, new.roles),
        "pipelines_changed": _names_changed(old.pipelines if old else {}, new.pipelines),
        "workflows_changed": _names_changed(old.workflows if old else {}, new.workflows),
        "layouts_changed": sorted(
            n
            for n in set(before) & set(after)
            if _bare(before[n].layouts) != _bare(after[n].layouts)
        ),
    }


def _bare(value: Any) -> Any:
    """``value`` without source positions (a moved line changes no layout)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(
            (f.name, _bare(getattr(value, f.name)))
            for f in dataclasses.fields(value)
            if f.name not in _IGNORED
        )
    if isinstance(value, tuple | list):
        return tuple(_bare(v) for v in value)
    return value


def _names_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Names added, removed or whose definition differs (source positions included)."""
    return sorted(n for n in set(old) | set(new) if repr(old.get(n)) != repr(new.get(n)))


__all__ = ["field_changes", "files_diff", "model_diff"]
