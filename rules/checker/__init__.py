"""Expression checking for the metadata loader: diagnostics, never exceptions.

The loader calls :meth:`RuleExpressionChecker.check` for every formula, default,
validation and guard it finds, and :meth:`RuleExpressionChecker.check_rule_files`
once for the package's ``rules/*.rules`` files, and merges the diagnostics into its
own report.
"""

from __future__ import annotations

from collections.abc import Mapping

from trellis.metadata.diagnostics import Diagnostic
from trellis.metadata.model import AppModel, DslType, EntityDef, SourceSpan
from trellis.rules.expr import ExpressionError, codes, compile_expression
from trellis.rules.expr._sql import refuse_python_only
from trellis.rules.expr.errors import Locator
from trellis.rules.triggers import check_rules


def _diagnostics(
    source: str,
    entity: EntityDef,
    model: AppModel,
    span: SourceSpan,
    expected: DslType | None,
    user: Mapping[str, str] | None = None,
    *,
    sql: bool = False,
) -> list[Diagnostic]:
    """Compile ``source``: its problems as diagnostics, an ``RL099`` one for a crash.

    With ``sql`` the expression must also have an SQL form (``RL015`` otherwise).
    """
    try:
        compiled = compile_expression(
            source, entity, model, expected=expected, span=span, user=user
        )
        if sql:
            refuse_python_only(compiled.tree, source, span)
    except ExpressionError as err:
        return list(err.diagnostics)
    except Exception as err:  # the loader must get diagnostics, not a crash
        message = f"Internal error while checking this expression: {type(err).__name__}: {err}"
        return [Locator(source, span).diagnostic(codes.INTERNAL, message, 1, 1)]
    return []


class _QueryChecks:
    """Checks of conditions that run as SQL only."""

    def check_query_condition(
        self, source: str, entity: EntityDef, model: AppModel, *, span: SourceSpan
    ) -> list[Diagnostic]:
        """Check a boolean run as SQL (a dashboard tile's ``where``): no Python-only calls."""
        return _diagnostics(source, entity, model, span, DslType.BOOLEAN, sql=True)


class RuleExpressionChecker(_QueryChecks):
    """Type-checks rule expressions against the metadata for the loader."""

    def check(
        self,
        source: str,
        entity: EntityDef,
        model: AppModel,
        *,
        expected: DslType | None,
        span: SourceSpan,
    ) -> list[Diagnostic]:
        """Return every problem of ``source`` as diagnostics placed in the YAML file.

        An empty list means the expression is valid. Never raises: an unexpected
        failure is reported as an ``RL099`` diagnostic at the expression's start.
        """
        return _diagnostics(source, entity, model, span, expected)

    def check_role_condition(
        self, source: str, entity: EntityDef, model: AppModel, *, span: SourceSpan
    ) -> list[Diagnostic]:
        """Check a role's ``where``: a boolean that may read ``user.<attribute>`` (text).

        Any attribute name is accepted (a user may lack it: it is then empty).
        """
        return _diagnostics(source, entity, model, span, DslType.BOOLEAN, user={}, sql=True)

    def check_rule_files(self, model: AppModel) -> list[Diagnostic]:
        """Return every problem of every rule file at ``path:line:col`` (``RLnnn`` codes).

        Includes ``RL111`` warnings (a rule that can re-trigger itself). Never raises.
        """
        try:
            return check_rules(model)[1]
        except Exception as err:  # the loader must get diagnostics, not a crash
            path = model.rule_sources[0].path if model.rule_sources else "rules"
            message = f"Internal error while checking rule files: {type(err).__name__}: {err}"
            return [Diagnostic(codes.INTERNAL, message, SourceSpan(path, 1, 1))]


__all__ = ["RuleExpressionChecker"]
