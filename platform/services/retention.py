"""Running a tenant's retention rules: the job dispatcher daily, the CLI on demand.

Files of anonymised records are removed after the commit; each run that did something
(or was forced) writes one audit entry (``privacy.retention``) with the counts per rule.
"""

from __future__ import annotations

from datetime import datetime

from trellis.platform.automation import record_service
from trellis.platform.files.factory import file_store
from trellis.platform.privacy.retention_rules import AUDIT_ACTION, RetentionReport, RetentionRunner
from trellis.platform.runtime import AppRuntime, PartKey, Runtime

_RUNNER: PartKey[RetentionRunner] = PartKey("privacy.retention")


def _runner(rt: AppRuntime) -> RetentionRunner:
    return rt.part(_RUNNER, lambda rt: RetentionRunner(rt.app, record_service(rt)))


def run_retention(
    runtime: Runtime,
    tenant: str,
    now: datetime | None = None,
    *,
    force: bool = False,
    actor: str | None = None,
) -> RetentionReport | None:
    """Run ``tenant``'s retention rules when due (or ``force``); None: none declared."""
    rt = runtime.app_runtime(tenant)
    if not rt.app.model.retention:
        return None
    at = now or runtime.clock.now()
    runner = _runner(rt)
    with runtime.engines.tenant_connection(tenant) as conn:
        if not force and not runner.due(conn, at):
            return RetentionReport(at)
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        report = runner.run(conn, at, force=force)
    store = file_store(runtime.config)
    for key in report.files:
        store.delete(tenant, key)
    if report.rules:
        runtime.registry.audit.record(
            rt.tenant_id,
            AUDIT_ACTION,
            actor=actor or "jobs",
            actor_user_id=None,
            target=f"retention:{len(report.rules)}",
            detail={"rules": [r.as_json() for r in report.rules]},
        )
    return report


__all__ = ["run_retention"]
