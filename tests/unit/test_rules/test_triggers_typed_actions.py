"""Compiled trigger actions: one frozen dataclass per kind, dispatched with ``match``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, get_args

import pytest
from jinja2 import Template
from mypy import api as mypy_api

from trellis.metadata.loader import validate_package
from trellis.metadata.model import AppModel
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.expr import CompiledExpression
from trellis.rules.triggers import (
    Action,
    ActionKind,
    AssignAction,
    CompiledRule,
    CreateAction,
    EmailAction,
    EscalateAction,
    NotifyAction,
    Phase,
    RejectAction,
    SetAction,
    Strategy,
    TransitionAction,
    UpdateAction,
    WebhookAction,
    check_rule_source,
    parse_rules,
)
from trellis.rules.triggers.actions import recipient_column

from rules_test_support import write_package

FILES = {
    "app.yaml": "name: t\nversion: 1.0.0\nlabel: T\n",
    "entities/deal.yaml": """
        label: Deal
        fields:
          name: {type: string, required: true}
          amount: {type: integer}
          priority: {type: enum, options: [low, high]}
          stage: {type: enum, options: [open, won]}
          rep: {type: user}
          mail: {type: email}
    """,
    "entities/task.yaml": """
        label: Task
        fields:
          subject: {type: string, required: true}
          deal: {type: reference, to: deal}
    """,
    "workflows/close.yaml": """
        workflow: close
        entity: deal
        field: stage
        initial: open
        states: [open, won]
        transitions:
          - {name: win, from: [open], to: won}
    """,
    "roles.yaml": """
        roles:
          sales:
            entities:
              deal: {actions: [read], scope: all}
    """,
    "email_templates/big.j2": "{% block text %}x{% endblock %}\n",
}

#: (the ``then`` line, the trigger, the dataclass, its fields in plain values).
CASES: list[tuple[str, str, type[Any], dict[str, Any]]] = [
    ('set priority = "high"', "created", SetAction, {"field": "priority", "expr": '"high"'}),
    ('reject "Too big"', "created", RejectAction, {"message": "Too big"}),
    (
        'assign rep round_robin("sales")',
        "created",
        AssignAction,
        {
            "field": "rep",
            "role": "sales",
            "strategy": Strategy.ROUND_ROBIN,
            "team": None,
            "team_field": None,
            "matching": None,
        },
    ),
    (
        'assign owner load_balanced("sales") in team priority matching stage',
        "created",
        AssignAction,
        {
            "field": "owner",
            "role": "sales",
            "strategy": Strategy.LOAD_BALANCED,
            "team": None,
            "team_field": "priority",
            "matching": "stage",
        },
    ),
    (
        'assign owner round_robin("sales") in team "east team"',
        "created",
        AssignAction,
        {
            "field": "owner",
            "role": "sales",
            "strategy": Strategy.ROUND_ROBIN,
            "team": "east team",
            "team_field": None,
            "matching": None,
        },
    ),
    (
        'notify owner "Deal {{ name }}"',
        "updated",
        NotifyAction,
        {"recipient": "owner", "text": "Deal {{ name }}", "template": "Deal Acme"},
    ),
    ('send email "big" to mail', "updated", EmailAction, {"template": "big", "recipient": "mail"}),
    (
        'create task {subject: concat("Call ", name), deal: id}',
        "created",
        CreateAction,
        {
            "entity": "task",
            "values": (("subject", 'concat("Call ", name)'), ("deal", "id")),
            "binding": None,
            "any_refs": (),
            "copy_lines": (),
            "each": None,
            "matching": None,
        },
    ),
    (
        "update {amount: amount + 1}",
        "created",
        UpdateAction,
        {
            "entity": None,
            "link": None,
            "values": (("amount", "amount + 1"),),
            "any_refs": (),
            "through": None,
        },
    ),
    ('webhook "https://example.com/x"', "deleted", WebhookAction, {"url": "https://example.com/x"}),
    ("transition win", "created", TransitionAction, {"name": "win"}),
    ('escalate to role "sales"', "updated", EscalateAction, {"role": "sales"}),
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> AppModel:
    root = write_package(tmp_path_factory.mktemp("pkg"), FILES)
    report = validate_package(root, checker=RuleExpressionChecker())
    assert report.model is not None, report.diagnostics
    return report.model


def _plain(value: Any) -> Any:
    """A compiled value as plain data: expressions by their text, templates rendered."""
    if isinstance(value, CompiledExpression):
        return value.source
    if isinstance(value, Template):
        return value.render(name="Acme")
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _text(then: str, event: str) -> str:
    return f'rule "r"\n  on deal {event}\n  then {then}\nend\n'


def _compile(model: AppModel, then: str, event: str) -> CompiledRule:
    rules, diagnostics = check_rule_source(model, _text(then, event))
    assert [str(d) for d in diagnostics] == []
    (rule,) = rules
    return rule


@pytest.mark.parametrize(
    ("then", "event", "cls", "fields"), CASES, ids=[c[2].__name__ for c in CASES]
)
def test_every_action_compiles_to_its_dataclass(
    model: AppModel, then: str, event: str, cls: type[Any], fields: dict[str, Any]
) -> None:
    (action,) = _compile(model, then, event).actions
    assert type(action) is cls
    assert {f.name: _plain(getattr(action, f.name)) for f in dataclasses.fields(action)} == fields
    (syntax,) = parse_rules(_text(then, event))[0].actions
    assert action.kind is syntax.kind is cls.kind
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(action, dataclasses.fields(action)[0].name, None)
    assert not hasattr(action, "__dict__")  # slotted


def test_the_cases_cover_every_kind_of_the_grammar_and_the_union() -> None:
    grammar = Path(__file__).parents[3] / "rules" / "triggers" / "rules.lark"
    in_grammar = {
        line.split("-> ")[1].removesuffix("_action")
        for line in grammar.read_text(encoding="utf-8").splitlines()
        if line.rstrip().endswith("_action")
    }
    assert in_grammar == {k.value for k in ActionKind}
    assert {c[2] for c in CASES} == set(get_args(Action))
    assert {cls.kind for cls in get_args(Action)} == set(ActionKind)


def test_record_actions_name_their_column(model: AppModel) -> None:
    (assign,) = _compile(model, 'assign owner load_balanced("sales")', "created").actions
    assert assign == AssignAction(field="owner", role="sales", strategy=Strategy.LOAD_BALANCED)
    assert isinstance(assign, AssignAction) and assign.column == "owner_id"
    (changed,) = _compile(model, "set amount = amount + 1", "created").actions
    assert isinstance(changed, SetAction) and changed.column == "amount"
    assert recipient_column("rep") == "rep" and recipient_column("owner") == "owner_id"


def test_phases_and_kinds_keep_their_spellings(model: AppModel) -> None:
    assert _compile(model, 'reject "no"', "created").phase is Phase.BEFORE
    assert _compile(model, "transition win", "created").phase == "after"
    assert [str(k) for k in ActionKind] == [
        "set",
        "reject",
        "assign",
        "create",
        "notify",
        "email",
        "webhook",
        "transition",
        "escalate",
        "update",
    ]
    assert f"{Phase.TIMER}" == "timer" and Strategy("load_balanced") is Strategy.LOAD_BALANCED


_MISSING_CASE = """
from typing import assert_never

from trellis.rules.triggers import (
    Action, AssignAction, CreateAction, EmailAction, NotifyAction, RejectAction, SetAction,
    TransitionAction, UpdateAction, WebhookAction,
)


def dispatch(action: Action) -> str:
    match action:
        case SetAction() | RejectAction() | AssignAction() | NotifyAction() | EmailAction():
            return "record"
        case CreateAction() | UpdateAction() | WebhookAction() | TransitionAction():
            return "after"
        case _:
            assert_never(action)
"""


def test_mypy_refuses_a_dispatcher_that_misses_a_kind(tmp_path: Path) -> None:
    """A new kind (here: ``escalate``) without a case is a type error, not a silent no-op."""
    package = tmp_path / "trellis"
    package.mkdir()
    root = Path(__file__).parents[3]
    for folder in ("metadata", "rules"):
        (package / folder).symlink_to(root / folder)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "dispatch.py").write_text(_MISSING_CASE, encoding="utf-8")
    out, _, status = mypy_api.run(
        [
            "--strict",
            "--follow-imports=silent",
            "--explicit-package-bases",
            "--cache-dir",
            str(tmp_path / ".cache"),
            str(tmp_path / "dispatch.py"),
        ]
    )
    assert status == 1, out
    assert 'Argument 1 to "assert_never" has incompatible type "EscalateAction"' in out
