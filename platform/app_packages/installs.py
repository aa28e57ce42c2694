"""Which template version a tenant runs, with its files: the base of the next upgrade."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime
    from trellis.tenants.registry import TenantInfo

TABLE = "template_installs"


@dataclass(frozen=True, slots=True)
class TemplateInstall:
    """One install or upgrade of a template into a tenant."""

    name: str
    version: str
    action: str
    files: Mapping[str, str]
    metadata_version: int | None


def record_install(
    runtime: Runtime,
    info: TenantInfo,
    install: TemplateInstall,
    installed_by: str | None,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Store an install or upgrade (and its audit entry, with ``detail``) in the system
    database."""
    table = runtime.registry.metadata.tables[TABLE]
    with runtime.registry.connect(write=True) as conn, conn.begin():
        conn.execute(
            table.insert().values(
                tenant_id=info.id,
                name=install.name,
                version=install.version,
                action=install.action,
                files=dict(install.files),
                metadata_version=install.metadata_version,
                installed_at=runtime.registry.now(),
                installed_by=installed_by,
            )
        )
        runtime.registry.audit.record(
            info.id,
            f"template.{install.action}",
            actor=installed_by,
            target=f"template:{install.name}",
            detail={
                "template": f"{install.name} {install.version}",
                "version": install.metadata_version,
                **(detail or {}),
            },
            conn=conn,
        )


def latest_install(runtime: Runtime, info: TenantInfo) -> TemplateInstall | None:
    """The tenant's newest install or upgrade, or None."""
    table = runtime.registry.metadata.tables[TABLE]
    with runtime.registry.connect() as conn:
        row = conn.execute(
            sa.select(table)
            .where(table.c.tenant_id == info.id)
            .order_by(table.c.id.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    return TemplateInstall(row.name, row.version, row.action, dict(row.files), row.metadata_version)


__all__ = ["TemplateInstall", "latest_install", "record_install"]
