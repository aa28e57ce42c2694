"""The tenant metadata lifecycle: draft -> validate -> plan -> publish, history, rollback."""

from trellis.platform.drafts.errors import (
    DestructiveChangeError,
    DraftConflictError,
    DraftError,
    DraftFileNotFoundError,
    DraftPathError,
    InvalidDraftError,
    PublishLockedError,
    StaleDraftError,
    VersionNotFoundError,
)
from trellis.platform.drafts.lock import publish_lock
from trellis.platform.drafts.refs_expr import Rename
from trellis.platform.drafts.rename import RenameTargetError, rename_in_draft
from trellis.platform.drafts.service import (
    plan_draft,
    publish_draft,
    read_file,
    rollback,
    save_file,
)
from trellis.platform.drafts.store import DraftStore, check_path
from trellis.platform.drafts.versions import diff_versions, list_versions

__all__ = [
    "DestructiveChangeError",
    "DraftConflictError",
    "DraftError",
    "DraftFileNotFoundError",
    "DraftPathError",
    "DraftStore",
    "InvalidDraftError",
    "PublishLockedError",
    "Rename",
    "RenameTargetError",
    "StaleDraftError",
    "VersionNotFoundError",
    "check_path",
    "diff_versions",
    "list_versions",
    "plan_draft",
    "publish_draft",
    "publish_lock",
    "read_file",
    "rename_in_draft",
    "rollback",
    "save_file",
]
