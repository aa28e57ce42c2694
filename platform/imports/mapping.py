"""Which column fills which field: guessed from names and labels, saved for reuse.

A map file (YAML) looks like::

    columns: {"E-mail": email, "Company": account, "Notes": null}   # null: skip
    lookups: {account: name}          # a reference column holds the target's name
    create_missing: [account]         # create a target that is not found
    formats: {close_date: "%d/%m/%Y"} # date and datetime formats (strptime)
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trellis.metadata.model import FieldDef, FieldType
from trellis.metadata.model.local_text import LocalText, Translatable
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.records.compiled import CompiledEntity

#: Field types a file cell cannot fill.
UNSUPPORTED = frozenset(
    {FieldType.FILE, FieldType.MANY_TO_MANY, FieldType.ANY_REFERENCE, FieldType.AUTONUMBER}
)
#: How close a header must be to a field name or label to be matched by similarity.
SIMILARITY = 0.8
_NOT_WORD = re.compile(r"[^0-9a-z]+")
#: How a refusal names a map that did not come from a file.
THE_MAP = Translatable("the map")


@dataclass(slots=True)
class ImportMap:
    """Column → field (None: skipped), reference lookups, targets to create, date formats."""

    columns: dict[str, str | None] = field(default_factory=dict)
    lookups: dict[str, str] = field(default_factory=dict)
    create_missing: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The map as the map file and the import's options hold it."""
        return {
            "columns": dict(self.columns),
            "lookups": dict(self.lookups),
            "create_missing": list(self.create_missing),
            "formats": dict(self.formats),
        }

    @classmethod
    def from_json(cls, data: Any, where: str = THE_MAP) -> ImportMap:
        """Read a map; raises ImportRefusedError naming what is wrong."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ImportRefusedError(
                Translatable(
                    "%(where)s must be a mapping with 'columns', 'lookups' ….", where=where
                )
            )
        unknown = set(data) - {"columns", "lookups", "create_missing", "formats"}
        if unknown:
            raise ImportRefusedError(
                Translatable(
                    "%(where)s: unknown key(s) %(keys)s.",
                    where=where,
                    keys=", ".join(sorted(unknown)),
                )
            )
        columns = _text_map(data.get("columns"), where, "columns", allow_null=True)
        lookups = _text_map(data.get("lookups"), where, "lookups")
        formats = _text_map(data.get("formats"), where, "formats")
        create = data.get("create_missing") or []
        if not isinstance(create, list) or not all(isinstance(c, str) for c in create):
            raise ImportRefusedError(
                Translatable(
                    "%(where)s: create_missing must be a list of field names.", where=where
                )
            )
        return cls(columns, lookups, list(create), formats)  # type: ignore[arg-type]


def _text_map(
    value: Any, where: str, key: str, *, allow_null: bool = False
) -> dict[str, str | None]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ImportRefusedError(
            Translatable("%(where)s: %(key)s must be a mapping.", where=where, key=key)
        )
    out: dict[str, str | None] = {}
    for column, item in value.items():
        if not (isinstance(item, str) or (allow_null and item is None)):
            raise ImportRefusedError(
                Translatable(
                    "%(where)s: %(key)s: '%(column)s' must name a field.",
                    where=where,
                    key=key,
                    column=column,
                )
            )
        out[str(column)] = item
    return out


def load_map(path: Path) -> ImportMap:
    """Read a map file (YAML).

    Raises:
        ImportRefusedError: unreadable file, bad YAML or an unknown key.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ImportRefusedError(
            Translatable(
                "The map file %(name)s cannot be read: %(reason)s", name=path.name, reason=str(exc)
            )
        ) from None
    return ImportMap.from_json(data, path.name)


def save_map(imap: ImportMap, path: Path) -> None:
    """Write the map file atomically (temporary file renamed over it)."""
    text = yaml.safe_dump(imap.as_json(), sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def importable(entity: CompiledEntity, hidden: Collection[str] = ()) -> dict[str, FieldDef]:
    """The fields a file may fill: not computed, not hidden from the caller."""
    return {
        name: f
        for name, f in entity.entity.fields.items()
        if not f.computed and f.type not in UNSUPPORTED and name not in hidden
    }


def _norm(text: str) -> str:
    return _NOT_WORD.sub("", text.casefold())


def _names_of(f: FieldDef) -> Iterable[str]:
    yield f.name
    yield f.label
    if isinstance(f.label, LocalText):
        yield from f.label.by_locale.values()


def guess_map(
    entity: CompiledEntity, headers: Iterable[str], given: ImportMap, hidden: Collection[str] = ()
) -> ImportMap:
    """Complete ``given``: each column it does not name is matched by name, label, similarity.

    A field is filled by at most one column; an unmatched column is skipped (None).
    """
    fields = importable(entity, hidden)
    taken = {f for f in given.columns.values() if f is not None}
    keys: dict[str, str] = {}
    for name, f in fields.items():
        for text in _names_of(f):
            keys.setdefault(_norm(text), name)
    columns: dict[str, str | None] = {}
    for header in headers:
        if header in given.columns:
            columns[header] = given.columns[header]
            continue
        norm = _norm(header)
        found = keys.get(norm)
        if found is None:
            close = difflib.get_close_matches(norm, list(keys), n=1, cutoff=SIMILARITY)
            found = keys[close[0]] if close else None
        if found is not None and found in taken:
            found = None
        if found is not None:
            taken.add(found)
        columns[header] = found
    return ImportMap(columns, dict(given.lookups), list(given.create_missing), dict(given.formats))


def check_map(
    entity: CompiledEntity,
    imap: ImportMap,
    *,
    mode: str,
    keys: tuple[str, ...],
    hidden: Collection[str] = (),
) -> None:
    """Refuse a map that cannot work before any row is read, with every reason at once.

    Raises:
        ImportRefusedError: an unknown or computed field, an unmapped required field
            (insert and upsert), an unmapped key, a lookup on a non-reference field.
    """
    fields = importable(entity, hidden)
    all_fields = entity.entity.fields
    problems: list[str] = []
    mapped = [f for f in imap.columns.values() if f is not None]
    for column, name in imap.columns.items():
        if name is None or name in fields:
            continue
        if name in all_fields and name not in hidden:
            problems.append(
                Translatable(
                    "Column '%(column)s': field '%(name)s' is computed or cannot be imported.",
                    column=column,
                    name=name,
                )
            )
        else:
            problems.append(
                Translatable(
                    "Column '%(column)s': %(entity)s has no field '%(name)s'.",
                    column=column,
                    entity=entity.name,
                    name=name,
                )
            )
    for name in {n for n in mapped if mapped.count(n) > 1}:
        problems.append(
            Translatable("Field '%(name)s' is filled by more than one column.", name=name)
        )
    if mode in ("insert", "upsert"):
        for name, f in fields.items():
            if f.required and f.default is None and name not in mapped:
                problems.append(
                    Translatable(
                        "Required field '%(name)s' has no column; add one or map it with --map.",
                        name=name,
                    )
                )
    for key in keys:
        if key not in mapped:
            problems.append(Translatable("Key field '%(key)s' has no column.", key=key))
    for name in imap.lookups:
        ref = all_fields.get(name)
        if ref is None or ref.type != FieldType.REFERENCE:
            problems.append(
                Translatable(
                    "lookups: '%(name)s' is not a reference field of %(entity)s.",
                    name=name,
                    entity=entity.name,
                )
            )
    for name in imap.create_missing:
        if name not in imap.lookups:
            problems.append(
                Translatable(
                    "create_missing: '%(name)s' needs a lookup field in 'lookups'.", name=name
                )
            )
    for name in imap.formats:
        dated = all_fields.get(name)
        if dated is None or dated.type not in (FieldType.DATE, FieldType.DATETIME):
            problems.append(
                Translatable("formats: '%(name)s' is not a date or datetime field.", name=name)
            )
    if problems:
        raise ImportRefusedError(*problems)


__all__ = [
    "SIMILARITY",
    "UNSUPPORTED",
    "ImportMap",
    "check_map",
    "guess_map",
    "importable",
    "load_map",
    "save_map",
]
