"""``trellis publish`` with the lifecycle's guards: destructive changes need confirming."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trellis.platform.drafts.errors import InvalidDraftError
from trellis.platform.drafts.lock import publish_lock
from trellis.platform.drafts.plan import build_plan, guarded_publish
from trellis.platform.drafts.service import published
from trellis.platform.publish import PublishResult, package_files, publish
from trellis.platform.runtime import Runtime


def publish_package(
    runtime: Runtime,
    tenant: str,
    path: Path,
    *,
    dry_run: bool = False,
    allow_destructive: bool = False,
    actor: str = "cli",
    data_steps: dict[str, Any] | None = None,
) -> tuple[PublishResult, list[str], str | None]:
    """Publish the package folder at ``path``: the result, the data it touches, the backup.

    Changes that hide or invalidate stored data (a dropped field with values, a
    narrowed length, …) are refused unless ``allow_destructive``, and then follow an
    automatic tenant backup (platform/drafts/backups.py); a dropped field or
    entity keeps its column or table (archived), so a later version brings it back.

    Raises:
        DestructiveChangeError: destructive changes without ``allow_destructive``.
        PublishLockedError: another publish of the tenant is running.
        MetadataError: the package is invalid (every error, as ``publish`` reports them).
    """
    state = published(runtime, tenant)
    files = package_files(path)
    root = path.resolve()
    if dry_run:
        try:
            plan = build_plan(runtime, tenant, root, current=state.current, files=files)
        except InvalidDraftError:
            pass  # publish() reports every error in the CLI's format
        else:
            changes = [c.text for c in plan.changes]
            dry = publish(runtime, tenant, path, dry_run=True, published_by=actor)
            return dry, changes, None
        return publish(runtime, tenant, path, dry_run=True, published_by=actor), [], None
    with publish_lock(runtime.registry, state.info.id, actor, "publish"):
        try:
            plan, result = guarded_publish(
                runtime,
                tenant,
                root,
                current=state.current,
                files=files,
                actor=actor,
                expected_version=state.info.current_version,
                confirm=allow_destructive,
                data_steps=data_steps,
            )
        except InvalidDraftError:
            publish(runtime, tenant, path, dry_run=True, published_by=actor)  # raises, as ever
            raise
    return result, [c.text for c in plan.changes], plan.backup


__all__ = ["publish_package"]
