"""Validate and plan a package for a tenant: errors, DDL, data touched, metadata diff."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import load_package
from trellis.metadata.model import AppModel
from trellis.platform.db.renames import apply_renames, rename_operations
from trellis.platform.db.sync import SchemaPlan, ensure_schema, plan_sync
from trellis.platform.db.tables import build_metadata
from trellis.platform.drafts.backups import backup_before_publish
from trellis.platform.drafts.data_steps import DataSteps, offered_steps
from trellis.platform.drafts.ddl import render_ddl
from trellis.platform.drafts.diff import files_diff, model_diff
from trellis.platform.drafts.errors import DestructiveChangeError, InvalidDraftError
from trellis.platform.drafts.impact import (
    ARCHIVE_KINDS,
    BLOCKING_KINDS,
    DataChange,
    data_changes,
)
from trellis.platform.drafts.view_renames import field_renames, rename_in_views
from trellis.platform.publish import PublishResult, publish
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Plan:
    """What publishing a package would do to a tenant."""

    model: AppModel
    schema: SchemaPlan
    dialect: str
    ddl: list[str]
    changes: list[DataChange]
    diff: dict[str, Any]
    rollback: bool
    #: The automatic backup written before a confirmed destructive publish.
    backup: str | None = None
    #: The data steps declared for the publish (fill values, option mappings).
    steps: DataSteps = field(default_factory=DataSteps)

    @property
    def destructive(self) -> list[DataChange]:
        """Changes that hide or invalidate stored data."""
        return [c for c in self.changes if c.destructive]

    @property
    def to_confirm(self) -> list[DataChange]:
        """Destructive changes that need ``confirm_destructive`` (a rollback's archives do not)."""
        return [
            c
            for c in self.destructive
            if not (self.rollback and c.kind in ARCHIVE_KINDS) and not self.steps.covers(c)
        ]

    def as_json(self) -> dict[str, Any]:
        """The plan as the API answers it."""
        extra = {"backup": self.backup} if self.backup else {}
        return {
            **extra,
            "valid": True,
            "errors": [],
            "dialect": self.dialect,
            "ddl": self.ddl,
            "steps": [str(step) for step in self.schema.steps],
            "destructive": [c.as_json() for c in self.destructive],
            "archived": [c.as_json() for c in self.changes if c.kind in ARCHIVE_KINDS],
            "restored": [c.as_json() for c in self.changes if c.kind.startswith("restore_")],
            "renamed": [c.as_json() for c in self.changes if c.kind.startswith("rename_")],
            "needs_confirmation": bool(self.to_confirm),
            "data_steps": offered_steps(self.changes, self.steps),
            "diff": self.diff,
        }


@contextmanager
def package_folder(files: Mapping[str, str]) -> Iterator[Path]:
    """The files written out as a package folder that lives for the ``with`` block."""
    with tempfile.TemporaryDirectory(prefix="trellis-draft-") as folder:
        root = Path(folder).resolve()
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield root


def load_checked(runtime: Runtime, root: Path) -> AppModel:
    """Load and compile the package at ``root``.

    Raises:
        InvalidDraftError: every error, placed relative to the package.
    """
    try:
        model = load_package(root, checker=runtime.checker)
        CompiledApp(model, 0)
    except MetadataError as exc:
        raise InvalidDraftError(exc.placed(root)) from None
    return model


def plan_from(
    conn: sa.Connection,
    schema_plan: SchemaPlan,
    model: AppModel,
    *,
    schema: str | None,
    current: tuple[AppModel, Mapping[str, str]] | None,
    files: Mapping[str, str],
    rollback: bool = False,
    steps: DataSteps | None = None,
) -> Plan:
    """The full plan of ``model`` from its schema plan, counting over ``conn``."""
    old = current[0] if current else None
    changes = data_changes(conn, schema, old, model, rollback=rollback)
    dialect = conn.dialect.name
    diff = {
        "files": files_diff(current[1] if current else {}, files),
        "metadata": model_diff(old, model),
    }
    ddl = render_ddl(schema_plan, dialect)
    return Plan(
        model, schema_plan, dialect, ddl, changes, diff, rollback, steps=steps or DataSteps()
    )


def build_plan(
    runtime: Runtime,
    tenant: str,
    root: Path,
    *,
    current: tuple[AppModel, Mapping[str, str]] | None,
    files: Mapping[str, str],
    rollback: bool = False,
    steps: DataSteps | None = None,
) -> Plan:
    """Validate the package at ``root`` and plan it against the tenant's database.

    ``current`` is the published model and files (None before the first publish).
    Nothing is changed.

    Raises:
        InvalidDraftError: the package does not validate.
    """
    model = load_checked(runtime, root)
    schema = runtime.engines.tenant_schema(tenant)
    with runtime.engines.tenant_engine(tenant).connect() as conn, conn.begin() as tx:
        ensure_schema(conn, schema)
        renames = rename_operations(conn, model, schema)
        renamed = apply_renames(conn, renames)  # rolled back below, like everything here
        schema_plan = plan_sync(conn, build_metadata(model, schema), schema)
        schema_plan.steps[:0] = renamed
        schema_plan.operations[:0] = renames
        if steps is not None:
            steps.before(conn, schema)  # rolled back too: the plan counts what would remain
        plan = plan_from(
            conn,
            schema_plan,
            model,
            schema=schema,
            current=current,
            files=files,
            rollback=rollback,
            steps=steps,
        )
        tx.rollback()
    return plan


def guarded_publish(
    runtime: Runtime,
    tenant: str,
    root: Path,
    *,
    current: tuple[AppModel, Mapping[str, str]] | None,
    files: Mapping[str, str],
    actor: str,
    expected_version: int | None,
    confirm: bool,
    rollback: bool = False,
    data_steps: Any = None,
) -> tuple[Plan, PublishResult]:
    """Publish the package at ``root``, planning it once under the publish's own lock.

    Raises:
        InvalidDraftError: the package does not validate (nothing applied).
        DestructiveChangeError: the plan needs confirming and ``confirm`` is false.
        VersionConflictError: the tenant is no longer at ``expected_version``.
    """
    found: list[Plan] = []
    schema = runtime.engines.tenant_schema(tenant)
    steps = DataSteps()
    if data_steps is not None:
        steps = DataSteps.parse(data_steps, load_checked(runtime, root))
    backup = None
    if confirm and current is not None:
        ahead = build_plan(
            runtime, tenant, root, current=current, files=files, rollback=rollback, steps=steps
        )
        if ahead.to_confirm:
            backup = backup_before_publish(runtime, tenant, expected_version)

    def check(conn: sa.Connection, schema_plan: SchemaPlan, model: AppModel) -> None:
        rename_in_views(conn, schema, model, field_renames(schema_plan.operations))
        steps.before(conn, schema)
        plan = plan_from(
            conn,
            schema_plan,
            model,
            schema=schema,
            current=current,
            files=files,
            rollback=rollback,
            steps=steps,
        )
        found.append(replace(plan, backup=backup))
        blocked = [c.text for c in plan.destructive if c.kind in BLOCKING_KINDS]
        if blocked:
            raise DestructiveChangeError(blocked)
        if plan.to_confirm and not confirm:
            raise DestructiveChangeError([c.text for c in plan.to_confirm])

    try:
        result = publish(
            runtime,
            tenant,
            root,
            published_by=actor,
            expected_version=expected_version,
            check=check,
            after=lambda conn: steps.after(conn, schema),
        )
    except MetadataError as exc:
        raise InvalidDraftError(exc.placed(root)) from None
    return found[0], result


__all__ = [
    "Plan",
    "build_plan",
    "guarded_publish",
    "load_checked",
    "package_folder",
    "plan_from",
]
