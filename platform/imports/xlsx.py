"""XLSX rows as a stream (openpyxl read-only), after checking the archive's limits.

An .xlsx file is a zip archive: before openpyxl opens it, every member's size and
compression ratio are checked, so a zip bomb is refused without being inflated.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.imports.errors import ImportRefusedError

#: Largest total uncompressed size of an XLSX archive.
MAX_UNCOMPRESSED = 1 << 30
#: Largest compression ratio of one archive member (spreadsheets stay well below).
MAX_RATIO = 200
#: Members below this size are not checked for their ratio.
_RATIO_FLOOR = 1 << 20


def check_archive(path: Path) -> None:
    """Refuse a file that is no zip archive, is not a workbook, or inflates past the limits.

    Raises:
        ImportRefusedError: naming the limit that was passed.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ImportRefusedError(
            Translatable("The file is not a valid .xlsx workbook (not a zip archive).")
        ) from None
    if not any(m.filename == "xl/workbook.xml" for m in members):
        raise ImportRefusedError(
            Translatable("The file is not a valid .xlsx workbook (no xl/workbook.xml).")
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise ImportRefusedError(
            Translatable(
                "The workbook unpacks to %(total)s bytes; the limit is %(limit)s bytes.",
                total=total,
                limit=MAX_UNCOMPRESSED,
            )
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > _RATIO_FLOOR and ratio > MAX_RATIO:
            raise ImportRefusedError(
                Translatable(
                    "The workbook part %(part)s is compressed %(ratio)s to 1; the limit is "
                    "%(limit)s to 1 (a zip bomb?).",
                    part=m.filename,
                    ratio=f"{ratio:.0f}",
                    limit=MAX_RATIO,
                )
            )


class XlsxRows:
    """The rows of one sheet (the first, or the one named) of a workbook."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        from openpyxl import load_workbook  # heavy: loaded only for XLSX files

        check_archive(path)
        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise ImportRefusedError(
                Translatable("The workbook cannot be read: %(reason)s.", reason=str(exc))
            ) from None
        names = list(self._book.sheetnames)
        if sheet is None and not names:
            raise ImportRefusedError(Translatable("The workbook has no sheet."))
        if sheet is not None and sheet not in names:
            listed = ", ".join(f"'{n}'" for n in names) or Translatable("none")
            raise ImportRefusedError(
                Translatable(
                    "The workbook has no sheet '%(sheet)s' (its sheets: %(sheets)s).",
                    sheet=sheet,
                    sheets=listed,
                )
            )
        self._sheet = self._book[sheet if sheet is not None else names[0]]
        rows = getattr(self._sheet, "max_row", None)
        self.total = rows - 1 if isinstance(rows, int) and rows > 1 else None

    def header(self) -> list[Any]:
        """The first row's cells (empty when the sheet is empty)."""
        for _number, cells, _problem in self._rows():
            return cells
        raise ImportRefusedError(
            Translatable("The sheet is empty: the first row must name the columns.")
        )

    def rows(self) -> Iterator[tuple[int, list[Any], str | None]]:
        """The data rows after the header."""
        source = self._rows()
        next(source, None)
        yield from source

    def _rows(self) -> Iterator[tuple[int, list[Any], str | None]]:
        for number, row in enumerate(self._sheet.iter_rows(values_only=True), start=1):
            yield number, list(row), None

    def close(self) -> None:
        """Close the workbook (read-only workbooks keep the file open)."""
        self._book.close()


__all__ = ["MAX_RATIO", "MAX_UNCOMPRESSED", "XlsxRows", "check_archive"]
