"""The error raised for a bad rule file."""

from __future__ import annotations

from collections.abc import Iterable

from trellis.metadata.diagnostics import Diagnostic


class RuleFileError(Exception):
    """A rule file failed to parse or check; carries every problem found.

    Attributes:
        diagnostics: The problems, sorted by file and position, with ``RLnnn`` codes.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


__all__ = ["RuleFileError"]
