"""Export file formats: CSV, Excel (xlsx, with openpyxl), JSON and JSON Lines.

Values are their JSON forms (dates ISO 8601, decimals as text); lists are joined with
``"; "``, objects written as JSON text. Text that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with
``'`` in CSV and xlsx, so an exported file cannot carry formula injection. Control
characters that xlsx cannot hold (NUL, vertical tab …) become U+FFFD in xlsx cells.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

from trellis.metadata.model import FIELD_TYPES, DslType, FieldDef
from trellis.platform.records.values import to_json
from trellis.platform.records.views import JSON, encode

if TYPE_CHECKING:
    from openpyxl import Workbook

FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv", "csv"),  # the web layer adds "; charset=utf-8" to text types
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": (JSON, "json"),
    "jsonl": ("application/x-ndjson", "jsonl"),
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


def _xlsx_safe(value: Any, illegal: re.Pattern[str]) -> Any:
    """``value`` with the control characters xlsx cannot hold (``illegal``) as U+FFFD."""
    if isinstance(value, str):
        return illegal.sub("\ufffd", value)
    return value


class Exporter:
    """Writes rows of one format to a binary ``sink`` as they come (memory stays flat).

    CSV, JSON and JSON Lines are written row by row; xlsx rows go to openpyxl's
    write-only sheet (kept in a temporary file) and the workbook is written at ``finish``.
    """

    def __init__(
        self,
        fmt: str,
        columns: tuple[str, ...],
        fields: Mapping[str, FieldDef | None],
        sink: BinaryIO,
    ) -> None:
        self.format = fmt
        self.columns = columns
        self.fields = fields
        self.sink = sink
        self._rows = 0
        self._text: io.TextIOWrapper | None = None
        self._book: Workbook | None = None
        if fmt == "csv":
            self._text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=True)
            self._csv = csv.writer(self._text, lineterminator="\r\n")
            self._csv.writerow(columns)
        elif fmt == "xlsx":
            # openpyxl is heavy (about 16 MiB resident): imported by the first xlsx export.
            from openpyxl import Workbook
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

            self._illegal = ILLEGAL_CHARACTERS_RE
            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet("export")
            self._sheet.append(list(columns))
        elif fmt == "json":
            sink.write(b"[")

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append records (mappings holding every column)."""
        fields = self.fields
        for row in rows:
            if self.format in ("json", "jsonl"):
                data = encode({c: to_json(row.get(c), fields.get(c)) for c in self.columns})
                if self.format == "jsonl":
                    self.sink.write(data + b"\n")
                else:
                    self.sink.write((b",\n" if self._rows else b"") + data)
            else:
                cells = [_cell(row.get(c), fields.get(c)) for c in self.columns]
                if self._book is not None:
                    self._sheet.append([_xlsx_safe(v, self._illegal) for v in cells])
                else:
                    self._csv.writerow(["" if v is None else v for v in cells])
            self._rows += 1

    def finish(self) -> None:
        """Write what is left (the JSON closing bracket, the xlsx workbook)."""
        if self.format == "json":
            self.sink.write(b"]")
        elif self._book is not None:
            self._book.save(self.sink)
        elif self._text is not None:
            self._text.flush()
            self._text.detach()  # the sink stays open for the caller


__all__ = ["FORMATS", "Exporter"]
