"""Try a rule on record #N: the rule being edited, evaluated on one stored record.

The condition (a validation's ``when``, a trigger rule's ``when``) is compiled against
the published model and evaluated in the tenant's database on record N, read only.
What the record's save would run today (the published validations and rules) comes
from the dry-run explanation (``?dry_run=true``), which the screen shows beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from trellis.metadata.model import DslType
from trellis.platform.authz.call import Call
from trellis.platform.runtime import Runtime
from trellis.rules.expr import CompiledExpression, EvalContext, ExpressionError, compile_expression
from trellis.rules.triggers import check_rule_source

#: ``outcome`` values: the condition is true or false on the record; the record does not
#: exist; the condition uses what is only in the draft; it needs a save (``old()``).
OUTCOMES = ("true", "false", "missing", "draft_only", "needs_save")


@dataclass(frozen=True, slots=True)
class TryResult:
    """What the condition gives on the record (``outcome`` is one of ``OUTCOMES``)."""

    outcome: str
    #: The trigger rule's entity (the validation's own otherwise).
    entity: str


def _condition(
    call: Call, kind: str, entity: str, source: str
) -> tuple[str, CompiledExpression | None] | None:
    """The entity and compiled condition (None: always true), or None when it does not compile."""
    model = call.app.model
    if kind == "trigger":
        rules, problems = check_rule_source(model, source)
        if not rules or any(p.severity.value == "error" for p in problems):
            return None
        rule = rules[0]
        return rule.entity or entity, rule.when
    found = model.entities.get(entity)
    if found is None:
        return None
    try:
        return entity, compile_expression(source, found, model, expected=DslType.BOOLEAN)
    except ExpressionError:
        return None


def try_on_record(
    runtime: Runtime, call: Call, kind: str, entity: str, source: str, record_id: int
) -> TryResult:
    """Evaluate the condition of ``source`` (``kind`` validation or trigger) on ``record_id``."""
    compiled = _condition(call, kind, entity, source)
    if compiled is None:
        return TryResult("draft_only", entity)
    target, condition = compiled
    if target not in call.app.model.entities:
        return TryResult("draft_only", target)
    table = call.app.table(target)
    ctx = EvalContext(now=runtime.clock.now(), user_id=call.identity.user_id)
    try:
        value = condition.to_sql(call.app.table, ctx, as_value=True) if condition else sa.true()
    except ExpressionError:
        return TryResult("needs_save", target)
    query = sa.select(value).where(table.c.id == record_id, table.c.deleted_at.is_(None))
    with runtime.engines.tenant_connection(call.tenant) as conn:
        row = conn.execute(query).first()
    if row is None:
        return TryResult("missing", target)
    return TryResult("true" if row[0] else "false", target)


__all__ = ["OUTCOMES", "TryResult", "try_on_record"]
