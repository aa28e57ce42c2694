"""``GET /t/{t}/api/{entity}/_export``: the caller's in-scope records as a file, audited.

Rows are read in batches by id and written to the file as they come, so memory stays flat
whatever the row count. References and users are written as their titles (the record's
title, the member's name) as the caller may see them — ``#7`` for a record they cannot —
unless ``ids`` asks for the raw ids.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from trellis.metadata.model import FieldDef
from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz import read_paths
from trellis.platform.authz.call import Call
from trellis.platform.authz.restrict import check_list_names
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.query import parse_fields
from trellis.platform.services.expand import Expansion, expand_items, expandable
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
    *,
    ids: bool = False,
) -> ExportFile:
    """The in-scope records of ``entity`` as a CSV, xlsx, JSON or JSON Lines file in memory.

    Needs the ``export`` action; hidden fields are left out (naming one in ``fields`` or
    ``filter`` is 400 as an unknown field). Each export is audited.
    """
    sink = io.BytesIO()
    media_type, filename, count = write_export(
        runtime, call, entity, sink, fmt, filter_text, fields, ids=ids
    )
    return ExportFile(sink.getvalue(), media_type, filename, count)


def write_export(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    sink: BinaryIO,
    fmt: str | None,
    filter_text: str | None = None,
    fields: str | None = None,
    *,
    ids: bool = False,
) -> tuple[str, str, int]:
    """Stream the export to ``sink``; returns (media type, file name, row count).

    Raises:
        ForbiddenError: the caller may not read or export ``entity``.
        BadRequestError: an unknown format, field or a bad filter.
    """
    plan = plan_export(runtime, call, entity, fmt, filter_text, fields, ids=ids)
    count = run_export(runtime, call, plan, sink)
    return plan.media_type, plan.filename, count


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """A checked export: what to read and how to write it (see :func:`plan_export`)."""

    entity: CompiledEntity
    format: str
    filter_text: str | None
    wanted: tuple[str, ...]
    condition: Any
    titled: tuple[Expansion, ...]
    shown: dict[str, FieldDef | None]
    ectx: EvalContext
    ids: bool
    media_type: str
    filename: str


def plan_export(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    fmt: str | None,
    filter_text: str | None = None,
    fields: str | None = None,
    *,
    ids: bool = False,
) -> ExportPlan:
    """Check the caller's right and the options before any byte is written.

    Raises:
        ForbiddenError: the caller may not read or export ``entity``.
        BadRequestError: an unknown format, field or a bad filter.
    """
    call.access.require(entity.name, "read")
    call.access.require(entity.name, "export")
    fmt = (fmt or "csv").lower()
    if fmt not in FORMATS:
        choices = ", ".join(FORMATS)
        raise BadRequestError(
            Translatable("Unknown export format '%(format)s'.", format=fmt),
            {"format": [Translatable("Use %(choices)s.", choices=choices)]},
        )
    check_list_names(call.access, entity, None, fields)
    wanted = parse_fields(entity, fields) or call.access.entity(entity.name).columns
    ectx = EvalContext(now=runtime.clock.now(), user_id=call.identity.user_id)
    condition = read_paths.scoped_filter(call.access, call.app, entity, filter_text, ectx)
    titled = () if ids else tuple(expandable(entity, wanted).values())
    shown: dict[str, FieldDef | None] = dict(entity.entity.fields)
    shown.update({e.column: None for e in titled})  # titles are text (formula-neutralised)
    media_type, extension = FORMATS[fmt]
    stamp = runtime.clock.now().strftime("%Y%m%d-%H%M%S")
    filename = f"{entity.name}-{stamp}.{extension}"
    return ExportPlan(
        entity, fmt, filter_text, wanted, condition, titled, shown, ectx, ids, media_type, filename
    )


def run_export(runtime: Runtime, call: Call, plan: ExportPlan, sink: BinaryIO) -> int:
    """Write a planned export to ``sink`` batch by batch and audit it; the row count."""
    exporter = Exporter(plan.format, plan.wanted, plan.shown, sink)
    with runtime.engines.tenant_connection(call.tenant) as conn:
        write = _with_titles(runtime, call, conn, plan.ectx, plan.titled, exporter.add)
        count = read_paths.export_rows(
            conn, call.access, plan.entity, plan.ectx, plan.wanted, plan.condition, on_batch=write
        )
    exporter.finish()
    runtime.registry.audit.record(
        call.identity.tenant_id,
        "export",
        actor=call.identity.email,
        actor_user_id=call.identity.user_id,
        target=f"entity:{plan.entity.name}",
        detail={
            "format": plan.format,
            "filter": plan.filter_text,
            "rows": count,
            "fields": list(plan.wanted),
            "ids": plan.ids,
        },
    )
    return count


Rows = list[dict[str, Any]]
_FLAGS = {"": False, "false": False, "0": False, "true": True, "1": True}


def export_ids_flag(raw: str | None) -> bool:
    """The ``ids=`` query parameter: true writes raw ids instead of titles.

    Raises:
        BadRequestError: not one of true, false, 1, 0.
    """
    value = _FLAGS.get((raw or "").strip().lower())
    if value is None:
        message = f"Parameter 'ids' has value '{(raw or '')[:20]}'. Use true or false."
        raise BadRequestError(message, {"ids": [message]})
    return value


def _with_titles(
    runtime: Runtime,
    call: Call,
    conn: Any,
    ectx: EvalContext,
    titled: tuple[Expansion, ...],
    write: Callable[[Rows], None],
) -> Callable[[Rows], None]:
    """``write`` preceded by replacing reference and user ids with their titles."""
    if not titled:
        return write

    def names(user_ids: list[int]) -> Mapping[int, str]:
        return runtime.registry.member_names(call.tenant, user_ids)

    def titled_write(rows: Rows) -> None:
        expand_items(conn, call.access, rows, titled, ectx=ectx, user_names=names)
        for row in rows:
            for expansion in titled:
                value = row.get(expansion.column)
                if isinstance(value, dict):
                    row[expansion.column] = value["title"] or f"#{value['id']}"
        write(rows)

    return titled_write


__all__ = [
    "ExportPlan",
    "export_ids_flag",
    "export_records",
    "plan_export",
    "run_export",
    "write_export",
]
