"""``GET /t/{t}/api/{entity}/_export``: the caller's in-scope records as a file, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trellis.platform.authz import read_paths
from trellis.platform.authz.call import Call
from trellis.platform.authz.restrict import check_list_names
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.query import parse_fields
from trellis.platform.services.export_formats import FORMATS, Exporter
from trellis.platform.services.values import ExportFile
from trellis.rules.expr import EvalContext

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime


def export_records(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    fmt: str | None,
    filter_text: str | None = None,
    fields: str | None = None,
) -> ExportFile:
    """The in-scope records of ``entity`` as a CSV, xlsx or JSON file.

    Needs the ``export`` action; hidden fields are left out (naming one in
    ``fields`` or ``filter`` is 400 as an unknown field). Each export is audited.
    """
    call.access.require(entity.name, "read")
    call.access.require(entity.name, "export")
    fmt = (fmt or "csv").lower()
    if fmt not in FORMATS:
        raise BadRequestError(
            f"Unknown export format '{fmt}'.", {"format": ["Use csv, xlsx or json."]}
        )
    check_list_names(call.access, entity, None, fields)
    wanted = parse_fields(entity, fields) or call.access.entity(entity.name).columns
    ectx = EvalContext(now=runtime.clock.now(), user_id=call.identity.user_id)
    condition = read_paths.scoped_filter(call.access, call.app, entity, filter_text, ectx)
    exporter = Exporter(fmt, wanted, entity.entity.fields)
    with runtime.engines.tenant_connection(call.tenant) as conn:
        count = read_paths.export_rows(
            conn, call.access, entity, ectx, wanted, condition, on_batch=exporter.add
        )
    runtime.registry.audit.record(
        call.identity.tenant_id,
        "export",
        actor=call.identity.email,
        actor_user_id=call.identity.user_id,
        target=f"entity:{entity.name}",
        detail={"format": fmt, "filter": filter_text, "rows": count, "fields": list(wanted)},
    )
    media_type, extension = FORMATS[fmt]
    stamp = runtime.clock.now().strftime("%Y%m%d-%H%M%S")
    return ExportFile(exporter.finish(), media_type, f"{entity.name}-{stamp}.{extension}", count)


__all__ = ["export_records"]
