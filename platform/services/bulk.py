"""Bulk create and upsert: one result per item, each item applied whole or not at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trellis.metadata.model import FIELD_TYPES, DslType
from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz import Access
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import (
    BadRequestError,
    RecordError,
)
from trellis.platform.records.matching import match_record
from trellis.platform.records.service import RecordService, SaveContext

MAX_BULK_ITEMS = 1000
#: Field kinds an upsert can match on (an exact comparison of one stored value).
_UNMATCHABLE = {DslType.LIST, DslType.JSON}


def parse_bulk(entity: CompiledEntity, payload: Any) -> tuple[list[Any], str | None]:
    """Accept a JSON array or ``{"items": [...], "upsert_key": "field"}``."""
    upsert_key: str | None = None
    if isinstance(payload, dict):
        unknown = set(payload) - {"items", "upsert_key"}
        if unknown or not isinstance(payload.get("items"), list):
            raise BadRequestError('Send a JSON array, or {"items": [...], "upsert_key": "field"}.')
        upsert_key = payload.get("upsert_key")
        items = payload["items"]
    elif isinstance(payload, list):
        items = payload
    else:
        raise BadRequestError("Send a JSON array of records.")
    if upsert_key is not None and (
        not isinstance(upsert_key, str) or upsert_key not in entity.entity.fields
    ):
        raise BadRequestError(
            Translatable(
                "upsert_key '%(key)s' is not a field of %(entity)s.",
                key=upsert_key,
                entity=entity.name,
            ),
            {"upsert_key": [Translatable("Unknown field '%(name)s'.", name=upsert_key)]},
        )
    if upsert_key is not None:
        kind = FIELD_TYPES[entity.entity.fields[upsert_key].type].dsl_type
        if kind in _UNMATCHABLE:
            raise BadRequestError(
                Translatable(
                    "upsert_key '%(key)s' cannot match records (a list or JSON field).",
                    key=upsert_key,
                ),
                {
                    "upsert_key": [
                        Translatable("Use a field holding one value, such as text or a number.")
                    ]
                },
            )
    if len(items) > MAX_BULK_ITEMS:
        raise BadRequestError(
            Translatable("At most %(max)s items per bulk request.", max=MAX_BULK_ITEMS)
        )
    return items, upsert_key


def apply_bulk(
    ctx: SaveContext,
    service: RecordService,
    access: Access,
    entity: CompiledEntity,
    items: list[Any],
    upsert_key: str | None,
    *,
    render: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """Apply every item inside its own savepoint; returns the per-item answer."""
    conn = ctx.conn
    results: list[dict[str, Any]] = []
    counts = {"created": 0, "updated": 0, "failed": 0}
    item: Any
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            results.append(
                {
                    "index": index,
                    "status": "error",
                    "errors": {"__all__": ["Each item must be a JSON object."]},
                }
            )
            counts["failed"] += 1
            continue
        savepoint = conn.begin_nested()
        try:
            status, record = _apply_one(ctx, service, access, entity, item, upsert_key)
        except RecordError as exc:
            savepoint.rollback()
            results.append({"index": index, "status": "error", "errors": exc.body()["errors"]})
            counts["failed"] += 1
            continue
        savepoint.commit()
        counts[status] += 1
        results.append(
            {
                "index": index,
                "status": status,
                "id": record["id"],
                "record": render(record),
            }
        )
    return {"items": results, **counts}


def _apply_one(
    ctx: SaveContext,
    service: RecordService,
    access: Access,
    entity: CompiledEntity,
    item: dict[str, Any],
    upsert_key: str | None,
) -> tuple[str, dict[str, Any]]:
    access.check_write(entity, item)
    if upsert_key is not None and item.get(upsert_key) is not None:
        existing = _match(ctx, access, entity, upsert_key, item[upsert_key])
        if existing is not None:
            access.require(entity.name, "update")
            return "updated", service.update(ctx, entity, existing, item, None)
    access.require(entity.name, "create")
    return "created", service.create(ctx, entity, item)


def _match(
    ctx: SaveContext, access: Access, entity: CompiledEntity, key: str, raw: Any
) -> int | None:
    """The id of the one live record whose ``key`` equals ``raw`` (None: no match)."""
    return match_record(ctx, access, entity, {key: raw})


__all__ = ["MAX_BULK_ITEMS", "apply_bulk", "match_record", "parse_bulk"]
