"""Collects diagnostics while a package is checked."""

from __future__ import annotations

from collections.abc import Iterable

from trellis.metadata.diagnostics import Diagnostic, Severity
from trellis.metadata.model import SourceSpan


class Report:
    """An append-only list of diagnostics with small helpers."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(
        self, code: str, message: str, span: SourceSpan, suggestion: str | None = None
    ) -> None:
        """Record an error."""
        self.items.append(Diagnostic(code, message, span, suggestion))

    def warning(
        self, code: str, message: str, span: SourceSpan, suggestion: str | None = None
    ) -> None:
        """Record a warning (does not block loading)."""
        self.items.append(Diagnostic(code, message, span, suggestion, Severity.WARNING))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record diagnostics found elsewhere."""
        self.items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        """Whether any recorded diagnostic is an error."""
        return any(d.severity is Severity.ERROR for d in self.items)
