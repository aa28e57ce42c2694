"""``trellis publish`` with the lifecycle's guards: destructive changes need confirming."""

from __future__ import annotations

from pathlib import Path

from trellis.platform.drafts.errors import DestructiveChangeError, InvalidDraftError
from trellis.platform.drafts.lock import publish_lock
from trellis.platform.drafts.plan import build_plan
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
) -> tuple[PublishResult, list[str]]:
    """Publish the package folder at ``path``; returns the result and the data it touches.

    Changes that hide or invalidate stored data (a dropped field with values, a
    narrowed length, …) are refused unless ``allow_destructive``; a dropped field or
    entity keeps its column or table (archived), so a later version brings it back.

    Raises:
        DestructiveChangeError: destructive changes without ``allow_destructive``.
        PublishLockedError: another publish of the tenant is running.
        MetadataError: the package is invalid (every error, as ``publish`` reports them).
    """
    state = published(runtime, tenant)
    files = package_files(path)
    try:
        plan = build_plan(runtime, tenant, path.resolve(), current=state.current, files=files)
        changes = [c.text for c in plan.changes]
        to_confirm = [c.text for c in plan.to_confirm]
    except InvalidDraftError:
        changes, to_confirm = [], []  # publish() reports every error in the CLI's format
    if dry_run:
        return publish(runtime, tenant, path, dry_run=True, published_by=actor), changes
    if to_confirm and not allow_destructive:
        raise DestructiveChangeError(to_confirm)
    with publish_lock(runtime.registry, state.info.id, actor, "publish"):
        result = publish(
            runtime,
            tenant,
            path,
            published_by=actor,
            expected_version=state.info.current_version,
        )
    return result, changes


__all__ = ["publish_package"]
