"""Data steps a publish runs with its schema change, so a destructive change loses nothing.

* ``fill``: ``{"entity.field": value}`` sets a newly required field on the live rows
  where it is empty (a new column is filled right after it is added);
* ``map_options``: ``{"entity.field": {"old": "new"}}`` moves rows holding an enum
  option the new version removes to one it keeps.

They run in the publish's transaction, before the data is counted: a step that
covers every row turns the change into a safe one (no confirmation needed). The
plan lists the steps each destructive change could take (``data_steps``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel, FieldType
from trellis.platform.drafts.impact import DataChange

#: Field types a fill value may be given for (text, numbers, booleans, dates as text).
_FILLABLE = frozenset(
    {
        FieldType.STRING,
        FieldType.TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.INTEGER,
        FieldType.DECIMAL,
        FieldType.BOOLEAN,
        FieldType.DATE,
        FieldType.ENUM,
    }
)


class DataStepError(ValueError):
    """A data step that names an unknown field or does not fit it; ``key`` says which."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _target(model: AppModel, key: str, where: str) -> tuple[str, str]:
    entity, _, name = key.partition(".")
    found = model.entities.get(entity)
    if found is None or name not in found.fields:
        raise DataStepError(where, f"'{key}' is not a field of the new version (entity.field).")
    return entity, name


@dataclass(frozen=True, slots=True)
class DataSteps:
    """The steps declared for one publish (empty: none)."""

    fill: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    options: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any, model: AppModel) -> DataSteps:
        """Read ``{"fill": {...}, "map_options": {...}}`` against the new model.

        Raises:
            DataStepError: an unknown key or field, or a value that does not fit.
        """
        if raw is None:
            return cls()
        if not isinstance(raw, dict) or set(raw) - {"fill", "map_options"}:
            raise DataStepError("data_steps", "Send {fill: {...}, map_options: {...}}.")
        fill: dict[tuple[str, str], Any] = {}
        for key, value in _mapping(raw.get("fill"), "fill").items():
            entity, name = _target(model, key, "fill")
            spec = model.entities[entity].fields[name]
            if spec.type not in _FILLABLE or isinstance(value, (dict, list)) or value in ("", None):
                raise DataStepError("fill", f"'{key}' takes no fill value of this kind.")
            if spec.type == FieldType.ENUM and value not in spec.options:
                raise DataStepError("fill", f"'{value}' is not an option of '{key}'.")
            fill[(entity, name)] = _typed(spec.type, value, key)
        options: dict[tuple[str, str], Mapping[str, str]] = {}
        for key, mapping in _mapping(raw.get("map_options"), "map_options").items():
            entity, name = _target(model, key, "map_options")
            spec = model.entities[entity].fields[name]
            pairs = _mapping(mapping, "map_options")
            if spec.type != FieldType.ENUM or not all(v in spec.options for v in pairs.values()):
                message = f"'{key}': map each removed option to one of {', '.join(spec.options)}."
                raise DataStepError("map_options", message)
            options[(entity, name)] = {str(k): str(v) for k, v in pairs.items()}
        return cls(fill, options)

    def covers(self, change: DataChange) -> bool:
        """Whether a step takes care of every row ``change`` counts."""
        key = (change.entity, change.field or "")
        return change.kind == "require_field" and key in self.fill

    def before(self, conn: sa.Connection, schema: str | None) -> None:
        """Map options and fill existing columns (before the data is counted)."""
        columns = _Columns(conn, schema)
        for (entity, name), mapping in self.options.items():
            if name in columns.of(entity):
                col: sa.ColumnClause[Any] = sa.column(name)
                table = sa.table(entity, col, schema=schema)
                for old, new in mapping.items():
                    conn.execute(table.update().where(col == old).values({name: new}))
        self._fill(conn, schema, columns)

    def after(self, conn: sa.Connection, schema: str | None) -> None:
        """Fill the columns the schema change just added."""
        self._fill(conn, schema, _Columns(conn, schema))

    def _fill(self, conn: sa.Connection, schema: str | None, columns: _Columns) -> None:
        for (entity, name), value in self.fill.items():
            if name not in columns.of(entity):
                continue
            col: sa.ColumnClause[Any] = sa.column(name)
            deleted: sa.ColumnClause[Any] = sa.column("deleted_at")
            table = sa.table(entity, col, deleted, schema=schema)
            empty = sa.or_(col.is_(None), sa.cast(col, sa.Text) == "")
            conn.execute(table.update().where(deleted.is_(None), empty).values({name: value}))

    def as_json(self) -> dict[str, Any]:
        return {
            "fill": {f"{e}.{f}": str(v) for (e, f), v in self.fill.items()},
            "map_options": {f"{e}.{f}": dict(m) for (e, f), m in self.options.items()},
        }


def _typed(kind: FieldType, value: Any, key: str) -> Any:
    """``value`` (as JSON or the command line gives it) as the column stores it."""
    try:
        if kind == FieldType.INTEGER and not isinstance(value, bool):
            return int(value)
        if kind == FieldType.DECIMAL and not isinstance(value, bool):
            return Decimal(str(value))
        if kind == FieldType.BOOLEAN:
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if isinstance(value, bool):
                return value
            raise ValueError(value)
        if kind == FieldType.DATE:
            return date.fromisoformat(str(value))
    except (ValueError, ArithmeticError):
        raise DataStepError("fill", f"'{value}' does not fit '{key}' ({kind}).") from None
    return str(value)


class _Columns:
    def __init__(self, conn: sa.Connection, schema: str | None) -> None:
        self._inspector = sa.inspect(conn)
        self._schema = schema

    def of(self, table: str) -> set[str]:
        self._inspector.clear_cache()
        if not self._inspector.has_table(table, schema=self._schema):
            return set()
        return {c["name"] for c in self._inspector.get_columns(table, schema=self._schema)}


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataStepError(key, f"'{key}' must be an object keyed by entity.field.")
    return value


def offered_steps(changes: list[DataChange], steps: DataSteps) -> list[dict[str, Any]]:
    """The data step each destructive change could take, with what was declared."""
    out: list[dict[str, Any]] = []
    for c in changes:
        key = (c.entity, c.field or "")
        where = f"{c.entity}.{c.field}"
        if c.kind == "require_field":
            value = steps.fill.get(key)
            value = value if value is None or isinstance(value, (str, bool, int)) else str(value)
            out.append({"kind": "fill", "field": where, "count": c.count, "value": value})
        elif c.kind == "remove_option":
            mapping = dict(steps.options.get(key, {}))
            out.append({"kind": "map_options", "field": where, "count": c.count, "map": mapping})
    return out


def cli_data_steps(fills: list[str], maps: list[str]) -> dict[str, Any] | None:
    """``--fill e.f=value`` and ``--map-option e.f:old=new`` as a ``data_steps`` object.

    Raises:
        DataStepError: an option not written as shown.
    """
    if not fills and not maps:
        return None
    fill: dict[str, str] = {}
    for item in fills:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DataStepError("fill", f"--fill '{item}': write entity.field=value.")
        fill[key] = value
    options: dict[str, dict[str, str]] = {}
    for item in maps:
        key, sep, pair = item.partition(":")
        old, eq, new = pair.partition("=")
        if not (sep and eq and key and old and new):
            raise DataStepError(
                "map_options", f"--map-option '{item}': write entity.field:old=new."
            )
        options.setdefault(key, {})[old] = new
    return {"fill": fill, "map_options": options}


__all__ = ["DataStepError", "DataSteps", "cli_data_steps", "offered_steps"]
