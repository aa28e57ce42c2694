"""The metadata lifecycle of a tenant: draft -> validate -> plan -> publish, and rollback.

A tenant admin edits a draft (platform/drafts/store.py) over the published version;
``plan_draft`` validates it and shows what a publish would do (DDL, data touched,
metadata diff); ``publish_draft`` applies it under the tenant's publish lock
(platform/drafts/lock.py), refusing destructive changes unless confirmed; ``rollback``
publishes an earlier version's files, archiving instead of dropping. Every publish
and rollback is audited with its diff and plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trellis.metadata.model import AppModel
from trellis.platform.drafts.diff import files_diff, model_diff
from trellis.platform.drafts.errors import (
    DraftFileNotFoundError,
    InvalidDraftError,
    StaleDraftError,
    VersionNotFoundError,
)
from trellis.platform.drafts.lock import publish_lock
from trellis.platform.drafts.plan import Plan, build_plan, guarded_publish, package_folder
from trellis.platform.drafts.store import Draft, DraftStore
from trellis.platform.drafts.versions import note_version, rollback_note
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import TenantInfo


@dataclass(frozen=True, slots=True)
class Published:
    """The tenant's published state: version number, model and files (None before any)."""

    info: TenantInfo
    model: AppModel | None
    files: dict[str, str]

    @property
    def current(self) -> tuple[AppModel, dict[str, str]] | None:
        return (self.model, self.files) if self.model is not None else None


def published(runtime: Runtime, tenant: str) -> Published:
    """What ``tenant`` runs now (read fresh)."""
    info = runtime.tenant(tenant, fresh=True)
    if not info.current_version:
        return Published(info, None, {})
    version = runtime.registry.get_version(info.id, info.current_version)
    files = dict(version.files) if version else {}
    return Published(info, runtime.app(tenant).model, files)


def draft_files(state: Published, draft: Draft) -> dict[str, str]:
    """The published files with the draft's saves and deletions applied."""
    files = dict(state.files)
    for path, change in draft.files.items():
        if change.text is None:
            files.pop(path, None)
        else:
            files[path] = change.text
    return files


def read_file(runtime: Runtime, tenant: str, path: str) -> tuple[str, int]:
    """The draft's text of ``path`` (or the published one) and the draft revision.

    Raises:
        DraftFileNotFoundError: neither the draft nor the published version has it.
    """
    state = published(runtime, tenant)
    draft = DraftStore(runtime.registry).load(state.info.id)
    text = draft_files(state, draft).get(path)
    if text is None:
        raise DraftFileNotFoundError(f"No file '{path}' in the draft of tenant '{tenant}'.")
    return text, draft.revision


def save_file(
    runtime: Runtime, tenant: str, path: str, text: str | None, expected: int | None, actor: str
) -> int:
    """Save (``text``) or delete (None) ``path`` in the draft at revision ``expected``.

    Raises:
        DraftConflictError: the draft moved on since ``expected``: reload.
        DraftFileNotFoundError: deleting a file the draft does not have.
    """
    state = published(runtime, tenant)
    store = DraftStore(runtime.registry)
    if text is None and path not in draft_files(state, store.load(state.info.id)):
        raise DraftFileNotFoundError(f"No file '{path}' in the draft of tenant '{tenant}'.")
    return store.save(state.info, path, text, expected, actor)


def _check_fresh(runtime: Runtime, state: Published, draft: Draft) -> None:
    """Refuse a draft whose files were also changed by a version published after its start."""
    base = draft.base_version
    if not draft.files or base == state.info.current_version:
        return
    old = runtime.registry.get_version(state.info.id, base) if base else None
    base_files = old.files if old else {}
    clashes = sorted(p for p in draft.files if base_files.get(p) != state.files.get(p))
    if clashes:
        raise StaleDraftError(base, state.info.current_version, clashes)


def plan_draft(runtime: Runtime, tenant: str) -> dict[str, Any]:
    """Validate the draft and plan it; an invalid draft answers its positioned errors.

    Raises:
        StaleDraftError: see :func:`_check_fresh`.
    """
    state = published(runtime, tenant)
    draft = DraftStore(runtime.registry).load(state.info.id)
    _check_fresh(runtime, state, draft)
    files = draft_files(state, draft)
    where = {
        "base_version": state.info.current_version,
        "draft_version": draft.revision,
        "draft": draft.as_json(),
    }
    with package_folder(files) as root:
        try:
            plan = build_plan(runtime, tenant, root, current=state.current, files=files)
        except InvalidDraftError as exc:
            return {"valid": False, "errors": exc.errors, **where}
    return {**plan.as_json(), **where}


def _apply(
    runtime: Runtime,
    state: Published,
    files: dict[str, str],
    *,
    actor: str,
    comment: str,
    confirm: bool,
    rollback_to: int | None,
    data_steps: Any = None,
) -> tuple[Plan, int | None, bool]:
    """Plan and publish ``files`` under the publish lock; returns plan, version, unchanged."""
    tenant, info = state.info.name, state.info
    kind = "rollback" if rollback_to is not None else "publish"
    with publish_lock(runtime.registry, info.id, actor, kind), package_folder(files) as root:
        plan, result = guarded_publish(
            runtime,
            tenant,
            root,
            current=state.current,
            files=files,
            actor=actor,
            expected_version=info.current_version,
            confirm=confirm,
            rollback=rollback_to is not None,
            data_steps=data_steps,
        )
    if result.unchanged or result.version_no is None:
        return plan, info.current_version, True
    detail = {
        "version": result.version_no,
        "from_version": info.current_version,
        "comment": comment,
        "diff": plan.diff,
        "plan": {k: v for k, v in plan.as_json().items() if k != "diff"},
    }
    if rollback_to is not None:
        detail["rollback_to"] = rollback_to
    if plan.backup:
        detail["backup"] = plan.backup
    note_version(runtime.registry, info.id, result.version_no, kind, comment, actor, detail)
    runtime.registry.audit.record(
        info.id,
        "metadata.rollback" if rollback_to is not None else "metadata.draft_publish",
        actor=actor,
        target=f"version:{result.version_no}",
        detail=detail,
    )
    return plan, result.version_no, False


def publish_draft(
    runtime: Runtime,
    tenant: str,
    *,
    actor: str,
    comment: str,
    confirm: bool,
    data_steps: Any = None,
) -> dict[str, Any]:
    """Publish the draft as a new version and empty it (with ``data_steps``: fill, map).

    Raises:
        InvalidDraftError: the draft does not validate (nothing applied).
        DestructiveChangeError: destructive changes and ``confirm`` is false.
        PublishLockedError: another publish of the tenant is running.
        StaleDraftError: files of the draft changed in a newer version.
        VersionConflictError: a version was published while this one was planned.
    """
    state = published(runtime, tenant)
    store = DraftStore(runtime.registry)
    draft = store.load(state.info.id)
    _check_fresh(runtime, state, draft)
    files = draft_files(state, draft)
    if files == state.files and state.model is not None:
        # Nothing to publish: answered without re-reading the database's schema.
        store.discard(state.info.id, draft.revision, state.info.current_version, actor)
        return {
            "version": state.info.current_version,
            "unchanged": True,
            "comment": comment,
            "plan": {"valid": True, "errors": [], "ddl": [], "steps": [], "destructive": []},
            "diff": {"files": files_diff(files, files), "metadata": model_diff(None, None)},
        }
    plan, version, unchanged = _apply(
        runtime,
        state,
        files,
        actor=actor,
        comment=comment,
        confirm=confirm,
        rollback_to=None,
        data_steps=data_steps,
    )
    store.discard(state.info.id, draft.revision, version, actor)
    return {"version": version, "unchanged": unchanged, "comment": comment, **_summary(plan)}


def rollback(
    runtime: Runtime,
    tenant: str,
    version: int,
    *,
    actor: str,
    comment: str | None = None,
    dry_run: bool = False,
    confirm: bool = False,
) -> dict[str, Any]:
    """Publish the files of earlier ``version`` as a new version (or only plan it).

    Fields and entities ``version`` lacks are archived: their columns, tables and
    values stay and come back when a later version declares them again. The draft
    is kept; its files that the rollback changed must be saved again before it
    publishes.

    Raises:
        VersionNotFoundError: no such version.
        DestructiveChangeError: narrowing changes and ``confirm`` is false.
        PublishLockedError: another publish of the tenant is running.
    """
    state = published(runtime, tenant)
    old = runtime.registry.get_version(state.info.id, version)
    if old is None:
        raise VersionNotFoundError(f"Tenant '{tenant}' has no version {version}.")
    files = dict(old.files)
    note = comment or rollback_note(version)
    if dry_run:
        with package_folder(files) as root:
            plan = build_plan(
                runtime, tenant, root, current=state.current, files=files, rollback=True
            )
        return {"version": None, "dry_run": True, "rollback_to": version, **plan.as_json()}
    plan, new_version, unchanged = _apply(
        runtime, state, files, actor=actor, comment=note, confirm=confirm, rollback_to=version
    )
    return {
        "version": new_version,
        "unchanged": unchanged,
        "rollback_to": version,
        "comment": note,
        **_summary(plan),
    }


def _summary(plan: Plan) -> dict[str, Any]:
    return {"plan": {k: v for k, v in plan.as_json().items() if k != "diff"}, "diff": plan.diff}


__all__ = [
    "Published",
    "draft_files",
    "plan_draft",
    "publish_draft",
    "published",
    "read_file",
    "rollback",
    "save_file",
]
