"""``compile_expression``: source text to a checked, compiled expression."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel, DslType, EntityDef, SourceSpan
from trellis.rules.expr import typed as t
from trellis.rules.expr._closures import Fn, compile_closure
from trellis.rules.expr._sql import HopScope, SqlCompiler
from trellis.rules.expr._typecheck import TypeChecker
from trellis.rules.expr.context import EvalContext
from trellis.rules.expr.errors import ExpressionError, Locator
from trellis.rules.expr.parser import parse_expression


@dataclass(frozen=True, slots=True, eq=False)
class CompiledExpression:
    """An expression parsed, type-checked and compiled once; evaluate it many times.

    Attributes:
        source: The expression text.
        entity: Name of the entity whose records it reads.
        result_type: The type of its value.
        field_paths: Every field path it reads, in order of first use
            (``("account", "industry")`` for ``account.industry``).
        tree: The typed tree both compilers were built from.
    """

    source: str
    entity: str
    result_type: DslType
    field_paths: tuple[tuple[str, ...], ...]
    tree: t.Node
    _fn: Fn = field(repr=False)

    def evaluate(self, record: Mapping[str, Any], ctx: EvalContext) -> Any:
        """Evaluate against one record; booleans come back as ``True``/``False``.

        ``record`` maps field names to stored Python values (int, Decimal, str,
        bool, date, UTC datetime, list, None); missing names read as empty.
        """
        return self._fn(record, ctx)

    def to_sql(
        self,
        tables: Callable[[str], sa.Table],
        ctx: EvalContext,
        *,
        as_value: bool = False,
        hop_scope: HopScope | None = None,
    ) -> sa.ColumnElement[Any]:
        """Build the SQLAlchemy Core expression over ``tables(entity)``.

        Args:
            tables: Returns the table of an entity by name.
            ctx: Supplies ``now()``, ``today()`` and ``current_user()`` as parameters.
            as_value: For a boolean expression, never give NULL (use when selecting
                the value). Without it the result may be NULL where it means false,
                which is what ``WHERE`` needs and keeps predicates index-friendly.
            hop_scope: Gives the condition a referenced record must meet to be read
                through a path (``account.name``): the caller's record scope on that
                entity. A record outside it reads as empty, so a filter cannot reveal it.
        """
        return SqlCompiler(self.entity, tables, ctx, hop_scope).compile(
            self.tree, as_value=as_value
        )


def compile_expression(
    source: str,
    entity: EntityDef,
    model: AppModel,
    *,
    expected: DslType | None = None,
    span: SourceSpan | None = None,
    user: Mapping[str, str] | None = None,
) -> CompiledExpression:
    """Parse, type-check and compile ``source`` for records of ``entity``.

    Args:
        source: The expression text.
        entity: The entity whose fields the expression reads.
        model: The app model, to follow references to other entities.
        expected: The result type the caller needs (e.g. boolean for a validation).
        span: Where the text starts in its YAML file, to place diagnostics there.
        user: The calling user's attributes, for role conditions: ``user.<name>`` is
            then that attribute as text (empty when missing). None (the default)
            leaves ``user`` an ordinary field name.

    Raises:
        ExpressionError: With every problem found, as ``RLnnn`` diagnostics.
    """
    syntax = parse_expression(source, span=span)
    checker = TypeChecker(entity, model, Locator(source, span), user)
    tree = checker.check_result(syntax, expected)
    if checker.errors:
        raise ExpressionError(checker.errors)
    return CompiledExpression(
        source=source,
        entity=entity.name,
        result_type=tree.type,
        field_paths=tuple(checker.paths),
        tree=tree,
        _fn=compile_closure(tree),
    )
