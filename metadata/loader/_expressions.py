"""Check formulas, defaults and validation conditions through an injected checker."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol, runtime_checkable

from trellis.metadata.diagnostics import Diagnostic
from trellis.metadata.loader._field_checks import NOT_COMPUTABLE
from trellis.metadata.loader._formula_deps import mentions
from trellis.metadata.loader._report import Report
from trellis.metadata.model import FIELD_TYPES, AppModel, DslType, EntityDef, SourceSpan


class ExpressionChecker(Protocol):
    """Type-checks one rule-language expression against an entity.

    ``span`` is where the expression's first character sits in its file; the
    returned diagnostics carry positions inside the file.
    """

    def check(
        self,
        source: str,
        entity: EntityDef,
        model: AppModel,
        *,
        expected: DslType | None,
        span: SourceSpan,
    ) -> list[Diagnostic]: ...


@runtime_checkable
class RuleFileChecker(Protocol):
    """Optionally implemented by a checker: checks ``model.rule_sources`` as a whole."""

    def check_rule_files(self, model: AppModel) -> list[Diagnostic]: ...


def check_expressions(
    model: AppModel,
    checker: ExpressionChecker,
    unreliable: Mapping[str, Collection[str]],
    report: Report,
) -> None:
    """Run ``checker`` on every formula, default and validation ``when`` of ``model``.

    An expression that mentions a name in ``unreliable[entity]`` (a field that could
    not be built, or a reference to an entity that could not be read) is skipped: its
    errors would only repeat a problem already reported.
    """
    for entity in model.entities.values():
        skip = unreliable.get(entity.name, ())
        jobs: list[tuple[str, str, DslType, SourceSpan | None]] = []
        for f in entity.fields.values():
            dsl_type = FIELD_TYPES[f.type].dsl_type
            if f.formula is not None and f.type not in NOT_COMPUTABLE:
                jobs.append((f"field '{f.name}' formula", f.formula, dsl_type, f.formula_source))
            elif f.default is not None and not f.computed:
                jobs.append((f"field '{f.name}' default", f.default, dsl_type, f.default_source))
            for key, text in f.conditions().items():
                span = f.condition_sources.get(key)
                jobs.append((f"field '{f.name}' {key}", text, DslType.BOOLEAN, span))
        for v in entity.validations:
            jobs.append(("validation 'when'", v.when, DslType.BOOLEAN, v.when_source))
        for owner, source, expected, span in jobs:
            if span is None or (skip and mentions(source, skip)):
                continue
            found = checker.check(source, entity, model, expected=expected, span=span)
            report.extend(_as_metadata(owner, d) for d in found)
        _check_rollup_filters(model, entity, checker, report)


def _check_rollup_filters(
    model: AppModel, entity: EntityDef, checker: ExpressionChecker, report: Report
) -> None:
    """A rollup's ``where`` reads the child entity's fields."""
    for f in entity.fields.values():
        rollup = f.rollup
        if rollup is None or rollup.where is None or rollup.where_source is None:
            continue
        child = model.entities.get(rollup.entity)
        if child is None:
            continue
        found = checker.check(
            rollup.where, child, model, expected=DslType.BOOLEAN, span=rollup.where_source
        )
        report.extend(_as_metadata(f"field '{f.name}' rollup where", d) for d in found)


def _as_metadata(owner: str, d: Diagnostic) -> Diagnostic:
    """Re-code a rule diagnostic as MD020, keeping its own code in the message."""
    if d.code.startswith("MD"):
        return d
    return Diagnostic(
        "MD020",
        f"{owner}: {d.message} [{d.code}]",
        d.span,
        d.suggestion,
        d.severity,
        d.context,
    )
