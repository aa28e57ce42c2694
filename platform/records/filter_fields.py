"""Fields that hold a rule-language filter (``filter_of: <entity>``), checked on save.

A segment's condition on contacts is such a field: every save compiles the value as a
list filter of the named entity (boolean, with an SQL form) and refuses a bad one with
the line, column and ``RLnnn`` code of each problem, so nothing is stored that a later
query could not run.
"""

from __future__ import annotations

from functools import lru_cache

from trellis.metadata.model import AppModel, DslType, EntityDef, FieldDef
from trellis.metadata.model.local_text import Translatable
from trellis.rules.expr import ExpressionError, compile_expression
from trellis.rules.expr._sql import refuse_python_only


def filter_problems(text: str, entity: EntityDef, model: AppModel) -> list[str]:
    """Each problem of ``text`` as a filter of ``entity``, positioned; empty when fine."""
    try:
        compiled = compile_expression(text, entity, model, expected=DslType.BOOLEAN)
        refuse_python_only(compiled.tree, text)
    except ExpressionError as exc:
        return [
            Translatable(
                "Line %(line)s, column %(column)s: %(code)s %(message)s",
                line=d.span.line,
                column=d.span.col,
                code=d.code,
                message=d.message + (f" (did you mean '{d.suggestion}'?)" if d.suggestion else ""),
            )
            for d in exc.diagnostics
        ]
    return []


class FilterFields:
    """Checks the ``filter_of`` fields of one entity against the whole model."""

    def __init__(self, entity: EntityDef, model: AppModel | None) -> None:
        self.model = model
        self.fields: dict[str, FieldDef] = {
            name: f for name, f in entity.fields.items() if f.filter_of and model is not None
        }
        self._check = lru_cache(maxsize=256)(self._problems)

    def _problems(self, field: str, text: str) -> tuple[str, ...]:
        target = self.fields[field].filter_of or ""
        assert self.model is not None
        entity = self.model.entities.get(target)
        if entity is None:
            return ()
        return tuple(filter_problems(text, entity, self.model))

    def problems(self, field: str, value: object) -> list[str]:
        """The problems of ``value`` for filter field ``field`` (none for other fields)."""
        if field not in self.fields or not isinstance(value, str) or not value.strip():
            return []
        return list(self._check(field, value))


__all__ = ["FilterFields", "filter_problems"]
