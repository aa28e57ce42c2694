"""Rule actions ``transition <name>`` and ``escalate to role "<role>"``: parsing and checks."""

from __future__ import annotations

from pathlib import Path

from trellis.metadata.loader import validate_package
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.triggers import EscalateAction, TransitionAction, check_rules, parse_rules

from rules_test_support import write_package

FILES = {
    "app.yaml": "name: t\nversion: 1.0.0\nlabel: T\n",
    "entities/ticket.yaml": """
        label: Ticket
        fields:
          subject: {type: string, required: true}
          status: {type: enum, options: [new, open, resolved]}
          transition: {type: string}
    """,
    "entities/note.yaml": """
        label: Note
        fields:
          text: {type: string}
    """,
    "workflows/flow.yaml": """
        workflow: flow
        entity: ticket
        field: status
        initial: new
        states: [new, open, resolved]
        transitions:
          - {name: open, from: [new], to: open}
          - {name: resolve, from: [open], to: resolved}
    """,
    "roles.yaml": """
        roles:
          support_lead:
            entities:
              ticket: {actions: [read], scope: all}
    """,
}


def _package(tmp_path: Path, rules: str) -> Path:
    return write_package(tmp_path / "pkg", {**FILES, "rules/a.rules": rules})


def _problems(tmp_path: Path, rules: str) -> list[str]:
    report = validate_package(_package(tmp_path, rules), checker=RuleExpressionChecker())
    return [
        f"{d.span.line}:{d.span.col} {d.code} {d.suggestion or ''}".rstrip()
        for d in report.diagnostics
        if d.code.startswith("RL")
    ]


def test_transition_and_escalate_parse_and_compile_as_after_save(tmp_path: Path) -> None:
    rules = """
        rule "Move"
          on ticket created, updated
          when transition == "go"
          then
            transition open
            escalate to role "support_lead"
        end
        rule "Up"
          on ticket updated
          then escalate to role 'admin'; transition resolve
        end
    """
    # A transition is an update: on an 'updated' rule it may re-trigger the rule (warning).
    assert _problems(tmp_path, rules) == ["5:5 RL111", "10:34 RL111"]
    report = validate_package(_package(tmp_path, rules), checker=RuleExpressionChecker())
    assert report.model is not None
    compiled, diagnostics = check_rules(report.model)
    assert [d.severity.value for d in diagnostics] == ["warning", "warning"]
    move, up = compiled
    assert move.phase == up.phase == "after"
    assert move.actions == (TransitionAction("open"), EscalateAction("support_lead"))
    assert [a.kind for a in up.actions] == ["escalate", "transition"]


def test_setting_the_workflow_state_is_rl104(tmp_path: Path) -> None:
    rules = """
        rule "Force"
          on ticket created
          then set status = "resolved"
        end
    """
    assert _problems(tmp_path, rules) == ["3:12 RL104"]


def test_a_field_may_still_be_called_transition() -> None:
    (rule,) = parse_rules('rule "r"\n  on ticket created\n  then set transition = "x"\nend\n')
    assert rule.actions[0].kind == "set" and rule.actions[0].target is not None
    assert rule.actions[0].target.text == "transition"


def test_unknown_transition_is_rl112_with_a_suggestion(tmp_path: Path) -> None:
    rules = """
        rule "Move"
          on ticket created
          then transition resolv
        end
    """
    assert _problems(tmp_path, rules) == ["3:19 RL112 resolve"]


def test_entity_without_workflow_has_no_transition(tmp_path: Path) -> None:
    rules = """
        rule "Move"
          on note created
          then transition open
        end
    """
    assert _problems(tmp_path, rules) == ["3:19 RL112"]


def test_unknown_role_is_rl112_with_a_suggestion(tmp_path: Path) -> None:
    rules = """
        rule "Up"
          on ticket created
          then escalate to role "support-lead"
        end
    """
    assert _problems(tmp_path, rules) == ["3:25 RL112 support_lead"]


def test_transition_cannot_run_on_delete_nor_mix_with_before_actions(tmp_path: Path) -> None:
    rules = """
        rule "Gone"
          on ticket deleted
          then transition open
        end
        rule "Mixed"
          on ticket created
          then
            set subject = "x"
            escalate to role "support_lead"
        end
    """
    assert _problems(tmp_path, rules) == ["3:8 RL105", "8:5 RL105"]
