"""``create … as <name>`` bindings and ``update``: parsing, typing and RL114."""

from __future__ import annotations

from pathlib import Path

from trellis.metadata.loader import validate_package
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.triggers import CreateAction, UpdateAction, check_rules

from rules_test_support import write_package

FILES = {
    "app.yaml": "name: t\nversion: 1.0.0\nlabel: T\n",
    "entities/prospect.yaml": """
        label: Prospect
        fields:
          name: {type: string, required: true}
          state: {type: enum, options: [new, won]}
          firm: {type: reference, to: firm}
    """,
    "entities/firm.yaml": """
        label: Firm
        fields:
          name: {type: string, required: true}
    """,
    "entities/person.yaml": """
        label: Person
        fields:
          name: {type: string}
          firm: {type: reference, to: firm}
    """,
    "entities/task.yaml": """
        label: Task
        fields:
          prospect: {type: reference, to: prospect}
          person: {type: reference, to: person}
          about: {type: any_reference, targets: [prospect, person]}
    """,
}
GOOD = """
rule "Win"
  on prospect state changes
  when state == "won"
  then
    create firm {name: upper(name)} as new_firm
    create person {name: name, firm: new_firm.id} as someone
    update {firm: new_firm}
    update task.prospect {person: someone}
    update task.about {about: someone}
end
"""


def _problems(tmp_path: Path, rules: str) -> list[str]:
    root = write_package(tmp_path / "pkg", {**FILES, "rules/a.rules": rules})
    report = validate_package(root, checker=RuleExpressionChecker())
    return [
        f"{d.span.line}:{d.span.col} {d.code} {d.suggestion or ''}".rstrip()
        for d in report.diagnostics
        if d.code.startswith("RL")
    ]


def test_bindings_compile_to_typed_actions(tmp_path: Path) -> None:
    root = write_package(tmp_path / "pkg", {**FILES, "rules/a.rules": GOOD})
    report = validate_package(root, checker=RuleExpressionChecker())
    assert not report.diagnostics and report.model is not None
    (rule,), problems = check_rules(report.model)
    assert not problems
    firm, person, own, tasks, about = rule.actions
    assert isinstance(firm, CreateAction) and firm.binding == "new_firm"
    assert isinstance(person, CreateAction) and person.binding == "someone"
    assert isinstance(own, UpdateAction) and (own.entity, own.link) == (None, None)
    assert isinstance(tasks, UpdateAction) and (tasks.entity, tasks.link) == ("task", "prospect")
    assert isinstance(about, UpdateAction) and about.any_refs == (("about", "person"),)
    # The binding reads as a reference: its id, and fields through it.
    value = dict(person.values)["firm"]
    assert value.evaluate({"new_firm": 7}, _ctx(lambda e, i: {"id": i})) == 7


def _ctx(resolve: object) -> object:
    from datetime import UTC, datetime

    from trellis.rules.expr import EvalContext

    return EvalContext(datetime(2026, 1, 1, tzinfo=UTC), None, resolve)  # type: ignore[arg-type]


def test_a_binding_used_before_it_is_bound_or_clashing_is_rl114(tmp_path: Path) -> None:
    rules = """
rule "Early"
  on prospect created
  then
    create person {name: name, firm: later.id}
    create firm {name: name} as later
end
rule "Clash"
  on prospect created
  then
    create firm {name: name} as firm
    create firm {name: name} as twice
    create firm {name: name} as twice
end
rule "Misspelt"
  on prospect created
  then
    create firm {name: name} as made
    update {firm: mad}
end
"""
    assert _problems(tmp_path, rules) == [
        "4:38 RL114",
        "10:33 RL114",
        "12:33 RL114",
        "18:19 RL114 made",
    ]


def test_update_checks_its_link_and_fields(tmp_path: Path) -> None:
    rules = """
rule "Links"
  on prospect created
  then
    update task.person {person: 1}
    update task.prospect {nope: 1}
    update firm.name {name: "x"}
end
rule "Gone"
  on prospect deleted
  then update {name: "x"}
end
rule "Loop"
  on prospect updated
  then update {name: "x"}
end
"""
    assert _problems(tmp_path, rules) == [
        "4:17 RL103",
        "5:27 RL103",
        "6:17 RL103",
        "10:8 RL105",
        "14:8 RL111",
    ]
