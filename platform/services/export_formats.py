"""Export file formats: CSV, Excel (xlsx, with openpyxl) and JSON.

Values are their JSON forms (dates ISO 8601, decimals as text); lists are joined with
``"; "``, objects written as JSON text. Text that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with
``'`` in CSV and xlsx, so an exported file cannot carry formula injection.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook

from trellis.metadata.model import FIELD_TYPES, DslType, FieldDef
from trellis.platform.records.values import to_json
from trellis.platform.records.views import JSON, encode

FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv", "csv"),  # the web layer adds "; charset=utf-8" to text types
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": (JSON, "json"),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any, f: FieldDef | None) -> Any:
    """One value for a spreadsheet cell or CSV field."""
    shown = to_json(value, f)
    if shown is None:
        return None
    if isinstance(shown, list):
        shown = "; ".join(str(v) for v in shown)
    elif isinstance(shown, dict):
        shown = json.dumps(shown, ensure_ascii=False, sort_keys=True)
    is_text = f is None or FIELD_TYPES[f.type].dsl_type in (DslType.TEXT, DslType.LIST)
    if isinstance(shown, str) and is_text and shown.startswith(_FORMULA_START):
        return "'" + shown
    return shown


class Exporter:
    """Collects rows for one format and returns the file's bytes."""

    def __init__(self, fmt: str, columns: tuple[str, ...], fields: Mapping[str, FieldDef]):
        self.format = fmt
        self.columns = columns
        self.fields = fields
        self._json: list[dict[str, Any]] = []
        self._text = io.StringIO()
        self._csv = csv.writer(self._text, lineterminator="\r\n")
        self._book: Workbook | None = None
        if fmt == "csv":
            self._csv.writerow(columns)
        elif fmt == "xlsx":
            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet("export")
            self._sheet.append(list(columns))

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append records (mappings holding every column)."""
        fields = self.fields
        for row in rows:
            if self.format == "json":
                self._json.append({c: to_json(row.get(c), fields.get(c)) for c in self.columns})
            else:
                cells = [_cell(row.get(c), fields.get(c)) for c in self.columns]
                if self._book is not None:
                    self._sheet.append(cells)
                else:
                    self._csv.writerow(["" if v is None else v for v in cells])

    def finish(self) -> bytes:
        """The file's content."""
        if self.format == "json":
            return encode(self._json)
        if self._book is not None:
            out = io.BytesIO()
            self._book.save(out)
            return out.getvalue()
        return self._text.getvalue().encode("utf-8")


__all__ = ["FORMATS", "Exporter"]
