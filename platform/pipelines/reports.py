"""Stage history queries: one record's stays, and time in stage and conversion per stage."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.tables import STAGE_HISTORY_TABLE
from trellis.platform.history.past_table import past_table
from trellis.platform.pipelines.binding import PipelineBinding, bind
from trellis.platform.pipelines.forecast import Authorize
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.values import as_utc, to_json


def _table(app: CompiledApp) -> sa.Table:
    return app.metadata.tables[STAGE_HISTORY_TABLE]


def record_stages(
    conn: sa.Connection, app: CompiledApp, entity: CompiledEntity, record_id: int, now: datetime
) -> dict[str, Any]:
    """Every stay of one record in a stage, oldest first, with its duration in seconds.

    An open stay (the current stage) lasts until ``now``. ``time_in_stage`` adds up
    the seconds per field and stage.
    """
    t = _table(app)
    rows = conn.execute(
        sa.select(t)
        .where(t.c.entity == entity.name, t.c.record_id == record_id)
        .order_by(t.c.field, t.c.entered_at, t.c.id)
    ).all()
    items: list[dict[str, Any]] = []
    totals: dict[str, dict[str, float]] = {}
    for row in rows:
        entered = as_utc(row.entered_at)
        left = as_utc(row.left_at) if row.left_at is not None else None
        seconds = ((left or now) - entered).total_seconds()
        items.append(
            {
                "field": row.field,
                "stage": row.stage,
                "entered_at": to_json(entered, None),
                "left_at": to_json(left, None),
                "seconds": seconds,
                "user_id": row.user_id,
            }
        )
        per_field = totals.setdefault(row.field, {})
        per_field[row.stage] = per_field.get(row.stage, 0.0) + seconds
    return {"entity": entity.name, "id": record_id, "items": items, "time_in_stage": totals}


def _seconds(dialect: str, start: Any, end: Any) -> Any:
    if dialect == "postgresql":
        return sa.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def stage_stats(
    conn: sa.Connection,
    app: CompiledApp,
    params: Mapping[str, str],
    authorize: Authorize | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Per stage of a pipeline, over live records: how many entered it, are in it now,
    the average stay, and how many went on to a later stage that is not lost.

    ``authorize(entity, fields)`` refuses what the caller may not read and returns the
    caller's record scope, which limits the records counted. With ``at`` the figures
    are those of that moment: stays entered by then, a stay left later counted as still
    open, over the records that existed then (:func:`past_table`).

    Raises:
        BadRequestError: unknown or ambiguous pipeline, entity or field.
    """
    binding = bind(app, params)
    records = app.table(binding.entity.name)
    scope = authorize(binding.entity.name, (binding.field.name,)) if authorize else None
    if at is None:
        ids = sa.select(records.c.id).where(
            records.c.deleted_at.is_(None), *(() if scope is None else (scope,))
        )
        return _stage_stats(conn, app, binding, ids, None)
    entity = app.entities[binding.entity.name]
    with past_table(conn, app, entity, at, scope=scope) as past:
        return _stage_stats(conn, app, binding, sa.select(past.c.id), as_utc(at))


def _stage_stats(
    conn: sa.Connection,
    app: CompiledApp,
    binding: PipelineBinding,
    ids: sa.Select[Any],
    at: datetime | None,
) -> dict[str, Any]:
    """The stage figures of the records ``ids`` (as of ``at`` when given)."""
    stages = binding.pipeline.stages
    order = {s.name: i for i, s in enumerate(stages)}
    lost = [s.name for s in stages if s.lost]
    h, later = _table(app), _table(app).alias("later")
    # As of ``at``: a stay entered later did not exist; one left later was still open.
    left_at = h.c.left_at if at is None else sa.case((h.c.left_at <= at, h.c.left_at))
    entered_then = sa.true() if at is None else h.c.entered_at <= at
    rank = sa.case(order, value=h.c.stage, else_=-1)
    later_rank = sa.case(order, value=later.c.stage, else_=-1)
    moved_on = (
        sa.select(later.c.id)
        .where(
            later.c.entity == h.c.entity,
            later.c.record_id == h.c.record_id,
            later.c.field == h.c.field,
            later.c.entered_at >= h.c.entered_at,
            later.c.id != h.c.id,
            later_rank > rank,
            later.c.stage.not_in(lost) if lost else sa.true(),
            sa.true() if at is None else later.c.entered_at <= at,
        )
        .exists()
    )
    closed = left_at.is_not(None)
    query = (
        sa.select(
            h.c.stage,
            sa.func.count(sa.distinct(h.c.record_id)).label("entered"),
            sa.func.count(sa.distinct(sa.case((left_at.is_(None), h.c.record_id)))).label(
                "current"
            ),
            sa.func.avg(
                sa.case((closed, _seconds(conn.dialect.name, h.c.entered_at, left_at)))
            ).label("avg_seconds"),
            sa.func.count(sa.distinct(sa.case((moved_on, h.c.record_id)))).label("converted"),
        )
        .where(
            h.c.entity == binding.entity.name,
            h.c.field == binding.field.name,
            entered_then,
            h.c.record_id.in_(ids),
        )
        .group_by(h.c.stage)
    )
    found = {row.stage: row for row in conn.execute(query)}
    items: list[dict[str, Any]] = []
    for s in stages:
        row = found.get(s.name)
        entered = int(row.entered) if row is not None else 0
        converted = int(row.converted) if row is not None else 0
        average = row.avg_seconds if row is not None else None
        items.append(
            {
                "stage": s.name,
                "label": s.label,
                "probability": to_json(s.probability, None),
                "won": s.won,
                "lost": s.lost,
                "entered": entered,
                "current": int(row.current) if row is not None else 0,
                "avg_seconds": float(average) if average is not None else None,
                "converted": converted,
                "conversion": round(converted / entered, 4) if entered else None,
            }
        )
    return {
        "pipeline": binding.pipeline.name,
        "entity": binding.entity.name,
        "field": binding.field.name,
        "stages": items,
    }


__all__ = ["record_stages", "stage_stats"]
