"""``GET …/{entity}/_export`` as a streamed answer: checked first, then written as read."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO, cast

from litestar.response import Stream

from trellis.platform.exports.stream import stream_bytes
from trellis.platform.services.record_export import plan_export, run_export

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.records.compiled import CompiledEntity
    from trellis.platform.runtime import Runtime


def streamed_export(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    fmt: str | None,
    filter_text: str | None = None,
    fields: str | None = None,
    *,
    ids: bool = False,
) -> Stream:
    """The export as a streamed response; refusals (403, 400) come before any byte.

    Raises:
        ForbiddenError: the caller may not read or export ``entity``.
        BadRequestError: an unknown format, field or a bad filter.
    """
    plan = plan_export(runtime, call, entity, fmt, filter_text, fields, ids=ids)
    media_type = plan.media_type
    chunks = stream_bytes(lambda sink: run_export(runtime, call, plan, cast(BinaryIO, sink)))
    return Stream(
        chunks,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{plan.filename}"'},
    )


__all__ = ["streamed_export"]
