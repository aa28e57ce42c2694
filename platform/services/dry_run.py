"""``?dry_run=true`` on a create or update: run the save, explain each step, write nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.platform.authz.call import Call, require_reachable, visible_record
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import NotFoundError, RecordError, ValidationFailedError
from trellis.platform.records.hooks import TraceStep
from trellis.platform.records.service import RecordService, SaveContext
from trellis.platform.services.rule_runs_access import visible_steps

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime


def explain_save(
    runtime: Runtime,
    service: RecordService,
    call: Call,
    entity: CompiledEntity,
    data: dict[str, Any],
    record_id: int | None,
    expected_version: int | None,
) -> dict[str, Any]:
    """The dry-run body of a create (``record_id`` None) or an update of ``record_id``.

    A body that is malformed in itself (see ``RecordValidator.body_errors``) is a
    422 as for a save; what the save would refuse is explained (``would_save`` false).
    The transaction is always rolled back.
    """
    call.access.require(entity.name, "create" if record_id is None else "update")
    own = {k: v for k, v in data.items() if k not in entity.entity.lines}  # lines: checked on save
    call.access.check_write(entity, own)
    malformed = entity.validator.body_errors(own, create=record_id is None)
    if malformed:
        raise ValidationFailedError(malformed)
    trace: list[TraceStep] = []
    body: dict[str, Any] = {"would_save": True, "record": None, "steps": [], "errors": {}}
    engines = runtime.engines
    with engines.tenant_connection(call.tenant, write=True) as conn, conn.begin() as tx:
        now = runtime.clock.now()
        ctx = SaveContext(conn, call.member, now, trace=trace)
        try:
            if record_id is None:
                record = service.create(ctx, entity, data)
                record["id"] = None
            else:
                require_reachable(call, conn, entity, record_id)
                record = service.update(ctx, entity, record_id, data, expected_version)
            body["record"] = visible_record(call, entity, record)
        except RecordError as exc:
            # Validation, workflow and rule refusals: explained, not raised.
            if isinstance(exc, NotFoundError):
                raise
            body.update(would_save=False, errors=exc.body()["errors"])
        finally:
            tx.rollback()
    body["steps"] = visible_steps(call.access, trace)
    return body


__all__ = ["explain_save"]
