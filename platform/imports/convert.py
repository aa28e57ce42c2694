"""Turn a row's cells into field values by field type, before the save pipeline checks them.

Text cells are read the way people write them: dates in the declared formats (ISO
by default), enum options by name or label, booleans as yes/no, ``;``-separated tags
and multi-enum options. Cells XLSX already typed (numbers, dates) pass through.
References go through a resolver (a lookup field, optionally creating the target).
Each problem is the row's error on that field; the value is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from trellis.metadata.model import FieldDef, FieldType
from trellis.metadata.model.local_text import LocalText, Translatable
from trellis.platform.imports.mapping import ImportMap

#: Finds (or creates) the id of the target of reference ``field`` by a cell's text.
Resolver = Callable[[FieldDef, Any], int]

_TRUE = frozenset({"true", "yes", "y", "1", "x", "on", "sí", "si", "verdadero"})
_FALSE = frozenset({"false", "no", "n", "0", "off", "falso"})
_ISO_DATE = "%Y-%m-%d"
_TEXT = frozenset(
    {
        FieldType.STRING, FieldType.TEXT, FieldType.EMAIL, FieldType.PHONE,
        FieldType.URL, FieldType.RICH_TEXT,
    }
)  # fmt: skip


class CellError(ValueError):
    """A cell that cannot become a value of its field (the message says why)."""


class RowConverter:
    """Converts the cells of rows with one header, for one entity and map."""

    def __init__(
        self,
        fields: Mapping[str, FieldDef],
        headers: tuple[str, ...],
        imap: ImportMap,
        resolve: Resolver,
    ) -> None:
        self._columns = [
            (index, fields[name])
            for index, header in enumerate(headers)
            if (name := imap.columns.get(header)) is not None and name in fields
        ]
        self._formats = imap.formats
        self._resolve = resolve
        self._options = {
            f.name: _option_names(f) for _i, f in self._columns if f.options or f.option_labels
        }

    def convert(self, cells: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The row's values by field and its errors by field."""
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for index, f in self._columns:
            cell = cells[index] if index < len(cells) else None
            try:
                values[f.name] = self.value(f, cell)
            except CellError as exc:
                errors[f.name] = [exc.args[0] if exc.args else str(exc)]
        return values, errors

    def value(self, f: FieldDef, cell: Any) -> Any:
        """One cell as a value of ``f`` (None for an empty cell)."""
        if isinstance(cell, str):
            cell = cell.strip()
            if cell == "":
                return None
        if cell is None:
            return None
        match f.type:
            case t if t in _TEXT:
                return _text(cell)
            case FieldType.INTEGER | FieldType.USER:
                return _integer(cell)
            case FieldType.DECIMAL | FieldType.MONEY | FieldType.PERCENT:
                return _decimal(cell)
            case FieldType.BOOLEAN:
                return _boolean(cell)
            case FieldType.DATE:
                return _date(cell, self._formats.get(f.name))
            case FieldType.DATETIME:
                return _datetime(cell, self._formats.get(f.name))
            case FieldType.ENUM | FieldType.PIPELINE:
                return self._option(f, _text(cell))
            case FieldType.MULTI_ENUM:
                return [self._option(f, part) for part in _parts(cell)]
            case FieldType.TAGS:
                return _parts(cell)
            case FieldType.REFERENCE:
                return self._resolve(f, cell)
            case FieldType.JSON:
                return _json(cell)
            case _:
                return cell

    def _option(self, f: FieldDef, text: str) -> str:
        names = self._options.get(f.name, {})
        found = names.get(text.casefold())
        if found is None:
            shown = ", ".join(f.options[:10]) + (" …" if len(f.options) > 10 else "")
            raise CellError(
                Translatable(
                    "'%(text)s' is not an option of %(field)s (%(shown)s).",
                    text=text,
                    field=f.name,
                    shown=shown,
                )
            )
        return found


def _option_names(f: FieldDef) -> dict[str, str]:
    """Each option by its name and by each of its labels, case-folded."""
    names: dict[str, str] = {}
    for option in f.options:
        label = f.option_label(option)
        texts = [label, *(label.by_locale.values() if isinstance(label, LocalText) else ())]
        for text in texts:
            names.setdefault(str(text).casefold(), option)
    for option in f.options:
        names[option.casefold()] = option
    return names


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return cell if isinstance(cell, str) else str(cell)


def _parts(cell: Any) -> list[str]:
    return [p.strip() for p in _text(cell).split(";") if p.strip()]


def _integer(cell: Any) -> int:
    if isinstance(cell, bool):
        raise CellError(Translatable("'%(cell)s' is not a whole number.", cell=cell))
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    text = str(cell).replace("\u00a0", "").replace(" ", "")
    try:
        return int(text)
    except ValueError:
        raise CellError(Translatable("'%(cell)s' is not a whole number.", cell=cell)) from None


def _not_a_number(cell: Any) -> Translatable:
    return Translatable("'%(cell)s' is not a number (write it as 1234.56).", cell=cell)


def _decimal(cell: Any) -> str:
    if isinstance(cell, bool):
        raise CellError(Translatable("'%(cell)s' is not a number.", cell=cell))
    text = str(cell).replace("\u00a0", "").replace(" ", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_not_a_number(cell)) from None
    if not number.is_finite():
        raise CellError(_not_a_number(cell))
    return format(number, "f")


def _boolean(cell: Any) -> bool:
    if isinstance(cell, bool):
        return cell
    text = str(cell).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(Translatable("'%(cell)s' is not yes or no (true/false, 1/0).", cell=cell))


def _date(cell: Any, fmt: str | None) -> str:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    text = str(cell)
    try:
        return datetime.strptime(text, fmt or _ISO_DATE).date().isoformat()
    except ValueError:
        shown = fmt or "YYYY-MM-DD"
        raise CellError(
            Translatable(
                "'%(text)s' is not a date in the format %(shown)s.", text=text, shown=shown
            )
        ) from None


def _datetime(cell: Any, fmt: str | None) -> str:
    if isinstance(cell, datetime):
        return cell.isoformat()
    text = str(cell)
    try:
        if fmt:
            return datetime.strptime(text, fmt).isoformat()
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        shown = fmt or "ISO 8601 (2026-01-31T10:00:00Z)"
        raise CellError(
            Translatable(
                "'%(text)s' is not a date and time in the format %(shown)s.", text=text, shown=shown
            )
        ) from None


def _json(cell: Any) -> Any:
    try:
        return json.loads(_text(cell))
    except ValueError:
        raise CellError(Translatable("The cell is not valid JSON.")) from None


__all__ = ["CellError", "Resolver", "RowConverter"]
