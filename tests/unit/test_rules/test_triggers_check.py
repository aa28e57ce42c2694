"""Rule files: parsing and checking against the metadata, every code with its position."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.diagnostics import Severity
from trellis.metadata.loader import validate_package
from trellis.metadata.model import AppModel, RuleSource
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.triggers import (
    AssignAction,
    RuleFileError,
    check_rules,
    compile_rules,
    parse_rules,
)

ENTITIES = {
    "deal": """
        label: Deal
        fields:
          name: {type: string, required: true}
          amount: {type: integer}
          priority: {type: enum, options: [low, high]}
          region: {type: enum, options: [north, south]}
          close: {type: date}
          rep: {type: user}
          double: {type: integer, formula: "amount * 2"}
    """,
    "task": """
        label: Task
        fields:
          subject: {type: string, required: true}
          deal: {type: reference, to: deal}
    """,
}


def _package(tmp_path: Path, rules: str) -> Path:
    root = tmp_path / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / "app.yaml").write_text("name: t\nversion: 1.0.0\nlabel: T\n", encoding="utf-8")
    for name, text in ENTITIES.items():
        (root / "entities" / f"{name}.yaml").write_text(
            textwrap.dedent(text).lstrip(), encoding="utf-8"
        )
    (root / "rules" / "a.rules").write_text(textwrap.dedent(rules).lstrip(), encoding="utf-8")
    (root / "email_templates").mkdir()
    (root / "email_templates" / "big.j2").write_text("{% block text %}x{% endblock %}\n")
    return root


def _problems(tmp_path: Path, rules: str) -> list[str]:
    report = validate_package(_package(tmp_path, rules), checker=RuleExpressionChecker())
    return [
        f"{d.span.line}:{d.span.col} {d.code} {d.severity.value} {d.suggestion or ''}".rstrip()
        for d in report.diagnostics
        if d.code.startswith("RL")
    ]


def _model(tmp_path: Path) -> AppModel:
    report = validate_package(_package(tmp_path, ""), checker=RuleExpressionChecker())
    assert report.model is not None
    return report.model


GOOD = """
    # comment
    rule "Big"
      on deal created, updated
      when amount >= 50000 and changed(amount)   # inline comment
      then
        set priority = "high"; assign rep round_robin("sales")
    end
    rule "Owners"
      on task created
      then set owner_id = coalesce(deal.rep, deal.owner_id, current_user())
    end
    rule "Follow"
      on deal created
      then
        create task {subject: concat("Call ", name), deal: id}
        notify owner "Deal {{ name }}"
        send email "big" to rep
        webhook "https://example.com/x"
    end
    rule "Stop"
      on deal deleted
      when amount > 0
      then reject "no"
    end
    rule "Soon"
      on deal before 2 days from close
      then webhook "https://example.com/soon"
    end
    rule "Nightly"
      every "0 3 * * *"
      then webhook "https://example.com/n"
    end
    rule "Weekly decay"
      on deal every "0 6 * * 1"
      when amount > 0
      then set amount = max(amount - 5, 0); notify owner "Decayed {{ name }}"
    end
"""


def test_a_valid_file_compiles_with_phases(tmp_path: Path) -> None:
    assert _problems(tmp_path, GOOD) == []
    model = validate_package(_package(tmp_path / "b", GOOD), checker=RuleExpressionChecker())
    assert model.model is not None
    rules = {r.name: r for r in compile_rules(model.model)}
    assert rules["Big"].phase == "before"
    assert rules["Follow"].phase == "after"
    assert rules["Stop"].phase == "before"
    assert rules["Soon"].offset_seconds == -2 * 86400
    assert rules["Nightly"].cron == "0 3 * * *"
    weekly = rules["Weekly decay"]
    assert (weekly.kind, weekly.entity, weekly.phase) == ("cron", "deal", "timer")
    assert [a.kind for a in weekly.actions] == ["set", "notify"]
    assert [a.kind for a in rules["Follow"].actions] == ["create", "notify", "email", "webhook"]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ('rule "a"\n  on deal created\n  then sett x = 1\nend\n', ["3:8 RL101 error set"]),
        ('rule "a"\n  on deal created\n  then set name = "x"\n', ["3:22 RL101 error"]),
        ('rule "a"\n  on deals created\n  then reject "x"\nend\n', ["2:6 RL102 error deal"]),
        ('rule "a"\n  on deal created\n  then set amont = 1\nend\n', ["3:12 RL103 error amount"]),
        (
            'rule "a"\n  on deal amout changes\n  then reject "x"\nend\n',
            ["2:11 RL103 error amount"],
        ),
        (
            'rule "a"\n  on deal created\n'
            '  then assign owner round_robin("r") in team regon\nend\n',
            ["3:46 RL103 error region"],
        ),
        (
            'rule "a"\n  on deal created\n'
            '  then assign owner round_robin("r") matching amout\nend\n',
            ["3:47 RL103 error amount"],
        ),
        (
            'rule "a"\n  on deal created\n  then assign owner round_robin("r") in "x"\nend\n',
            ["3:41 RL101 error"],
        ),
        ('rule "a"\n  on deal created\n  then set double = 1\nend\n', ["3:12 RL104 error"]),
        ('rule "a"\n  on deal created\n  then set created_at = now()\nend\n', ["3:12 RL104 error"]),
        ('rule "a"\n  on deal created\n  then set created_by = 1\nend\n', ["3:12 RL104 error"]),
        (
            'rule "a"\n  on deal created\n  then set owner_id = 1\nend\n',
            ["3:23 RL116 error current_user()"],
        ),
        (
            'rule "a"\n  on task created\n  then set owner_id = deal.amount\nend\n',
            ["3:23 RL116 error current_user()"],
        ),
        ('rule "a"\n  on deal created\n  then set owner_id = "bob"\nend\n', ["3:23 RL006 error"]),
        (
            'rule "a"\n  on deal created\n  then create task {subject: "x", version: 2}\nend\n',
            ["3:35 RL104 error"],
        ),
        (
            'rule "a"\n  on deal created\n  then send email "bigg" to rep\nend\n',
            ["3:19 RL113 error big"],
        ),
        (
            'rule "a"\n  on deal created\n  then send email "other" to rep\nend\n',
            ["3:19 RL113 error"],
        ),
        (
            'rule "a"\n  on deal after 1 days from close\n  then reject "x"\nend\n',
            ["3:8 RL105 error"],
        ),
        (
            'rule "a"\n  on deal after 1 days from close\n  then set close = today() + 7\nend\n',
            ["3:8 RL111 warning"],
        ),
        (
            'rule "a"\n  on deal created\n  then\n    set amount = 1\n    webhook "https://x.io"\nend\n',
            ["4:5 RL105 error"],
        ),
        ('rule "a"\n  on deal deleted\n  then set amount = 1\nend\n', ["3:8 RL105 error"]),
        (
            'rule "a"\n  on deal created\n  then reject "x"\nend\nrule "a"\n  on deal created\n'
            '  then reject "y"\nend\n',
            ["5:1 RL106 error"],
        ),
        (
            'rule "a"\n  on deal after 1 days from name\n  then webhook "https://x.io"\nend\n',
            ["2:29 RL107 error"],
        ),
        ('rule "a"\n  every "soon"\n  then webhook "https://x.io"\nend\n', ["2:9 RL107 error"]),
        ('rule "a"\n  on deal every "9 * *"\n  then set amount = 1\nend\n', ["2:17 RL107 error"]),
        ('rule "a"\n  on deal every "0 6 * * 1"\n  then reject "x"\nend\n', ["3:8 RL105 error"]),
        ('rule "a"\n  every "0 6 * * 1"\n  then set amount = 1\nend\n', ["3:8 RL105 error"]),
        (
            'rule "a"\n  on deal every "0 6 * * 1"\n  when changed(amount)\n'
            "  then set amount = 1\nend\n",
            ["3:8 RL013 error"],
        ),
        (
            'rule "a"\n  on deal every "0 6 * * 1"\n  then set amont = 1\nend\n',
            ["3:12 RL103 error amount"],
        ),
        (
            'rule "a"\n  on dea every "0 6 * * 1"\n  then set amount = 1\nend\n',
            ["2:6 RL102 error deal"],
        ),
        ('rule "a"\n  on deal created\n  then notify name "x"\nend\n', ["3:15 RL108 error"]),
        ('rule "a"\n  on deal created\n  then notify owner "{{ x"\nend\n', ["3:21 RL109 error"]),
        ('rule "a"\n  on deal created\n  then webhook "ftp://x"\nend\n', ["3:16 RL109 error"]),
        ('rule "a"\n  on deal created\n  then create task {deal: id}\nend\n', ["3:15 RL110 error"]),
        (
            'rule "a"\n  on deal amount changes\n  then set amount = amount + 1\nend\n',
            ["3:8 RL111 warning"],
        ),
        (
            'rule "a"\n  on task created\n  then create task {subject: "again"}\nend\n',
            ["3:8 RL111 warning"],
        ),
        (
            'rule "a"\n  on deal created\n  when amount > "x"\n  then reject "x"\nend\n',
            ["3:15 RL003 error"],
        ),
        (
            'rule "a"\n  on deal created\n  when amount\n  then reject "x"\nend\n',
            ["3:8 RL006 error"],
        ),
        ('rule "a"\n  on deal created\n  then set amount = "x"\nend\n', ["3:21 RL006 error"]),
        (
            'rule "a"\n  on deal created\n  when nme == "x"\n  then reject "x"\nend\n',
            ["3:8 RL002 error name"],
        ),
        (
            'rule "a"\n  on deal created\n  when changed(1)\n  then reject "x"\nend\n',
            ["3:16 RL008 error"],
        ),
        (
            'rule "a"\n  on task created\n  then create task {subject: concat("a", nam)}\nend\n',
            ["3:8 RL111 warning", "3:42 RL002 error"],
        ),
    ],
)
def test_each_problem_has_its_code_and_position(
    tmp_path: Path, rules: str, expected: list[str]
) -> None:
    assert _problems(tmp_path, rules) == expected


TIMER_RULES = """
    rule "Chase"
      on deal after 2 hours from close
      when amount > 10
      then
        set priority = "high"
        assign rep load_balanced("sales")
        create task {subject: concat("Chase ", name), deal: id}
        send email "big" to owner
    end
"""


def test_timer_rules_may_change_records_and_assign_load_balanced(tmp_path: Path) -> None:
    assert _problems(tmp_path, TIMER_RULES) == []
    report = validate_package(
        _package(tmp_path / "b", TIMER_RULES), checker=RuleExpressionChecker()
    )
    assert report.model is not None
    assert report.model.email_templates == ("big",)
    (rule,) = compile_rules(report.model)
    assert rule.phase == "timer"
    assert rule.offset_seconds == 7200
    assert [a.kind for a in rule.actions] == ["set", "assign", "create", "email"]
    assert rule.actions[1] == AssignAction(field="rep", role="sales", strategy="load_balanced")


def test_every_error_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    model = _model(tmp_path)
    sources = (
        RuleSource("rules/a.rules", 'rule "a"\n  on dea created\n  then reject "x"\nend\n'),
        RuleSource("rules/b.rules", 'rule "b"\n  on deal created\n  then set nam = 1\nend\n'),
        RuleSource("rules/c.rules", "rule oops"),
    )
    _, diagnostics = check_rules(AppModel(**{**_fields(model), "rule_sources": sources}))
    shown = [str(d) for d in diagnostics]
    assert shown[0].startswith("rules/a.rules:2:6: error RL102: Unknown entity 'dea'")
    assert shown[1].startswith("rules/b.rules:3:12: error RL103: Unknown field 'nam'")
    assert shown[2].startswith("rules/c.rules:1:6: error RL101:")
    assert all(d.severity is Severity.ERROR for d in diagnostics)


def _fields(model: AppModel) -> dict[str, object]:
    return {name: getattr(model, name) for name in model.__dataclass_fields__}


def test_compile_rules_raises_the_rule_error(tmp_path: Path) -> None:
    model = _model(tmp_path)
    bad = AppModel(**{**_fields(model), "rule_sources": (RuleSource("r.rules", 'rule "x" on'),)})
    with pytest.raises(RuleFileError) as info:
        compile_rules(bad)
    assert info.value.diagnostics[0].code == "RL101"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_only_raises_rule_errors(text: str) -> None:
    codes: list[str] = []
    try:
        parse_rules(text, "fuzz.rules")
    except RuleFileError as err:
        codes = [d.code for d in err.diagnostics]
    assert set(codes) <= {"RL101"}


_PIECES = st.sampled_from(
    [
        'rule "x"',
        "on",
        "deal",
        "created",
        ",",
        "updated",
        "when",
        "amount",
        ">=",
        "1",
        "then",
        "set",
        "=",
        "end",
        "\n",
        ";",
        "{",
        "}",
        ":",
        '"t"',
        "create",
        "task",
        "(",
        ")",
        "changes",
        "after",
        "days",
        "from",
        "every",
        "#",
        "notify",
        "owner",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_random_rule_shaped_text_only_gives_diagnostics(pieces: list[str]) -> None:
    text = " ".join(pieces)
    try:
        parse_rules(text, "fuzz.rules")
    except RuleFileError:
        return
    source = RuleSource("fuzz.rules", text)
    model = AppModel(name="t", version="1", label="T", entities={}, rule_sources=(source,))
    check_rules(model)  # never raises
