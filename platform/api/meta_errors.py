"""The HTTP meaning of the metadata lifecycle's errors (platform/drafts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from trellis.platform.drafts import (
    DestructiveChangeError,
    DraftConflictError,
    DraftFileNotFoundError,
    DraftPathError,
    InvalidDraftError,
    PublishLockedError,
    RenameTargetError,
    StaleDraftError,
    VersionNotFoundError,
)
from trellis.platform.drafts.data_steps import DataStepError
from trellis.platform.records.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from trellis.tenants.registry import VersionConflictError


@contextmanager
def meta_errors() -> Iterator[None]:
    """Turn lifecycle errors into API errors (status, message and the details to act on)."""
    try:
        yield
    except DraftPathError as exc:
        raise BadRequestError(str(exc), {"path": [str(exc)]}) from None
    except (DraftFileNotFoundError, VersionNotFoundError, RenameTargetError) as exc:
        raise NotFoundError(str(exc)) from None
    except DraftConflictError as exc:
        raise ConflictError(
            str(exc), draft_version=exc.current, updated_by=exc.updated_by
        ) from None
    except StaleDraftError as exc:
        raise ConflictError(str(exc), paths=exc.paths) from None
    except PublishLockedError as exc:
        raise ConflictError(str(exc), locked_by=exc.holder) from None
    except DestructiveChangeError as exc:
        raise ConflictError(
            str(exc), {"confirm_destructive": [str(exc)]}, destructive=exc.changes
        ) from None
    except VersionConflictError:
        message = "Another version was published meanwhile. Reload the plan and publish again."
        raise ConflictError(message) from None
    except DataStepError as exc:
        raise ValidationFailedError({f"data_steps.{exc.key}": [str(exc)]}) from None
    except InvalidDraftError as exc:
        error = ValidationFailedError({"draft": [str(e["text"]) for e in exc.errors]})
        error.extra["diagnostics"] = exc.errors
        raise error from None


__all__ = ["meta_errors"]
