"""Undo a merge while its losers are still in the recycle bin."""

from __future__ import annotations

from typing import Any

from trellis.metadata.model import FieldType
from trellis.metadata.model.local_text import Translatable
from trellis.platform.duplicates.merge import load_live, require_merge_rights
from trellis.platform.duplicates.merge_log import MergeEntry, Move, load_merge, mark_undone
from trellis.platform.duplicates.references import api_value
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ConflictError, NotFoundError, RecordError
from trellis.platform.records.save_context import Record, SaveContext, chained
from trellis.platform.records.service import RecordService
from trellis.platform.records.values import to_json

#: Change rows of an undone merge.
UNDO_SOURCE = "merge undo"


def undo_merge(
    service: RecordService, ctx: SaveContext, entity: CompiledEntity, merge_id: int
) -> MergeEntry:
    """Restore the losers, give the survivor its old values back, move references back.

    A reference changed since the merge (no longer pointing at the survivor) is left
    as it is now.

    Raises:
        NotFoundError: no such merge of this entity, or the survivor is gone (404).
        ConflictError: the merge was undone already, or a loser has left the recycle
            bin (purged) so the merge cannot be undone (409).
        RecordError: a save refused (e.g. a unique value taken meanwhile); nothing changed.
    """
    ctx.source = UNDO_SOURCE
    require_merge_rights(ctx, entity)
    app = service.app
    entry = load_merge(ctx.conn, app, entity.name, merge_id)
    if entry is None:
        raise NotFoundError(
            Translatable("No merge %(id)s of %(entity)s.", id=merge_id, entity=entity.name)
        )
    if entry.undone_at is not None:
        raise ConflictError(Translatable("Merge %(id)s was undone already.", id=merge_id))
    load_live(service, ctx, entity, entry.survivor_id)
    if entry.survivor_before:
        service.update(ctx, entity, entry.survivor_id, dict(entry.survivor_before), None)
    for loser in entry.losers:
        try:
            service.restore(ctx, entity, loser)
        except NotFoundError:
            raise ConflictError(
                Translatable(
                    "%(label)s %(id)s is no longer in the recycle bin; "
                    "merge %(merge)s cannot be undone.",
                    label=str(entity.entity.label),
                    id=loser,
                    merge=merge_id,
                )
            ) from None
    with chained(
        ctx, UNDO_SOURCE, lambda: Translatable("Undoing a merge went too deep; nothing was saved.")
    ):
        for move in entry.moves:
            _move_back(service, ctx, app, entry, move)
    mark_undone(ctx.conn, app, merge_id, ctx.now)
    return entry


def _move_back(
    service: RecordService, ctx: SaveContext, app: CompiledApp, entry: MergeEntry, move: Move
) -> None:
    source = app.entities.get(move.entity)
    if source is None or move.field not in source.entity.fields:
        return
    current = service.get(ctx.conn, source, move.record_id)
    if current is None:
        return
    spec = source.entity.fields[move.field]
    value = _undone_value(spec.type, current, move, entry)
    if value is _KEEP:
        return
    try:
        service.update(ctx, source, move.record_id, {move.field: value}, None)
    except RecordError:
        raise ConflictError(
            Translatable(
                "%(entity)s %(id)s cannot point back at the merged records; nothing was changed.",
                entity=move.entity,
                id=move.record_id,
            )
        ) from None


_KEEP = object()


def _undone_value(kind: FieldType, current: Record, move: Move, entry: MergeEntry) -> Any:
    """The value that undoes the move, or ``_KEEP`` when it changed since."""
    now = current.get(move.field)
    survivor = entry.survivor_id
    if kind == FieldType.MANY_TO_MANY:
        before = {int(i) for i in (move.before or [])}
        held = {int(i) for i in (now or [])}
        added = {survivor} - before
        removed = before & set(entry.losers)
        return sorted((held - added) | removed)
    if kind == FieldType.ANY_REFERENCE:
        pointing = to_json(now, None) == f"{entry.entity}:{survivor}"
        return api_value(kind, move.before) if pointing else _KEEP
    if now != survivor:
        return _KEEP
    return move.before


__all__ = ["UNDO_SOURCE", "undo_merge"]
