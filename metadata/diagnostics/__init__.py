"""Diagnostics: one error format with stable codes, shared by metadata and rules.

Format: ``<path>:<line>:<col>: error <CODE>: <message> (did you mean '<name>'?)``.
Codes never change meaning once released: ``MDnnn`` metadata, ``RLnnn`` rules,
``TNnnn`` tenants.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from trellis.metadata.model.source import SourceSpan


class Severity(Enum):
    """How serious a diagnostic is: errors block a publish, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in an app package, expression or request."""

    code: str
    message: str
    span: SourceSpan
    suggestion: str | None = None
    severity: Severity = Severity.ERROR
    #: Optional excerpt of the offending line with a caret under the column.
    context: str | None = None

    def __str__(self) -> str:
        text = f"{self.span}: {self.severity.value} {self.code}: {self.message}"
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order diagnostics by file, line, column and code."""
        return (self.span.path, self.span.line, self.span.col, self.code)


class DiagnosticError(Exception):
    """An error that carries every diagnostic found at once, sorted by place.

    Its message is one ``path:line:col: error CODE: message`` line per diagnostic.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class MetadataError(DiagnosticError):
    """Raised when a package has errors; carries every diagnostic found at once."""

    @property
    def errors(self) -> list[Diagnostic]:
        """Only the diagnostics of severity error."""
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    def placed(self, root: Path) -> list[dict[str, Any]]:
        """Every error with its file relative to the package ``root``, as the CLI prints it
        (``entities/contact.yaml:12:5: error MD014: …``), for JSON answers."""
        shown = []
        for d in self.errors:
            path = Path(d.span.path)
            relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
            text = f"{relative}:{d.span.line}:{d.span.col}: error {d.code}: {d.message}"
            if d.suggestion:
                text += f" (did you mean '{d.suggestion}'?)"
            shown.append(
                {
                    "file": relative,
                    "line": d.span.line,
                    "column": d.span.col,
                    "code": d.code,
                    "message": d.message,
                    "suggestion": d.suggestion,
                    "text": text,
                }
            )
        return shown


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``name`` when one is close enough, else None."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def caret_excerpt(text: str, line: int, col: int) -> str:
    """Return the 1-based ``line`` of ``text`` with a caret under ``col``."""
    lines = text.splitlines() or [""]
    index = min(max(line, 1), len(lines)) - 1
    return f"{lines[index]}\n{' ' * max(col - 1, 0)}^"


__all__ = [
    "Diagnostic",
    "DiagnosticError",
    "MetadataError",
    "Severity",
    "caret_excerpt",
    "did_you_mean",
]
