"""``lines`` fields: the lines sent with a parent, their checks, and reading them back.

A parent's create or update may carry ``"items": [{…}, {"id": 5, …}]``: lines without
an id are created, lines with an id updated, the parent's other lines deleted, all in
the parent's save (:mod:`trellis.platform.records.pipeline.lines_step`). Reads answer
the lines inline, in their order (``line_position``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import POSITION_COLUMN, EntityDef, LinesDef
from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.records.views import record_json


@dataclass(frozen=True, slots=True)
class LineField:
    """One ``lines`` field with its line entity compiled."""

    lines: LinesDef
    child: CompiledEntity

    @property
    def parent_field(self) -> str:
        """The line entity's reference back to the parent."""
        return str(self.lines.parent_field)

    @property
    def columns(self) -> tuple[str, ...]:
        """What a line answers: its columns without the reference back."""
        return tuple(c for c in self.child.columns if c != self.parent_field)


def line_fields(app: CompiledApp, entity: EntityDef) -> tuple[LineField, ...]:
    """The ``lines`` fields of ``entity``, in declaration order."""
    return tuple(LineField(d, app.entities[d.entity]) for d in entity.lines.values())


def split_lines(
    entity: EntityDef, data: Mapping[str, Any], *, creating: bool
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Separate the ``lines`` fields from the parent's own values, and check their shape.

    Raises:
        ValidationFailedError: a lines value that is not a list of objects, an ``id``
            that is not a positive whole number or repeats, fewer lines than ``min``
            (or none for a required field, a create sending none) or more than ``max``.
    """
    own = {k: v for k, v in data.items() if k not in entity.lines}
    sent: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, list[str]] = {}
    for name, lines in entity.lines.items():
        if name not in data:
            if creating and lines.fewest:
                errors[name] = [_too_few(lines)]
            continue
        value = [] if data[name] is None else data[name]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            errors[name] = [Translatable("Send a list of lines (objects).")]
            continue
        if len(value) < lines.fewest:
            errors[name] = [_too_few(lines)]
        elif lines.max is not None and len(value) > lines.max:
            errors[name] = [Translatable("At most %(max)s lines.", max=lines.max)]
        value = [_whole_id(line) for line in value]
        errors.update(_id_errors(name, value))
        sent[name] = value
    if errors:
        raise ValidationFailedError(errors)
    return own, sent


def _whole_id(line: dict[str, Any]) -> dict[str, Any]:
    """``line`` with an ``id`` sent as a whole float (``5.0``, JSON's integer) as an int."""
    line_id = line.get("id")
    if isinstance(line_id, float) and line_id.is_integer() and abs(line_id) < 2**63:
        return {**line, "id": int(line_id)}
    return line


def _id_errors(name: str, lines: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each sent ``id`` is a positive whole number, sent once."""
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for i, line in enumerate(lines):
        line_id = line.get("id")
        if line_id is None:
            continue
        if isinstance(line_id, bool) or not isinstance(line_id, int) or line_id < 1:
            errors[f"{name}[{i}].id"] = [Translatable("A line id is a positive whole number.")]
        elif line_id in seen:
            errors[f"{name}[{i}].id"] = [Translatable("Line %(id)s is sent twice.", id=line_id)]
        else:
            seen.add(line_id)
    return errors


def _too_few(lines: LinesDef) -> str:
    fewest = max(lines.fewest, 1)
    if fewest == 1:
        return Translatable("At least one line.")
    return Translatable("At least %(min)s lines.", min=fewest)


def stored_lines(conn: sa.Connection, field: LineField, parent_id: int) -> list[dict[str, Any]]:
    """The live lines of ``parent_id``, in their order (position, then id).

    Lines created on their own (``POST …/invoice_line``) have no position: they come
    after the others, on every database.
    """
    t = field.child.table
    query = (
        sa.select(t)
        .where(t.c[field.parent_field] == parent_id, t.c.deleted_at.is_(None))
        .order_by(t.c[POSITION_COLUMN].is_(None), t.c[POSITION_COLUMN], t.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def lines_json(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    parent_id: int,
    hidden: Callable[[str], Collection[str]] = lambda _entity: (),
) -> dict[str, list[dict[str, Any]]]:
    """Every ``lines`` field of record ``parent_id`` as JSON: field -> list of lines.

    ``hidden(line_entity)`` names the line columns the reader may not see (left out).
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for f in line_fields(app, entity.entity):
        unseen = set(hidden(f.child.name))
        columns = [c for c in f.columns if c not in unseen]
        rows = stored_lines(conn, f, parent_id)
        out[f.lines.name] = [record_json(f.child, row, columns) for row in rows]
    return out


__all__ = ["LineField", "line_fields", "lines_json", "split_lines", "stored_lines"]
