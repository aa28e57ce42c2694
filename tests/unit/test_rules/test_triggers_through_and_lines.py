"""``update <reference> {…}`` and a ``create`` copying lines: parsing, typing, errors."""

from __future__ import annotations

from pathlib import Path

from trellis.metadata.loader import validate_package
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.triggers import CreateAction, UpdateAction, check_rules

from rules_test_support import write_package

FILES = {
    "app.yaml": "name: t\nversion: 1.0.0\nlabel: T\n",
    "entities/deal.yaml": """
        label: Deal
        fields:
          name: {type: string}
          stage: {type: enum, options: [open, won]}
    """,
    "entities/offer.yaml": """
        label: Offer
        fields:
          deal: {type: reference, to: deal}
          state: {type: enum, options: [draft, accepted]}
          items: {type: lines, entity: offer_line}
    """,
    "entities/offer_line.yaml": """
        label: Offer line
        fields:
          offer: {type: reference, to: offer, required: true}
          item: {type: string}
          qty: {type: integer}
    """,
    "entities/order.yaml": """
        label: Order
        fields:
          offer: {type: reference, to: offer}
          items: {type: lines, entity: order_line}
    """,
    "entities/order_line.yaml": """
        label: Order line
        fields:
          order: {type: reference, to: order, required: true}
          item: {type: string}
          qty: {type: integer}
    """,
}


def _check(tmp_path: Path, rules: str) -> tuple[list[str], list[object]]:
    root = write_package(tmp_path / "pkg", {**FILES, "rules/a.rules": rules})
    report = validate_package(root, checker=RuleExpressionChecker())
    found = [
        f"{d.span.line}:{d.span.col} {d.code} {d.suggestion or ''}".rstrip()
        for d in report.diagnostics
        if d.code.startswith("RL")
    ]
    if found or report.model is None:
        return found, []
    (rule,), _ = check_rules(report.model)
    return found, list(rule.actions)


def test_update_through_a_reference_and_copied_lines_compile(tmp_path: Path) -> None:
    rules = """
rule "Accepted"
  on offer state changes
  when state == "accepted"
  then
    update deal {stage: "won", name: concat(deal.name, " (won)")}
    create order {offer: id, items: items}
end
"""
    problems, actions = _check(tmp_path, rules)
    assert problems == []
    through, made = actions
    assert isinstance(through, UpdateAction)
    assert (through.entity, through.link, through.through) == ("deal", None, "deal")
    assert isinstance(made, CreateAction) and made.copy_lines == (("items", "items"),)
    assert [name for name, _ in made.values] == ["offer"]


def test_a_field_that_is_no_reference_or_no_lines_is_rl103(tmp_path: Path) -> None:
    rules = """
rule "Bad"
  on offer created
  then
    update state {stage: "won"}
    update dael {stage: "won"}
    update deal {stag: "won"}
    create order {items: state}
    create order {items: iterms}
end
"""
    problems, _ = _check(tmp_path, rules)
    assert problems == [
        "4:12 RL103",
        "5:12 RL103 deal",
        "6:18 RL103 stage",
        "7:26 RL103",
        "8:26 RL103 items",
    ]
