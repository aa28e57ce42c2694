"""Publishing an app package to a tenant: validate, plan, sync the schema, store the version."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from trellis.metadata.loader import load_package, package_digest
from trellis.metadata.model import AppModel
from trellis.platform.app_packages.lock import publish_files
from trellis.platform.authz.enforcers import store_published
from trellis.platform.db.renames import apply_renames, rename_operations
from trellis.platform.db.sync import SchemaPlan, apply_plan, ensure_schema, plan_sync
from trellis.platform.db.tables import SCHEDULES_TABLE, build_metadata
from trellis.platform.i18n import Translator
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.runtime import Runtime
from trellis.platform.runtime.publish_recovery import (
    finish_pending,
    recover_publish,
    write_pending,
)
from trellis.platform.schedules.cron import cron_rules, drop_stale_rows
from trellis.platform.search.schema import sync_index
from trellis.tenants.registry import VersionConflictError

#: Called under the publish's lock with the connection, the schema plan and the model,
#: before anything is applied; it may raise to refuse the publish (nothing applied).
PlanCheck = Callable[[sa.Connection, SchemaPlan, AppModel], None]
PACKAGE_SUFFIXES = {".yaml", ".yml", ".rules", ".j2", ".csv", ".json", ".md"}


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What a publish did (or, for a dry run, would do)."""

    tenant: str
    model: AppModel
    plan: SchemaPlan
    version_no: int | None
    dry_run: bool
    unchanged: bool = False

    def render(self, t: Translator | None = None) -> str:
        """A human summary: the plan, then the outcome (in ``t``'s language, else English)."""
        t = t or Translator()
        lines = [
            t.gettext(
                "Plan for tenant '%(tenant)s' (%(app)s %(version)s):",
                tenant=self.tenant,
                app=self.model.name,
                version=self.model.version,
            ),
            self.plan.render(t),
        ]
        if self.dry_run:
            lines.append(t.gettext("Dry run: nothing was applied."))
        elif self.unchanged:
            lines.append(t.gettext("Already up to date: nothing to publish."))
        else:
            lines.append(t.gettext("Published as version %(version)s.", version=self.version_no))
        return "\n".join(lines)


def package_files(path: Path) -> dict[str, str]:
    """Every text file of a package, by relative POSIX path."""
    files: dict[str, str] = {}
    for file in sorted(path.rglob("*")):
        if file.is_file() and file.suffix in PACKAGE_SUFFIXES and "__pycache__" not in file.parts:
            files[file.relative_to(path).as_posix()] = file.read_text(encoding="utf-8")
    return files


def _lock_tenant(conn: sa.Connection, schema: str | None) -> None:
    """Serialise publishes of one tenant (SQLite: BEGIN IMMEDIATE already holds the lock).

    The key is the tenant's schema, so installations sharing one PostgreSQL database
    (other schema prefixes) never wait for each other's publishes of a same-named tenant.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"trellis-ddl:{schema}"}
        )


def _drop_stale_cron_rows(
    conn: sa.Connection, metadata: sa.MetaData, model: AppModel, schema: str | None
) -> None:
    """Drop waiting rows of cron rules the new version removed or re-timed.

    The dispatcher skips apps without schedules, so it would never drop them itself;
    rules that stay or change are armed by its next round.
    """
    table = metadata.tables[f"{schema}.{SCHEDULES_TABLE}" if schema else SCHEDULES_TABLE]
    drop_stale_rows(conn, table, cron_rules(model), model.timezone)


@contextmanager
def _version_transaction(runtime: Runtime, conn: sa.Connection) -> Iterator[sa.Connection]:
    """Where the new version is recorded, so a crash cannot part it from the schema.

    On PostgreSQL the system tables live in the same database: the version is written
    in the schema change's own transaction and both commit at once. On SQLite they
    are another file: its transaction commits just after the schema's, which notes the
    version it belongs to; a crash in between is finished at the next start
    (platform/runtime/publish_recovery.py).
    """
    system_schema = runtime.engines.system_schema
    if system_schema is not None:
        # The tenant's tables carry their schema by name; the registry's are schema-less.
        yield conn.execution_options(schema_translate_map={None: system_schema})
        return
    with runtime.registry.connect(write=True) as sys_conn, sys_conn.begin():
        yield sys_conn


def _sync_search_index(conn: sa.Connection, app: CompiledApp, schema: str | None) -> None:
    """Create or reshape the search index tables (refilled when their fields change)."""
    if schema is None:
        sync_index(conn, app)
        return
    conn.execution_options(schema_translate_map={None: schema})
    try:
        sync_index(conn, app)
    finally:
        conn.execution_options(schema_translate_map=None)


def publish(
    runtime: Runtime,
    tenant: str,
    path: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    published_by: str | None = None,
    expected_version: int | None = None,
    check: PlanCheck | None = None,
    after: Callable[[sa.Connection], None] | None = None,
    with_version: Callable[[sa.Connection], None] | None = None,
) -> PublishResult:
    """Apply the package at ``path`` to ``tenant``.

    The package is loaded and checked first (``MetadataError`` lists every problem);
    the schema plan is applied in one transaction under a per-tenant lock, and the new
    version is recorded; any failure leaves the tenant as it was. With
    ``expected_version`` the publish only happens while that is the tenant's current
    version, checked under the same locks as the write. ``check`` sees the plan
    under the lock before anything is applied and may refuse it by raising; ``after``
    runs in the same transaction right after the schema change (data steps);
    ``with_version`` runs on the system database in the transaction that records the
    new version, under the tenant's registry lock (registry rows that must change with
    it, such as members' roles); raising there leaves everything as it was.

    Raises:
        MetadataError: the package is invalid.
        SchemaSyncError: the plan cannot be applied (e.g. unique over duplicates).
        TenantNotFoundError: unknown tenant.
        VersionConflictError: the tenant is not at ``expected_version``.
    """
    package = Path(path)
    model = load_package(package, checker=runtime.checker)
    compiled = CompiledApp(model, 0)  # compile every expression now, not on the first request
    runtime.tenant(tenant, fresh=True)  # unknown tenants fail before any work
    sqlite = runtime.engines.system_schema is None
    recover_publish(runtime, tenant)  # finish one a crash cut short first
    schema = runtime.engines.tenant_schema(tenant)
    metadata = build_metadata(model, schema)
    digest = package_digest(package)
    with runtime.engines.tenant_engine(tenant).connect() as raw:
        conn = raw.execution_options(trellis_write=True)
        with conn.begin() as tenant_tx:
            _lock_tenant(conn, schema)
            info = runtime.tenant(tenant, fresh=True)  # read under the lock
            if expected_version is not None and info.current_version != expected_version:
                raise VersionConflictError(tenant, expected_version, info.current_version)
            ensure_schema(conn, schema)
            renames = rename_operations(conn, model, schema)
            renamed = apply_renames(conn, renames)
            plan = plan_sync(conn, metadata, schema)
            plan.steps[:0] = renamed
            plan.operations[:0] = renames
            if check is not None:
                check(conn, plan, model)
            current = (
                runtime.registry.get_version(info.id, info.current_version)
                if info.current_version
                else None
            )
            files = publish_files(
                package_files(package), current.files if current is not None else None
            )
            unchanged = (
                current is not None
                and not plan.additive
                and (current.digest == digest or current.files == files)
            )
            if dry_run or unchanged:
                tenant_tx.rollback()
                return PublishResult(tenant, model, plan, info.current_version, dry_run, unchanged)
            apply_plan(conn, plan, metadata)
            if after is not None:
                after(conn)
            _sync_search_index(conn, compiled, schema)
            _drop_stale_cron_rows(conn, metadata, model, schema)
            with _version_transaction(runtime, conn) as sys_conn:
                version_no = runtime.registry.record_version(
                    sys_conn,
                    info,
                    app_name=model.name,
                    app_version=model.version,
                    digest=digest,
                    files=files,
                    plan=plan.render(),
                    published_by=published_by,
                    expected_version=expected_version,
                )
                runtime.registry.audit.record(
                    info.id,
                    "metadata.publish",
                    actor=published_by,
                    target=f"version:{version_no}",
                    detail={
                        "version": version_no,
                        "app": f"{model.name} {model.version}",
                        "digest": digest,
                        "plan": plan.render()[:2000],
                    },
                    conn=sys_conn,
                )
                if with_version is not None:
                    with_version(sys_conn)
                if sqlite:  # the schema commits first: note its version (a crash between)
                    data = {
                        "app_name": model.name,
                        "app_version": model.version,
                        "digest": digest,
                        "files": files,
                        "plan": plan.render(),
                        "published_by": published_by,
                        "audit": {"app": f"{model.name} {model.version}", "digest": digest},
                    }
                    write_pending(runtime, conn, tenant, version_no, data)
                tenant_tx.commit()
    if sqlite:
        finish_pending(runtime, tenant)
    store_published(runtime.policies, tenant, model)  # before other processes reload
    runtime.changed(tenant, "publish")
    return PublishResult(tenant, model, plan, version_no, dry_run)


__all__ = ["PlanCheck", "PublishResult", "package_files", "publish"]
