"""The writing after-save actions: ``create … [as <name>]`` and ``update``.

Both save through the pipeline (the ``Saver``), chained to the save that fired the
rule, in its transaction: a refusal anywhere refuses the whole save. A ``create``
bound with ``as`` leaves the new id in ``Scene.bound`` for the rule's later actions,
whose values read it as a reference field of the firing record.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import DslType
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.records.filter_fields import filter_problems
from trellis.platform.records.lines import LineField, line_fields, stored_lines
from trellis.platform.records.save_context import MAX_CHAIN_DEPTH, chained
from trellis.platform.records.values import to_json
from trellis.platform.triggers.scene import Scene
from trellis.rules.expr import compile_expression
from trellis.rules.triggers import CompiledRule
from trellis.rules.triggers import actions as act
from trellis.rules.triggers.writes import EACH


def _too_deep(rule: CompiledRule, doing: str) -> str:
    return (
        f"Trigger rules chained more than {MAX_CHAIN_DEPTH} saves (rule '{rule.name}' "
        f"{doing}); check for rules that trigger each other. Nothing was saved."
    )


def _data(
    scene: Scene,
    target: CompiledEntity,
    values: tuple[tuple[str, Any], ...],
    any_refs: act.AnyRefs,
) -> dict[str, Any]:
    """The values to save, evaluated on the firing record and the rule's bindings."""
    inputs = {**scene.record, **scene.bound} if scene.bound else scene.record
    fields, refs = target.entity.fields, dict(any_refs)
    data: dict[str, Any] = {}
    for name, expr in values:
        value = expr.evaluate(inputs, scene.ev)
        if name in refs and value is not None:
            data[name] = {"entity": refs[name], "id": value}
        else:
            data[name] = to_json(value, fields.get(name))
    return data


def _refused(rule: CompiledRule, doing: str, err: ValidationFailedError) -> ValidationFailedError:
    problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in err.errors.items())
    return ValidationFailedError({"__all__": [f"Rule '{rule.name}' could not {doing}: {problems}"]})


class RecordWrites:
    """Runs ``create`` and ``update`` actions for the rules of one compiled app."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app

    def create(self, scene: Scene, rule: CompiledRule, action: act.CreateAction) -> int | None:
        """Create the action's record; its id (also bound to ``action.binding``)."""
        ctx, saver = scene.ctx, scene.saver
        target = self.app.entities.get(action.entity)
        if saver is None or target is None:
            return None
        doing = f"create a {target.name}"
        data = _data(scene, target, action.values, action.any_refs)
        for into, source in action.copy_lines:
            data[into] = self._copied_lines(scene, target, into, source)
        try:
            with chained(ctx, "rule", lambda: _too_deep(rule, f"creating a {target.name}")):
                created = saver.create(ctx, target, data)
        except ValidationFailedError as err:
            raise _refused(rule, doing, err) from None
        new_id = int(created["id"])
        if action.binding is not None:
            scene.bound[action.binding] = new_id
        return new_id

    def create_each(self, scene: Scene, rule: CompiledRule, action: act.CreateAction) -> list[int]:
        """``create … for each <e> matching <path>``: one record per matched record of
        ``e`` that has no live twin yet (same values), so running it again adds only
        the records that are missing; the ids created."""
        ctx, saver = scene.ctx, scene.saver
        target = self.app.entities.get(action.entity)
        each = self.app.entities.get(action.each or "")
        if saver is None or target is None or each is None or action.matching is None:
            return []
        text = action.matching.evaluate(scene.record, scene.ev)
        if not isinstance(text, str) or not text.strip():
            return []
        doing = f"create a {target.name} for each {each.name}"
        problems = filter_problems(text, each.entity, self.app.model)
        if problems:
            raise ValidationFailedError(
                {"__all__": [f"Rule '{rule.name}' could not {doing}: {'; '.join(problems)}"]}
            )
        condition = compile_expression(text, each.entity, self.app.model, expected=DslType.BOOLEAN)
        t = each.table
        matched = sa.select(t.c.id).where(
            t.c.deleted_at.is_(None), condition.to_sql(self.app.table, scene.ev)
        )
        created: list[int] = []
        bound = scene.bound
        try:
            for match_id in [int(i) for i in ctx.conn.execute(matched.order_by(t.c.id)).scalars()]:
                scene.bound = {**bound, EACH: match_id}
                data = _data(scene, target, action.values, action.any_refs)
                if self._exists(ctx.conn, target, data):
                    continue
                with chained(ctx, "rule", lambda: _too_deep(rule, f"creating a {target.name}")):
                    created.append(int(saver.create(ctx, target, data)["id"]))
        except ValidationFailedError as err:
            raise _refused(rule, doing, err) from None
        finally:
            scene.bound = bound
        return created

    @staticmethod
    def _exists(conn: sa.Connection, target: CompiledEntity, data: dict[str, Any]) -> bool:
        """Whether a live record of ``target`` already has every value of ``data``."""
        t = target.table
        same = [
            t.c[k].is_(None) if v is None else t.c[k] == v
            for k, v in data.items()
            if not isinstance(v, dict | list)
        ]
        query = sa.select(t.c.id).where(t.c.deleted_at.is_(None), *same).limit(1)
        return conn.execute(query).first() is not None

    def update(self, scene: Scene, rule: CompiledRule, action: act.UpdateAction) -> list[int]:
        """Update the firing record, or every record whose ``link`` points at it; the ids."""
        ctx, saver = scene.ctx, scene.saver
        target = scene.entity if action.entity is None else self.app.entities.get(action.entity)
        if saver is None or target is None:
            return []
        data = _data(scene, target, action.values, action.any_refs)
        if action.through is not None:
            pointed = scene.record.get(action.through)
            ids = [int(pointed)] if pointed is not None else []
        elif action.link is None:
            ids = [scene.record_id]
        else:
            ids = self._linked(scene, target, action)
        doing = f"update a {target.name}"
        # A plain update: not the transition (if any) the save that fired the rule runs.
        intent, ctx.intent = ctx.intent, None
        try:
            for record_id in ids:
                with chained(ctx, "rule", lambda: _too_deep(rule, f"updating a {target.name}")):
                    saved = saver.update(ctx, target, record_id, data, None)
                if action.entity is None and action.through is None:
                    # The caller (and the API response) sees the record as the rule left it.
                    scene.record.update(saved)
        except ValidationFailedError as err:
            raise _refused(rule, doing, err) from None
        finally:
            ctx.intent = intent
        return ids

    def _copied_lines(
        self, scene: Scene, target: CompiledEntity, into: str, source: str
    ) -> list[dict[str, Any]]:
        """The firing record's ``source`` lines as new lines of ``target``'s ``into``.

        A line keeps the values of the fields both line entities have and a new line may
        be given (not computed, not the reference back); the others take their defaults.
        """
        by_name = {f.lines.name: f for f in line_fields(self.app, scene.entity.entity)}
        new = {f.lines.name: f for f in line_fields(self.app, target.entity)}
        origin, made = by_name[source], new[into]
        names = [n for n in _copyable(made) if n in _copyable(origin)]
        fields = made.child.entity.fields
        return [
            {n: to_json(row.get(n), fields[n]) for n in names if row.get(n) is not None}
            for row in stored_lines(scene.ctx.conn, origin, scene.record_id)
        ]

    @staticmethod
    def _linked(scene: Scene, target: CompiledEntity, action: act.UpdateAction) -> list[int]:
        """The live records of ``target`` whose ``link`` points at the firing record."""
        link = action.link or ""
        field = target.entity.fields[link]
        key: object = scene.record_id
        if field.type == "any_reference":
            key = f"{scene.entity.name}:{scene.record_id}"
        t = target.table
        query = sa.select(t.c.id).where(t.c[link] == key, t.c.deleted_at.is_(None))
        return [int(i) for i in scene.ctx.conn.execute(query.order_by(t.c.id)).scalars()]


def _copyable(field: LineField) -> list[str]:
    """The fields of a line entity a new line may be given (in declaration order)."""
    return [
        f.name
        for f in field.child.entity.fields.values()
        if not f.computed and f.name != field.parent_field
    ]


__all__ = ["RecordWrites"]
