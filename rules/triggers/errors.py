"""The error raised for a bad rule file."""

from __future__ import annotations

from trellis.metadata.diagnostics import DiagnosticError


class RuleFileError(DiagnosticError):
    """A rule file failed to parse or check; carries every problem found.

    Attributes:
        diagnostics: The problems, sorted by file and position, with ``RLnnn`` codes.
    """


__all__ = ["RuleFileError"]
