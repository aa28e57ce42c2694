"""Read an import file as a stream of rows: CSV (any encoding) or XLSX (read-only).

A reader never holds the whole file: rows come one at a time with their 1-based
line number in the sheet (the header is row 1). Problems with the file itself
(unknown format, duplicate headers, a wrong encoding at the start, a zip bomb, a
missing sheet) are refused before any row is read; problems of one row (a
ragged row, undecodable bytes further on) are that row's errors.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.xlsx import XlsxRows

#: Bytes decoded strictly before the run to catch a wrong encoding early.
_PROBE_BYTES = 1 << 16
_DELIMITERS = ",;\t|"
#: Bytes the decoder could not read, kept as lone surrogates (``surrogateescape``).
_UNDECODABLE = re.compile("[\udc80-\udcff]")
#: Longest CSV cell (the csv module's own default is 128 KiB).
MAX_CELL = 1 << 20


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: its line in the file, its cells, and a problem with it (or None)."""

    number: int
    cells: tuple[Any, ...]
    problem: str | None = None


@dataclass(slots=True)
class ReadOptions:
    """How to read the file: its encoding (CSV), sheet (XLSX) and CSV delimiter."""

    encoding: str = "utf-8"
    sheet: str | None = None
    delimiter: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class RowSource:
    """The header and the data rows of one file, with how far the reading has come."""

    def __init__(self, path: Path, options: ReadOptions) -> None:
        self.path = path
        self.options = options
        self.size = path.stat().st_size
        self.kind = file_kind(path)
        self._xlsx: XlsxRows | None = None
        self._raw: io.BufferedReader | None = None
        self._text: io.TextIOWrapper | None = None
        try:
            if self.kind == "xlsx":
                self._xlsx = XlsxRows(path, options.sheet)
                header = self._xlsx.header()
            else:
                header = self._csv_header()
            self.headers = check_headers(header)
        except BaseException:
            self.close()
            raise

    # reading ------------------------------------------------------------------------
    def rows(self) -> Iterator[SourceRow]:
        """Every data row after the header; blank rows are skipped."""
        width = len(self.headers)
        if self._xlsx is not None:
            source = self._xlsx.rows()
        else:
            source = self._csv_rows()
            next(source, None)  # the header
        for number, cells, problem in source:
            if problem is None and not any(_filled(c) for c in cells):
                continue
            if problem is None and len(cells) != width:
                if len(cells) > width and not any(_filled(c) for c in cells[width:]):
                    cells = cells[:width]
                else:
                    problem = Translatable(
                        "The row has %(cells)s cells; the header has %(width)s.",
                        cells=len(cells),
                        width=width,
                    )
            yield SourceRow(number, tuple(cells), problem)

    @property
    def total(self) -> int | None:
        """The number of data rows when the format tells it cheaply (XLSX), else None."""
        return self._xlsx.total if self._xlsx is not None else None

    def fraction(self) -> float | None:
        """How much of the file has been read (0..1), for the ETA; None when unknown."""
        if self._raw is None or not self.size:
            return None
        if self._raw.closed:
            return 1.0
        return min(1.0, self._raw.tell() / self.size)

    def close(self) -> None:
        """Release the file."""
        if self._text is not None:
            self._text.close()
            self._text = None
        if self._raw is not None:
            self._raw.close()
        if self._xlsx is not None:
            self._xlsx.close()

    # CSV ----------------------------------------------------------------------------
    def _codec(self) -> str:
        name = self.options.encoding or "utf-8"
        try:
            info = codecs.lookup(name)
        except LookupError:
            raise ImportRefusedError(
                Translatable(
                    "Encoding '%(name)s' is unknown; use a name such as utf-8, cp1252 or latin-1.",
                    name=name,
                )
            ) from None
        # A UTF-8 file may start with a byte order mark: read past it.
        return "utf-8-sig" if info.name == "utf-8" else info.name

    def _csv_header(self) -> list[str]:
        codec = self._codec()
        with self.path.open("rb") as probe:
            head = probe.read(_PROBE_BYTES)
        try:
            codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError as exc:
            raise ImportRefusedError(
                Translatable(
                    "The file is not valid %(encoding)s (byte %(byte)s cannot be decoded); "
                    "name its encoding, for example --encoding cp1252.",
                    encoding=self.options.encoding,
                    byte=exc.start + 1,
                )
            ) from None
        if b"\0" in head:
            raise ImportRefusedError(
                Translatable("The file holds NUL bytes: it is not a CSV text file.")
            )
        first = head.decode(codec, errors="replace").splitlines()[0] if head else ""
        self.options.delimiter = self.options.delimiter or _sniff(first)
        for _number, cells, _problem in self._csv_rows():
            return [str(c) for c in cells]
        raise ImportRefusedError(
            Translatable("The file is empty: the first row must name the columns.")
        )

    def _csv_rows(self) -> Iterator[tuple[int, list[Any], str | None]]:
        """Rows from the start of the file; the header comes first (line 1)."""
        if self._text is not None:
            self._text.close()
        self._raw = self.path.open("rb")
        self._text = text = io.TextIOWrapper(
            self._raw, encoding=self._codec(), errors="surrogateescape", newline=""
        )
        csv.field_size_limit(MAX_CELL)
        reader = csv.reader(text, delimiter=self.options.delimiter or ",")
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number = reader.line_num
                yield (
                    number,
                    [],
                    Translatable("The row cannot be read as CSV: %(reason)s.", reason=str(exc)),
                )
                continue
            number += 1
            if _UNDECODABLE.search("".join(cells)):
                fixed = [
                    c.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for c in cells
                ]
                problem = Translatable(
                    "The row is not valid %(encoding)s; name the file's encoding with --encoding.",
                    encoding=self.options.encoding,
                )
                yield number, fixed, problem
                continue
            yield number, cells, None


def file_kind(path: Path) -> str:
    """``csv`` or ``xlsx``, from the name and the first bytes.

    Raises:
        ImportRefusedError: an old binary Excel file or another format.
    """
    with path.open("rb") as f:
        magic = f.read(8)
    suffix = path.suffix.lower()
    if magic.startswith(b"PK\x03\x04") or suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if magic.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise ImportRefusedError(
            "Old .xls files cannot be imported: save the sheet as .xlsx or CSV."
        )
    return "csv"


def check_headers(header: list[Any]) -> tuple[str, ...]:
    """The column names, stripped; empty names become ``column N``.

    Raises:
        ImportRefusedError: a name appears twice (naming both columns), or no columns.
    """
    names = [str(h).strip() if h is not None else "" for h in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ImportRefusedError(Translatable("The first row is empty: it must name the columns."))
    names = [n or f"column {i}" for i, n in enumerate(names, start=1)]
    seen: dict[str, int] = {}
    problems: list[str] = []
    for index, name in enumerate(names, start=1):
        key = name.casefold()
        if key in seen:
            problems.append(
                Translatable(
                    "Column '%(name)s' appears twice (columns %(first)s and %(second)s); "
                    "rename one.",
                    name=name,
                    first=seen[key],
                    second=index,
                )
            )
        else:
            seen[key] = index
    if problems:
        raise ImportRefusedError(*problems)
    return tuple(names)


def _sniff(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or cell.strip() != "")


__all__ = ["MAX_CELL", "ReadOptions", "RowSource", "SourceRow", "check_headers", "file_kind"]
