"""``set`` and ``assign``: the actions that change the firing record itself.

The save hook applies them to the record being saved (before the write); the timer
runner applies them to a working copy written with one update.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Final, Literal, assert_never

import sqlalchemy as sa

from trellis.metadata.model import FieldDef, FieldType
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.values import to_stored
from trellis.platform.triggers._store import RuleStore
from trellis.platform.triggers.assign import Assigner
from trellis.rules.expr import EvalContext
from trellis.rules.triggers import AssignAction, CompiledRule, RecordAction, SetAction


class _Nobody(Enum):
    NOBODY = "nobody"


#: ``set owner_id = …`` fits its value as a user field (the owner is not a declared field).
OWNER_FIELD: Final = FieldDef("owner_id", FieldType.USER, "Owner")
#: What :meth:`RecordChanger.value` gives when an ``assign`` finds no member of the role.
NOBODY: Final = _Nobody.NOBODY


def fit_value(f: FieldDef, value: Any) -> Any:
    """Fit an expression value to the stored form of field ``f`` (its type's coerce)."""
    return to_stored(value, f)


class RecordChanger:
    """Computes the value a ``set`` or ``assign`` action gives its column."""

    def __init__(self, app: CompiledApp, store: RuleStore) -> None:
        self.assigner = Assigner(app, store)

    def value(
        self,
        conn: sa.Connection,
        rule: CompiledRule,
        action: RecordAction,
        entity: CompiledEntity,
        record: dict[str, Any],
        ev: EvalContext,
        own_id: int | None,
    ) -> Any | Literal[_Nobody.NOBODY]:
        """The new value of ``action.column`` for ``record`` (``own_id``: its id, None
        while it is created), or ``NOBODY`` (logged) when no member has the role."""
        match action:
            case SetAction(field=field, expr=expr):
                target = entity.entity.fields.get(field, OWNER_FIELD)
                return fit_value(target, expr.evaluate(record, ev))
            case AssignAction():
                picked = self.assigner.pick(conn, rule, action, entity, own_id, record)
                return NOBODY if picked is None else picked
            case _:
                assert_never(action)


__all__ = ["NOBODY", "RecordChanger", "fit_value"]
