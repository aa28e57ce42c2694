"""Why an import cannot run: a refusal before any row is written."""

from __future__ import annotations

from trellis.metadata.model.local_text import Translatable


class ImportRefusedError(ValueError):
    """The file, map or options cannot be imported; nothing was written.

    ``problems`` holds each reason as a plain sentence (the first is the message).
    """

    def __init__(self, *problems: str) -> None:
        super().__init__(problems[0] if problems else Translatable("The import was refused."))
        self.problems = tuple(problems)


__all__ = ["ImportRefusedError"]
