"""What of ``_rule_runs`` a caller may see: runs of records they reach, fields they see.

A run is listed when the caller may read its entity and its record is inside the
caller's record scope (the same SQL predicate every read path applies). Its
``changes`` lose the fields hidden from the caller and the ids of records created in
entities the caller may not read. Runs without an entity (``every`` rules) are for
admins only. Admins see everything. Dry-run steps are trimmed the same way.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from trellis.platform.authz import Access
from trellis.platform.records.hooks import TraceStep
from trellis.rules.expr import EvalContext

_CREATE = "create "


def visible_runs(access: Access, runs: sa.Table) -> sa.ColumnElement[bool] | None:
    """The condition on ``runs`` rows the caller may see; None when every row."""
    if access.admin:
        return None
    app = access.app
    ectx = EvalContext(now=access.clock.now(), user_id=access.user_id)
    options: list[sa.ColumnElement[bool]] = []
    for name, entity in app.entities.items():
        if not access.can(name, "read"):
            continue
        scope = access.scope(entity, ectx)
        if scope is None:
            options.append(runs.c.entity == name)
            continue
        reached = sa.select(entity.table.c.id).where(scope)
        options.append(sa.and_(runs.c.entity == name, runs.c.record_id.in_(reached)))
    return sa.or_(*options) if options else sa.false()


def visible_changes(access: Access, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` (a run) with its ``changes`` trimmed to what the caller may see."""
    if access.admin or not isinstance(item.get("changes"), dict):
        return item
    entity = str(item.get("entity") or "")
    hidden = access.entity(entity).hidden if entity in access.app.entities else frozenset()
    kept: dict[str, Any] = {}
    for key, value in item["changes"].items():
        if key in hidden:
            continue
        if key.startswith(_CREATE) and not access.can(key[len(_CREATE) :], "read"):
            continue
        kept[key] = value
    return {**item, "changes": kept}


def visible_steps(access: Access, trace: list[TraceStep]) -> list[dict[str, Any]]:
    """A dry run's steps as the caller may see them.

    Steps about records of entities the caller may not read are left out, and so are
    steps that only changed fields hidden from the caller (a parent's restricted
    rollup recomputed, say); the others lose their hidden fields.
    """
    steps: list[dict[str, Any]] = []
    for step in trace:
        item = step.as_json()
        if access.admin:
            steps.append(item)
            continue
        if step.entity and not access.can(step.entity, "read"):
            continue
        shown = visible_changes(access, {"entity": step.entity, "changes": step.changes})
        if step.changes and not shown["changes"]:
            continue
        steps.append({**item, "changes": shown["changes"]})
    return steps


__all__ = ["visible_changes", "visible_runs", "visible_steps"]
