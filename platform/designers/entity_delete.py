"""Delete an entity from the tenant's draft, after showing what the deletion does.

The deletion plan lists the entity's file, its table and how many records it holds,
and every place of the draft that still names the entity (another entity's reference,
a rule, formula, layout, role, dashboard, workflow, form or e-mail template), found the
way a rename finds what to rewrite (platform/drafts/rename.py ``file_edits``). While
any such place remains the deletion is refused: the admin removes them first. Then the
entity's file is deleted from the draft at the revision the admin read, and only with
the entity's name typed as confirmation. Publishing the draft archives the table (its
rows stay in the database, hidden; the publish asks for the name again); a rollback to
an earlier version brings the entity back with its records.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import sqlalchemy as sa

from trellis.metadata.model import AppModel
from trellis.platform.designers.service import (
    Usage,
    compiled_draft_model,
    draft_state,
    entity_path,
)
from trellis.platform.drafts.errors import DraftError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.drafts.plan import load_checked, package_folder
from trellis.platform.drafts.refs_expr import Rename, line_starts
from trellis.platform.drafts.rename import file_edits
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.runtime import Runtime


class EntityInUseError(DraftError):
    """Other metadata still names the entity; ``usages`` says where."""

    def __init__(self, entity: str, usages: list[Usage]) -> None:
        super().__init__(f"Entity '{entity}' is still used in {len(usages)} place(s).")
        self.usages = usages


class DeleteNotConfirmedError(DraftError):
    """The typed confirmation is not the entity's name."""


@dataclass(frozen=True, slots=True)
class DeletionPlan:
    """What deleting an entity from the draft does."""

    entity: str
    path: str
    #: The table as the database names it (``t_acme.item`` on PostgreSQL), None if unpublished.
    table: str | None
    #: Live records (not in the recycle bin) and all stored rows.
    live: int
    rows: int
    usages: list[Usage]
    revision: int
    #: The published version that still has the entity (a rollback target), if any.
    version: int | None

    @property
    def blocked(self) -> bool:
        """Whether other metadata still names the entity."""
        return bool(self.usages)


def _usages(model: AppModel | None, files: dict[str, str], entity: str, path: str) -> list[Usage]:
    """Every place outside the entity's own file that names it."""
    if model is None or entity not in model.entities:
        return []  # a draft that does not validate: the check after deletion places it
    rename = Rename("entity", entity, entity, f"{entity}__deleted")
    found: list[Usage] = []
    for where, edits in sorted(file_edits(model, files, rename).items()):
        if where == path:
            continue
        text = files[where]
        starts = line_starts(text)
        lines = text.splitlines()
        seen: set[int] = set()
        for start, _end, _new in sorted(edits):
            line = bisect_right(starts, start)
            if line not in seen:
                seen.add(line)
                found.append(Usage(where, line, lines[line - 1].strip()))
    return found


def _errors_after(runtime: Runtime, files: dict[str, str], path: str) -> list[Usage]:
    """The package's errors once the file is gone (what names the entity but was not found)."""
    after = {p: t for p, t in files.items() if p != path}
    with package_folder(after) as root:
        try:
            load_checked(runtime, root)
        except InvalidDraftError as exc:
            return [
                Usage(str(e["file"]), int(str(e["line"] or 0)), str(e["text"])) for e in exc.errors
            ]
    return []


def _count(runtime: Runtime, tenant: str, entity: str) -> tuple[str | None, int, int]:
    schema = runtime.engines.tenant_schema(tenant)
    with runtime.engines.tenant_engine(tenant).connect() as conn:
        inspector = sa.inspect(conn)
        if not inspector.has_table(entity, schema=schema):
            return None, 0, 0
        names = {c["name"] for c in inspector.get_columns(entity, schema=schema)}
        table = sa.table(entity, sa.column("deleted_at"), schema=schema)
        rows = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)
        live = rows
        if "deleted_at" in names:
            query = sa.select(sa.func.count()).where(table.c.deleted_at.is_(None))
            live = int(conn.execute(query).scalar() or 0)
    return (f"{schema}.{entity}" if schema else entity), live, rows


def deletion_plan(
    runtime: Runtime, tenant: str, entity: str, *, validate: bool = False
) -> DeletionPlan:
    """What deleting ``entity`` from the draft does, and what still names it.

    The places come from the draft's model (the published one while the draft is
    empty, so the page costs no package load). With ``validate`` (the deletion itself)
    and no place found, the package without the file is validated too, and its
    positioned errors count as places.

    Raises:
        DraftFileNotFoundError: the draft has no such entity.
    """
    path = entity_path(entity)
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    if path not in files:
        raise DraftFileNotFoundError(f"The draft has no entity '{entity}'.")
    model = compiled_draft_model(runtime, state, draft)
    usages = _usages(model, files, entity, path)
    if validate and not usages:
        usages = _errors_after(runtime, files, path)
    table, live, rows = _count(runtime, tenant, entity)
    published_has = state.model is not None and entity in state.model.entities
    version = state.info.current_version if published_has else None
    return DeletionPlan(entity, path, table, live, rows, usages, draft.revision, version)


def delete_entity(
    runtime: Runtime, tenant: str, entity: str, *, confirm: str, expected: int, actor: str
) -> int:
    """Delete ``entity``'s file from the draft; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: the draft has no such entity.
        DeleteNotConfirmedError: ``confirm`` is not the entity's name.
        EntityInUseError: other metadata still names the entity (every place listed).
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    plan = deletion_plan(runtime, tenant, entity, validate=True)
    if plan.blocked:
        raise EntityInUseError(entity, plan.usages)
    if confirm.strip() != entity:
        raise DeleteNotConfirmedError(f"Type '{entity}' to confirm the deletion.")
    state, _draft = draft_state(runtime, tenant)
    return DraftStore(runtime.registry).save(state.info, plan.path, None, expected, actor)


__all__ = [
    "DeleteNotConfirmedError",
    "DeletionPlan",
    "EntityInUseError",
    "delete_entity",
    "deletion_plan",
]
