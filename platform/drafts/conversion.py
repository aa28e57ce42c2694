"""Converting a field's stored values to a new type: which convert, to what, and which fail.

A type change (``code: {type: string}`` -> ``{type: integer}``) leaves the stored values
as they are: the publish does not rewrite a column. So before the change is saved (the
field designer) or published (the plan), every stored value is read the way an import
reads a cell of the new type (platform/imports/convert.py: numbers, dates, yes/no,
enum options by name or label), then fitted by the new type's own ``coerce`` (ranges,
scale, length). A value that does not convert is one the application could not read
as the new type: the plan counts them and refuses the publish until they are corrected
or emptied (kind ``convert_type``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldDef, FieldType
from trellis.metadata.model.coerce import FieldValueError
from trellis.metadata.model.field_types import field_type
from trellis.metadata.model.local_text import Translatable
from trellis.platform.imports.convert import CellError, RowConverter
from trellis.platform.imports.mapping import ImportMap

#: Types whose values point at other records: a type change to them cannot be read from text.
_NO_CONVERSION = frozenset(
    {
        FieldType.REFERENCE,
        FieldType.MANY_TO_MANY,
        FieldType.FILE,
        FieldType.ANY_REFERENCE,
        FieldType.AUTONUMBER,
    }
)
#: Values shown in a preview (the first ones by record id).
PREVIEW_ROWS = 10


@dataclass(frozen=True, slots=True)
class ConvertedValue:
    """One stored value: its record, the text before, and after (or why it fails)."""

    record: int
    before: str
    after: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class ConversionPreview:
    """What a type change does to the stored values of one field."""

    entity: str
    field: str
    old_type: str
    new_type: str
    #: Non-empty stored values, and how many of them do not convert.
    values: int
    failed: int
    #: The first values by record id, and the first ones that fail.
    samples: tuple[ConvertedValue, ...]
    failures: tuple[ConvertedValue, ...]


def shown(value: Any) -> str:
    """A stored or converted value as text (ISO dates, plain decimals, lists by ``; ``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, tuple)):
        return "; ".join(shown(v) for v in value)
    return str(value)


def _unresolvable(f: FieldDef, cell: Any) -> int:
    raise CellError(Translatable("'%(cell)s' cannot become a record reference.", cell=cell))


def converter(new: FieldDef) -> Callable[[Any], Any]:
    """The function that converts one stored value to ``new``'s type.

    It raises ``CellError`` or ``FieldValueError`` for a value that does not convert.
    """
    reader = RowConverter(
        {new.name: new}, (new.name,), ImportMap({new.name: new.name}), _unresolvable
    )
    fit = field_type(new.type.value).coerce

    def convert(value: Any) -> Any:
        if new.type in _NO_CONVERSION:
            raise CellError(
                Translatable("Stored values cannot be converted to %(type)s.", type=new.type.value)
            )
        cell = shown(value) if not isinstance(value, str) else value
        result = reader.value(new, cell)
        if result is None:
            return None
        if isinstance(result, str) and new.max_length is not None and len(result) > new.max_length:
            raise FieldValueError(Translatable("Longer than %(n)s characters.", n=new.max_length))
        return result if isinstance(result, list) else fit(result, new)

    return convert


def _values(
    conn: sa.Connection, schema: str | None, entity: str, name: str
) -> Iterator[tuple[int, Any]]:
    table = sa.table(entity, sa.column("id"), sa.column(name), schema=schema)
    col = table.c[name]
    query = (
        sa.select(table.c.id, col)
        .where(col.is_not(None), sa.cast(col, sa.Text) != "")
        .order_by(table.c.id)
    )
    # Per statement: Connection.execution_options would change the caller's connection.
    for row in conn.execute(query.execution_options(yield_per=500)):
        yield int(row[0]), row[1]


def preview_conversion(
    conn: sa.Connection,
    schema: str | None,
    entity: str,
    old: FieldDef,
    new: FieldDef,
    *,
    limit: int = PREVIEW_ROWS,
) -> ConversionPreview:
    """Convert every stored value of ``entity``.``old`` to ``new``'s type (nothing written)."""
    convert = converter(new)
    samples: list[ConvertedValue] = []
    failures: list[ConvertedValue] = []
    values = failed = 0
    for record, value in _values(conn, schema, entity, old.name):
        values += 1
        try:
            after: str | None = shown(convert(value))
            error = None
        except (CellError, FieldValueError, ValueError) as exc:
            reason = exc.args[0] if exc.args else None
            after, error = None, reason if isinstance(reason, str) else str(exc)
            failed += 1
        item = ConvertedValue(record, shown(value), after, error)
        if len(samples) < limit:
            samples.append(item)
        if error is not None and len(failures) < limit:
            failures.append(item)
    return ConversionPreview(
        entity,
        old.name,
        old.type.value,
        new.type.value,
        values,
        failed,
        tuple(samples),
        tuple(failures),
    )


def type_changed(old: FieldDef, new: FieldDef) -> bool:
    """Whether ``old`` -> ``new`` changes the type of a stored (not computed) field."""
    computed = new.formula is not None or new.rollup is not None
    return old.type != new.type and not computed and old.formula is None and old.rollup is None


__all__ = [
    "PREVIEW_ROWS",
    "ConversionPreview",
    "ConvertedValue",
    "converter",
    "preview_conversion",
    "shown",
    "type_changed",
]
