"""Errors of the metadata lifecycle (drafts, plans, publishes, rollbacks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trellis.platform.i18n import Translator


class DraftError(Exception):
    """Base class of the lifecycle's errors."""


class DraftPathError(DraftError):
    """A draft path that is not a package file (absolute, ``..``, unknown suffix)."""


class DraftFileNotFoundError(DraftError):
    """The file is neither in the draft nor in the published version."""


class DraftConflictError(DraftError):
    """``If-Match`` names another draft revision than the current one: reload."""

    def __init__(self, expected: int | None, current: int, updated_by: str | None) -> None:
        by = f", last saved by {updated_by}" if updated_by else ""
        super().__init__(
            f"The draft changed: you edited revision {expected}, it is now revision "
            f"{current}{by}. Reload the file, apply your change again and save."
        )
        self.expected = expected
        self.current = current
        self.updated_by = updated_by


class StaleDraftError(DraftError):
    """The tenant was published since the draft started and files of both changed."""

    def __init__(self, base: int | None, current: int | None, paths: Sequence[str]) -> None:
        super().__init__(
            f"Version {current} was published after your draft started from version {base}, "
            f"and it changed {', '.join(paths)} as well. Save those files again "
            "(reload, re-apply your change) or delete them from the draft."
        )
        self.paths = list(paths)


class PublishLockedError(DraftError):
    """Another publish of the tenant is running."""

    def __init__(self, holder: str, purpose: str, since: str) -> None:
        super().__init__(
            f"{holder} is publishing this tenant ({purpose}, since {since}); "
            "try again when it has finished."
        )
        self.holder = holder


class InvalidDraftError(DraftError):
    """The draft does not validate: every error, placed in its file."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__("\n".join(str(e["text"]) for e in errors))
        self.errors = [dict(e) for e in errors]


class DestructiveChangeError(DraftError):
    """The plan loses or hides data and was not confirmed."""

    def __init__(self, changes: Sequence[str]) -> None:
        super().__init__(
            "This publish would lose or hide data; confirm it to go ahead:\n  "
            + "\n  ".join(changes)
        )
        self.changes = list(changes)

    def translated(self, t: Translator) -> str:
        """The message in ``t``'s language (each change is a Translatable)."""
        head = t.gettext("This publish would lose or hide data; confirm it to go ahead:")
        return head + "\n  " + "\n  ".join(t.message(c) for c in self.changes)


class VersionNotFoundError(DraftError):
    """No such published version of the tenant."""


__all__ = [
    "DestructiveChangeError",
    "DraftConflictError",
    "DraftError",
    "DraftFileNotFoundError",
    "DraftPathError",
    "InvalidDraftError",
    "PublishLockedError",
    "StaleDraftError",
    "VersionNotFoundError",
]
