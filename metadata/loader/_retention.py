"""``retention:`` of app.yaml: each rule's entity must exist and its ``when`` be a boolean
condition over it with an SQL form (MD372, keeping the rule checker's code)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trellis.metadata.diagnostics import Diagnostic, did_you_mean
from trellis.metadata.loader._dashboard_checks import QueryConditionChecker
from trellis.metadata.loader._expressions import ExpressionChecker
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import PositionMap
from trellis.metadata.model import AppModel, DslType
from trellis.metadata.model.retention import RETENTION_ACTIONS, RetentionRuleDef


def _rule(
    model: AppModel, index: int, item: Any, positions: PositionMap, report: Report
) -> RetentionRuleDef | None:
    if not isinstance(item, dict):
        return None
    name, entity, when, action = (item.get(k) for k in ("name", "entity", "when", "action"))
    if not all(isinstance(v, str) for v in (name, entity, when)) or action not in RETENTION_ACTIONS:
        return None  # the schema reports it
    if entity not in model.entities:
        report.error(
            "MD372",
            f"retention rule '{name}': unknown entity '{entity}'",
            positions.value(("retention", index, "entity")),
            did_you_mean(str(entity), sorted(model.entities)),
        )
        return None
    return RetentionRuleDef(
        name=str(name),
        entity=str(entity),
        when=str(when),
        action=str(action),
        when_source=positions.content(("retention", index, "when")),
        source=positions.anchor(("retention", index)),
    )


def attach_retention(
    model: AppModel,
    data: Any,
    positions: PositionMap,
    checker: ExpressionChecker | None,
    report: Report,
) -> AppModel:
    """Build the retention rules and check their conditions (when a checker is given)."""
    items = data.get("retention") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return model
    rules = [_rule(model, i, item, positions, report) for i, item in enumerate(items)]
    built = tuple(r for r in rules if r is not None)
    names = [r.name for r in built]
    for r in built:
        if names.count(r.name) > 1 and names.index(r.name) != built.index(r):
            report.error("MD372", f"retention rule '{r.name}' is declared twice", r.source)
    if checker is not None:
        for r in built:
            entity = model.entities[r.entity]
            if isinstance(checker, QueryConditionChecker):
                found = checker.check_query_condition(r.when, entity, model, span=r.when_source)
            else:
                found = checker.check(
                    r.when, entity, model, expected=DslType.BOOLEAN, span=r.when_source
                )
            report.extend(_recode(r.name, d) for d in found)
    return replace(model, retention=built)


def _recode(name: str, d: Diagnostic) -> Diagnostic:
    """A rule diagnostic on a retention rule's ``when`` as MD372, keeping its own code."""
    return Diagnostic(
        "MD372",
        f"retention rule '{name}' when: {d.message} [{d.code}]",
        d.span,
        d.suggestion,
        d.severity,
        d.context,
    )


__all__ = ["attach_retention"]
