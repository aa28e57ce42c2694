"""Rollup fields kept correct in the saving transaction.

When a child record is created, changed, re-parented or deleted, every rollup that
aggregates that child entity is recomputed in SQL for the old and the new parent,
and stored on the parent through the save pipeline's ``Saver`` (its formulas follow, and
rollups of rollups chain). ``sum`` and ``count`` over no children are 0; ``min``,
``max`` and ``avg`` over none are empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import DslType, FieldDef
from trellis.platform.money import MoneySource, convert_parts, money_source, parts_query, rate_book
from trellis.platform.money.parts import part_of
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.records.hooks import SaveEvent
from trellis.rules.expr import CompiledExpression, compile_expression


@dataclass(frozen=True, slots=True)
class CompiledRollup:
    """One rollup field with its filter compiled once."""

    parent: str
    field: FieldDef
    child: str
    via: str
    agg: str
    value_field: str | None
    where: CompiledExpression | None
    #: The child's money field when it carries a currency: summed per currency and
    #: converted to the base currency instead of added raw.
    money: MoneySource | None = None

    def empty_value(self) -> Any:
        """The value over no children."""
        return 0 if self.agg in ("sum", "count") else None


class RollupHook:
    """Recomputes rollups of parents when their children are saved."""

    def __init__(self, app: CompiledApp, rollups: list[CompiledRollup]) -> None:
        self.app = app
        self.by_child: dict[str, list[CompiledRollup]] = {}
        self.by_parent: dict[str, list[CompiledRollup]] = {}
        for rollup in rollups:
            self.by_child.setdefault(rollup.child, []).append(rollup)
            self.by_parent.setdefault(rollup.parent, []).append(rollup)

    def before_write(self, event: SaveEvent) -> None:
        """A new parent starts with the values over no children."""
        if event.op != "create":
            return
        for rollup in self.by_parent.get(event.entity.name, ()):
            event.record[rollup.field.name] = rollup.empty_value()

    def after_write(self, event: SaveEvent) -> None:
        """Recompute the rollups of the old and new parents of a saved child."""
        for rollup_group in self._groups(event.entity.name):
            parent = self.app.entities[rollup_group[0].parent]
            via = rollup_group[0].via
            parents = {event.record.get(via)}
            if event.old is not None:
                parents.add(event.old.get(via))
            ids = sorted(int(p) for p in parents if p is not None)
            # A parent saving its lines recomputes its rollups once, after the last line.
            waiting = event.ctx.lines_parent
            ids = [i for i in ids if waiting != (parent.name, i)]
            deferred = event.ctx.deferred_rollups
            if deferred is not None:
                deferred.update((parent.name, i) for i in ids)
                continue
            # Lock the parents (in id order, so two saves cannot deadlock) before
            # counting: on PostgreSQL a count taken before the lock misses children
            # another transaction moved or deleted and committed meanwhile.
            for parent_id in ids:
                _lock(event, parent, parent_id)
            for parent_id in ids:
                values = self._aggregate(event, rollup_group, parent_id)
                if event.saver is not None:
                    event.saver.recompute(event.ctx, parent, parent_id, values)

    def parent_values(self, event: SaveEvent, parent_id: int) -> dict[str, Any]:
        """Every rollup of ``event``'s entity over its stored children, by field."""
        groups: dict[tuple[str, str], list[CompiledRollup]] = {}
        for rollup in self.by_parent.get(event.entity.name, ()):
            groups.setdefault((rollup.child, rollup.via), []).append(rollup)
        values: dict[str, Any] = {}
        for group in groups.values():
            values.update(self._aggregate(event, group, parent_id))
        return values

    def _groups(self, child: str) -> list[list[CompiledRollup]]:
        groups: dict[tuple[str, str], list[CompiledRollup]] = {}
        for rollup in self.by_child.get(child, ()):
            groups.setdefault((rollup.parent, rollup.via), []).append(rollup)
        return list(groups.values())

    def _aggregate(
        self, event: SaveEvent, rollups: list[CompiledRollup], parent_id: int
    ) -> dict[str, Any]:
        table = self.app.table(rollups[0].child)
        columns = []
        converted: dict[str, Any] = {}
        for rollup in rollups:
            condition = (
                rollup.where.to_sql(self.app.table, event.eval) if rollup.where else sa.true()
            )
            if rollup.money is not None and rollup.agg != "count":
                converted[rollup.field.name] = self._convert(
                    event, rollup, rollup.money, table, condition, parent_id
                )
                continue
            if rollup.agg == "count":
                value: Any = sa.func.count(sa.case((condition, 1)))
            else:
                target = table.c[rollup.value_field or "id"]
                aggregate = getattr(sa.func, rollup.agg)  # sum, min, max or avg
                value = aggregate(sa.case((condition, target)))
            columns.append(value.label(rollup.field.name))
        values: dict[str, Any] = dict(converted)
        if columns:
            row = event.ctx.conn.execute(
                sa.select(*columns).where(
                    table.c[rollups[0].via] == parent_id, table.c.deleted_at.is_(None)
                )
            ).one()
            values.update(row._mapping)
        for rollup in rollups:
            if values[rollup.field.name] is None:
                values[rollup.field.name] = rollup.empty_value()
        return values

    def _convert(
        self,
        event: SaveEvent,
        rollup: CompiledRollup,
        money: MoneySource,
        table: sa.Table,
        condition: sa.ColumnElement[Any],
        parent_id: int,
    ) -> Any:
        """The rollup over amounts in several currencies, in the base currency.

        Raises:
            ValidationFailedError: a child's amount has no rate on its date (422 naming
                the child's money field and the date).
        """
        conn = event.ctx.conn
        where = [table.c[rollup.via] == parent_id, table.c.deleted_at.is_(None), condition]
        rows = conn.execute(parts_query(money, table, conn.dialect.name, where))
        parts = [part_of(row, event.eval.today) for row in rows]
        if not parts:
            return rollup.empty_value()
        codes = {p.currency for p in parts if p.currency is not None}
        result = convert_parts(parts, rollup.agg, rate_book(conn, self.app, codes))
        if result.missing:
            raise ValidationFailedError({money.field.name: [m.sentence() for m in result.missing]})
        return result.value


def _lock(event: SaveEvent, parent: CompiledEntity, parent_id: int) -> None:
    """Hold the parent's row until the save commits (PostgreSQL; SQLite has one writer)."""
    conn = event.ctx.conn
    if conn.dialect.name == "postgresql":
        t = parent.table
        conn.execute(sa.select(t.c.id).where(t.c.id == parent_id).with_for_update())


def rollup_hook(app: CompiledApp) -> RollupHook | None:
    """The rollup hook of ``app``, or None when no field is a rollup."""
    rollups: list[CompiledRollup] = []
    for entity in app.entities.values():
        for f in entity.entity.fields.values():
            if f.rollup is not None:
                rollups.append(_compile(app, entity, f))
    return RollupHook(app, rollups) if rollups else None


def _compile(app: CompiledApp, parent: CompiledEntity, f: FieldDef) -> CompiledRollup:
    spec = f.rollup
    if spec is None:
        raise ValueError(f"field '{f.name}' is not a rollup")
    child = app.model.entity(spec.entity)
    where = (
        compile_expression(
            spec.where, child, app.model, expected=DslType.BOOLEAN, span=spec.where_source
        )
        if spec.where
        else None
    )
    money = money_source(child, spec.field)
    return CompiledRollup(parent.name, f, spec.entity, spec.via, spec.agg, spec.field, where, money)


__all__ = ["CompiledRollup", "RollupHook", "rollup_hook"]
