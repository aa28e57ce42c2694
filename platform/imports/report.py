"""The error report: each failed row as it was, its row number and its errors.

The report is a CSV file: ``row``, ``errors`` (``field: message`` joined with `` | ``)
and then the file's own columns; its titles and messages are in the import's language.
It is written as ``<name>.part`` while the import runs and renamed when it ends; a
resumed import cuts the part back to what the last committed batch left, so no row is
reported twice.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import IO, Any

from trellis.platform.i18n import Translator


def error_text(errors: dict[str, list[str]]) -> str:
    """``field: message | field: message`` (``__all__`` errors without a field)."""
    parts = []
    for name, messages in errors.items():
        for message in messages:
            parts.append(message if name == "__all__" else f"{name}: {message}")
    return " | ".join(parts)


class ErrorReport:
    """Appends failed rows to ``<path>.part``; ``finish`` renames it to ``path``."""

    def __init__(
        self,
        path: Path,
        headers: tuple[str, ...],
        *,
        resume_at: int | None,
        translator: Translator | None = None,
    ) -> None:
        """``translator`` gives the report's own column titles (``row``, ``errors``) in
        its language (English without one); the rows' errors come translated already."""
        self.path = path
        self.part = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = resume_at is None or not self.part.exists()
        self._file: IO[str] = self.part.open(
            "a+" if not fresh else "w", encoding="utf-8", newline=""
        )
        if not fresh and resume_at is not None:
            self._file.truncate(resume_at)
            self._file.seek(resume_at)
        self._csv = csv.writer(self._file)
        if fresh:
            t = translator or Translator()
            self._csv.writerow([t.gettext("row"), t.gettext("errors"), *headers])

    def add(self, number: int, cells: tuple[Any, ...], errors: dict[str, list[str]]) -> None:
        """Report one failed row."""
        shown = ["" if c is None else str(c) for c in cells]
        self._csv.writerow([number, error_text(errors), *shown])

    def flush(self) -> int:
        """Make what was added durable; returns the report's size (the resume point)."""
        self._file.flush()
        os.fsync(self._file.fileno())
        return self._file.tell()

    def finish(self) -> None:
        """Close and move the report to its final name (atomically)."""
        self.flush()
        self._file.close()
        os.replace(self.part, self.path)

    def close(self) -> None:
        """Close without finishing (an interrupted import keeps its part)."""
        if not self._file.closed:
            self._file.close()


__all__ = ["ErrorReport", "error_text"]
