"""The history of a tenant's metadata versions: notes, the list, and diffs between two."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from trellis.platform.drafts.diff import files_diff, model_diff
from trellis.platform.drafts.errors import VersionNotFoundError
from trellis.platform.drafts.plan import load_checked, package_folder
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import TenantRegistry
from trellis.tenants.registry.entries import aware

#: The note of a rollback given no comment. It is stored in English (the API's comment);
#: screens show it in the reader's language (:func:`rollback_note_target`).
_ROLLBACK_NOTE = "Rollback to version {version}"
_ROLLBACK_NOTE_TEXT = re.compile(r"Rollback to version (\d{1,9})")


def rollback_note(version: int) -> str:
    """The stored note of a rollback to ``version`` given without a comment."""
    return _ROLLBACK_NOTE.format(version=version)


def rollback_note_target(comment: str | None) -> int | None:
    """The version a platform-written rollback note names; None for a person's comment."""
    found = _ROLLBACK_NOTE_TEXT.fullmatch(comment or "")
    return int(found.group(1)) if found else None


def note_version(
    registry: TenantRegistry,
    tenant_id: int,
    version_no: int,
    kind: str,
    comment: str,
    author: str,
    detail: dict[str, Any],
) -> None:
    """Store the comment, kind and plan of a version published from a draft or rollback."""
    notes = registry.metadata.tables["metadata_version_notes"]
    with registry.connect(write=True) as conn, conn.begin():
        conn.execute(
            notes.insert().values(
                tenant_id=tenant_id,
                version_no=version_no,
                kind=kind,
                comment=comment,
                author=author[:254],
                detail=detail,
            )
        )


def list_versions(runtime: Runtime, tenant: str) -> dict[str, Any]:
    """Every version of ``tenant``, newest first, with author, time, kind and comment."""
    registry = runtime.registry
    info = runtime.tenant(tenant, fresh=True)
    v = registry.versions
    n = registry.metadata.tables["metadata_version_notes"]
    query = (
        sa.select(
            v.c.version_no,
            v.c.app_name,
            v.c.app_version,
            v.c.published_at,
            v.c.published_by,
            n.c.kind,
            n.c.comment,
        )
        .select_from(
            v.outerjoin(n, (n.c.tenant_id == v.c.tenant_id) & (n.c.version_no == v.c.version_no))
        )
        .where(v.c.tenant_id == info.id)
        .order_by(v.c.version_no.desc())
    )
    with registry.connect() as conn:
        rows = conn.execute(query).all()
    items = [
        {
            "version": int(r.version_no),
            "app": f"{r.app_name} {r.app_version}",
            "published_at": (aware(r.published_at) or registry.now()).isoformat(),
            "author": r.published_by,
            "kind": r.kind or "package",
            "comment": r.comment or "",
            "current": r.version_no == info.current_version,
        }
        for r in rows
    ]
    return {"current_version": info.current_version, "items": items}


def diff_versions(runtime: Runtime, tenant: str, a: int, b: int) -> dict[str, Any]:
    """What changed from version ``a`` to version ``b``: files and metadata nodes.

    Raises:
        VersionNotFoundError: either version does not exist.
    """
    info = runtime.tenant(tenant, fresh=True)
    found = []
    for number in (a, b):
        version = runtime.registry.get_version(info.id, number)
        if version is None:
            raise VersionNotFoundError(f"Tenant '{tenant}' has no version {number}.")
        found.append(dict(version.files))
    models = []
    for files in found:
        with package_folder(files) as root:
            models.append(load_checked(runtime, root))
    return {
        "from": a,
        "to": b,
        "files": files_diff(found[0], found[1]),
        "metadata": model_diff(models[0], models[1]),
    }


__all__ = [
    "diff_versions",
    "list_versions",
    "note_version",
    "rollback_note",
    "rollback_note_target",
]
