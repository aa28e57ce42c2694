"""Merge duplicates into one surviving record, and undo a merge.

A merge runs in the caller's transaction, through the save pipeline: the references
to the losers move to the survivor (as the system, on behalf of the caller), the
losers are soft-deleted (the caller needs ``delete`` on them, in scope) and the
survivor takes the chosen values (``update``). Change rows say ``merge``; the merge
log keeps what an undo needs while the losers are in the recycle bin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trellis.metadata.model import FieldType
from trellis.metadata.model.local_text import Translatable
from trellis.platform.duplicates.merge_log import MergeEntry, Move, log_merge
from trellis.platform.duplicates.merge_request import MergeRequest
from trellis.platform.duplicates.references import inbound_fields, pointers, repointed
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import NotFoundError
from trellis.platform.records.principal import Member
from trellis.platform.records.save_context import Record, SaveContext, chained
from trellis.platform.records.service import RecordService
from trellis.platform.records.values import to_json

#: Change rows of a merge say so (field history's ``source``).
MERGE_SOURCE = "merge"


@dataclass(frozen=True, slots=True)
class MergeResult:
    """A merge done: its id (to undo it), the survivor as saved, references moved."""

    merge_id: int
    survivor: Record
    moved: int


def require_merge_rights(ctx: SaveContext, entity: CompiledEntity) -> None:
    """A member needs ``update`` and ``delete`` on the entity (403)."""
    if isinstance(ctx.principal, Member):
        ctx.principal.access.require(entity.name, "update")
        ctx.principal.access.require(entity.name, "delete")


def load_live(
    service: RecordService, ctx: SaveContext, entity: CompiledEntity, record_id: int
) -> Record:
    """The live record, locked, inside the member's scope; else 404 (not revealed)."""
    record = service.get(ctx.conn, entity, record_id, for_update=True)
    member = ctx.principal if isinstance(ctx.principal, Member) else None
    if record is None or (member and not member.access.reachable(ctx.conn, entity, record_id)):
        raise NotFoundError(
            Translatable("No %(entity)s with id %(id)s.", entity=entity.name, id=record_id)
        )
    return record


def chosen_values(
    entity: CompiledEntity, records: Mapping[int, Record], request: MergeRequest
) -> dict[str, Any]:
    """What the survivor takes: each chosen field from its winner, every tags field united."""
    survivor = records[request.survivor]
    fields = entity.entity.fields
    data: dict[str, Any] = {}
    for name, winner in request.fields.items():
        value = records[winner].get(name)
        if value != survivor.get(name):
            data[name] = to_json(value, fields[name])
    for name, spec in fields.items():
        if spec.type != FieldType.TAGS or name in request.fields:
            continue
        united: list[Any] = []
        for rid in (request.survivor, *request.losers):
            united.extend(t for t in (records[rid].get(name) or []) if t not in united)
        if united != list(survivor.get(name) or []):
            data[name] = united
    return data


def merge_records(
    service: RecordService,
    ctx: SaveContext,
    entity: CompiledEntity,
    request: MergeRequest,
) -> MergeResult:
    """Fold ``request.losers`` into ``request.survivor`` (see the module docstring).

    Raises:
        ForbiddenError: the member may not update or delete these records.
        NotFoundError: the survivor or a loser is not live, or outside the scope.
        RecordError: any step of the saves refused (nothing is kept: the caller's
            transaction rolls back).
    """
    ctx.source = MERGE_SOURCE
    require_merge_rights(ctx, entity)
    app = service.app
    records = {
        rid: load_live(service, ctx, entity, rid) for rid in (request.survivor, *request.losers)
    }
    data = chosen_values(entity, records, request)
    fields = entity.entity.fields
    before = {name: to_json(records[request.survivor].get(name), fields[name]) for name in data}
    moves = _move_references(service, ctx, app, entity, request)
    for loser in request.losers:
        service.delete(ctx, entity, loser, None)
    if data:
        service.update(ctx, entity, request.survivor, data, None)
    entry = MergeEntry(
        id=0,
        entity=entity.name,
        survivor_id=request.survivor,
        losers=request.losers,
        survivor_before=before,
        moves=tuple(moves),
        created_at=ctx.now,
        created_by=ctx.user_id,
        undone_at=None,
    )
    merge_id = log_merge(ctx.conn, app, entry)
    survivor = service.get(ctx.conn, entity, request.survivor)
    return MergeResult(merge_id, survivor or records[request.survivor], len(moves))


def _move_references(
    service: RecordService,
    ctx: SaveContext,
    app: CompiledApp,
    entity: CompiledEntity,
    request: MergeRequest,
) -> list[Move]:
    """Point every live reference to a loser at the survivor, as the system."""
    moves: list[Move] = []
    with chained(ctx, MERGE_SOURCE, lambda: "A merge went too deep; nothing was saved."):
        for inbound in inbound_fields(app, entity.name):
            found = list(pointers(ctx.conn, inbound, entity.name, request.losers))
            for pointer in found:
                value = repointed(pointer, entity.name, request.losers, request.survivor)
                spec = inbound.source.entity.fields[inbound.field]
                old = to_json(pointer.value, spec)
                service.update(ctx, inbound.source, pointer.record_id, {inbound.field: value}, None)
                moves.append(Move(inbound.source.name, pointer.record_id, inbound.field, old))
    return moves


__all__ = ["MERGE_SOURCE", "MergeResult", "chosen_values", "load_live", "merge_records"]
