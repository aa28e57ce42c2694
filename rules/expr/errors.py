"""The error raised for a bad expression, and placing its diagnostics in a file."""

from __future__ import annotations

from dataclasses import dataclass

from trellis.metadata.diagnostics import Diagnostic, DiagnosticError, caret_excerpt
from trellis.metadata.model import SourceSpan

#: Path used in diagnostics when an expression does not come from a file.
EXPR_PATH = "<expr>"


class ExpressionError(DiagnosticError):
    """An expression failed to parse or type-check; carries every problem found.

    Attributes:
        diagnostics: The problems, sorted by position, with ``RLnnn`` codes.
    """


@dataclass(frozen=True, slots=True)
class Locator:
    """Turns 1-based positions inside an expression into diagnostics.

    When ``span`` (where the expression text starts in a YAML file) is given,
    positions are mapped into that file; otherwise they are reported against
    the path ``<expr>``.
    """

    source: str
    span: SourceSpan | None = None

    def at(self, line: int, col: int) -> SourceSpan:
        """Return the file position of ``line``/``col`` inside the expression."""
        if self.span is None:
            return SourceSpan(EXPR_PATH, line, col)
        return self.span.shifted(line - 1, col - 1)

    def diagnostic(
        self,
        code: str,
        message: str,
        line: int,
        col: int,
        *,
        suggestion: str | None = None,
        context: str | None = None,
    ) -> Diagnostic:
        """Build an error diagnostic at ``line``/``col`` with a caret excerpt."""
        return Diagnostic(
            code=code,
            message=message,
            span=self.at(line, col),
            suggestion=suggestion,
            context=context if context is not None else caret_excerpt(self.source, line, col),
        )
