"""The Trellis expression language: parse, type-check, compile to closures and SQL.

Example::

    expr = compile_expression('amount > 10000 and stage in ("proposal", "won")', deal, model)
    expr.evaluate(record, ctx)                      # Python closures, no tree walking
    select(table.c.id).where(expr.to_sql(tables, ctx))

Semantics (DESIGN.md §13): ``==``/``!=`` are null-safe; ordering with an empty
side is false; arithmetic with an empty operand is empty; division by zero is
empty; an empty value in a boolean position is false. ``is empty`` is true for
null, ``""`` and ``[]`` (whitespace-only text is not empty). ``contains``,
``starts_with``, ``ends_with`` and list membership ignore case; ``==`` on text
is exact. Diagnostic codes are listed in :mod:`trellis.rules.expr.codes`.
"""

from trellis.rules.expr._sql import HopScope
from trellis.rules.expr.compiled import CompiledExpression, compile_expression
from trellis.rules.expr.context import EvalContext
from trellis.rules.expr.errors import ExpressionError
from trellis.rules.expr.interpreter import interpret
from trellis.rules.expr.parser import parse_expression
from trellis.rules.expr.text_case import install_sqlite_functions

__all__ = [
    "CompiledExpression",
    "EvalContext",
    "ExpressionError",
    "HopScope",
    "compile_expression",
    "install_sqlite_functions",
    "interpret",
    "parse_expression",
]
