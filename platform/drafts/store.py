"""The tenant's one draft in the system database: files, revision, who changed what.

A draft holds only the files an admin changed (``text`` None = deleted) over the
version it started from. Every save names the draft revision it was based on
(``If-Match``); a save based on an older revision is refused, so two admins never
overwrite each other. Saves of one tenant run one after the other under the tenant's
registry lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

import sqlalchemy as sa

from trellis.platform.drafts.errors import DraftConflictError, DraftPathError
from trellis.platform.publish import PACKAGE_SUFFIXES
from trellis.tenants.registry import TenantInfo, TenantRegistry
from trellis.tenants.registry.entries import aware

#: Longest draft path accepted.
MAX_PATH = 300


@dataclass(frozen=True, slots=True)
class DraftFile:
    """One changed file of a draft (``text`` None: the draft deletes it)."""

    path: str
    text: str | None
    revision: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Draft:
    """The tenant's draft: revision 0 and no files when nobody has saved one."""

    revision: int
    base_version: int | None
    updated_by: str | None
    updated_at: datetime | None
    files: dict[str, DraftFile]

    def as_json(self) -> dict[str, object]:
        """The draft's summary: revision, base version and who changed which file."""
        return {
            "draft_version": self.revision,
            "base_version": self.base_version,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "files": [
                {
                    "path": f.path,
                    "change": "delete" if f.text is None else "save",
                    "revision": f.revision,
                    "updated_by": f.updated_by,
                    "updated_at": f.updated_at.isoformat(),
                }
                for f in sorted(self.files.values(), key=lambda f: f.path)
            ],
        }


def check_path(path: str) -> str:
    """``path`` as a package-relative POSIX path, or ``DraftPathError``."""
    text = path.strip().lstrip("/")
    pure = PurePosixPath(text)
    if (
        not text
        or len(text) > MAX_PATH
        or "\\" in text
        or "\x00" in text
        or any(part in ("", ".", "..") for part in text.split("/"))
        or pure.suffix not in PACKAGE_SUFFIXES
    ):
        suffixes = ", ".join(sorted(PACKAGE_SUFFIXES))
        raise DraftPathError(
            f"'{path}' is not a package file path: use a relative path such as "
            f"entities/contact.yaml, without '..', ending in one of {suffixes}."
        )
    return pure.as_posix()


class DraftStore:
    """Reads and writes the draft tables through the registry's connections."""

    def __init__(self, registry: TenantRegistry) -> None:
        self._registry = registry
        tables = registry.metadata.tables
        self._drafts = tables["metadata_drafts"]
        self._files = tables["metadata_draft_files"]

    def load(self, tenant_id: int, conn: sa.Connection | None = None) -> Draft:
        """The tenant's draft (an empty one at revision 0 when none exists)."""
        if conn is None:
            with self._registry.connect() as own:
                return self.load(tenant_id, own)
        d, f = self._drafts, self._files
        row = conn.execute(sa.select(d).where(d.c.tenant_id == tenant_id)).first()
        if row is None:
            return Draft(0, None, None, None, {})
        rows = conn.execute(sa.select(f).where(f.c.tenant_id == tenant_id)).all()
        files = {
            r.path: DraftFile(
                r.path, r.text, int(r.revision), r.updated_by, aware(r.updated_at) or row.updated_at
            )
            for r in rows
        }
        return Draft(
            int(row.revision), row.base_version, row.updated_by, aware(row.updated_at), files
        )

    def save(
        self, info: TenantInfo, path: str, text: str | None, expected: int | None, actor: str
    ) -> int:
        """Store ``text`` (None: delete) for ``path`` if the draft is at ``expected``.

        Returns the draft's new revision.

        Raises:
            DraftConflictError: the draft is at another revision than ``expected``.
        """
        return self.save_many(info, {path: text}, expected, actor)

    def save_many(
        self,
        info: TenantInfo,
        changes: Mapping[str, str | None],
        expected: int | None,
        actor: str,
    ) -> int:
        """Store several files as one new revision (a rename touching many files).

        Raises:
            DraftConflictError: the draft is at another revision than ``expected``.
        """
        d, f = self._drafts, self._files
        now = self._registry.now()
        with self._registry.connect(write=True) as conn, conn.begin():
            current_version = self._registry.lock_tenant(conn, info.id)
            draft = self.load(info.id, conn)
            if expected != draft.revision:
                raise DraftConflictError(expected, draft.revision, draft.updated_by)
            revision = draft.revision + 1
            values: dict[str, object] = {
                "revision": revision,
                "updated_by": actor,
                "updated_at": now,
            }
            if not draft.files:  # a new draft starts from the version published now
                values["base_version"] = current_version
            if draft.revision == 0:
                conn.execute(d.insert().values(tenant_id=info.id, **values))
            else:
                conn.execute(d.update().where(d.c.tenant_id == info.id).values(**values))
            for path, text in changes.items():
                file_values = {"text": text, **values}
                file_values.pop("base_version", None)
                if path in draft.files:
                    where = (f.c.tenant_id == info.id) & (f.c.path == path)
                    conn.execute(f.update().where(where).values(**file_values))
                else:
                    conn.execute(f.insert().values(tenant_id=info.id, path=path, **file_values))
        return revision

    def discard(self, tenant_id: int, upto: int | None, version: int | None, actor: str) -> None:
        """Empty the tenant's draft after a publish or rollback to ``version``.

        Only files saved at revision ``upto`` or before go (None: all): a save made
        while the publish ran stays in the draft. The revision still moves on, so an
        ``If-Match`` read before stays stale.
        """
        d, f = self._drafts, self._files
        with self._registry.connect(write=True) as conn, conn.begin():
            done = f.c.tenant_id == tenant_id
            if upto is not None:
                done = done & (f.c.revision <= upto)
            conn.execute(f.delete().where(done))
            conn.execute(
                d.update()
                .where(d.c.tenant_id == tenant_id)
                .values(
                    revision=d.c.revision + 1,
                    base_version=version,
                    updated_by=actor,
                    updated_at=self._registry.now(),
                )
            )


__all__ = ["Draft", "DraftFile", "DraftStore", "check_path"]
