"""Fuzzing whole rule files against the CRM model: only positioned ``RLnnn`` diagnostics.

Rule files are generated from the grammar's shapes with the CRM's real entity,
field, template and transition names (and some unknown ones), or taken from the
CRM's own rule files, then mutated at the text level. ``check_rules`` (what the
loader and ``trellis metadata validate`` run) must never raise, and every problem
must be an ``RLnnn`` diagnostic inside the rule file; ``RL099`` (an internal error
turned into a diagnostic) counts as a crash.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trellis.metadata.loader import load_package
from trellis.metadata.model import AppModel, EntityDef, RuleSource
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.triggers import check_rule_source, check_rules

S = st.SearchStrategy
CRM = Path(__file__).resolve().parents[3] / "seed" / "crm"
MODEL = load_package(CRM, checker=RuleExpressionChecker())
CRM_RULES = {s.path: s.text for s in MODEL.rule_sources}
_DEEP = os.environ.get("TRELLIS_FUZZ_EXAMPLES", "")
FUZZ = settings(
    max_examples=int(_DEEP) if _DEEP.isdigit() else 100,
    derandomize=not _DEEP.isdigit(),
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KEYWORDS = [
    "rule",
    "on",
    "every",
    "changes",
    "after",
    "before",
    "from",
    "created",
    "updated",
    "deleted",
    "when",
    "then",
    "end",
    "set",
    "reject",
    "create",
    "notify",
    "send",
    "email",
    "to",
    "webhook",
    "assign",
    "round_robin",
    "load_balanced",
    "transition",
    "escalate",
    "role",
]
ODD_TEXT = ("", "é", "日本語", "\U0001f600", 'a\\"b', "{{ name }}", "{{", "{% if %}", "x" * 300)
_DIAGNOSTIC = re.compile(
    r"^(?P<path>.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (error|warning) RL\d{3}: \S"
)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _names(entity: EntityDef) -> S[str]:
    known = [*sorted(entity.fields), "id", "owner_id", "created_at"]
    return st.one_of(st.sampled_from(known), st.sampled_from(["nope", "amout", *KEYWORDS[:4]]))


def _expressions(names: S[str]) -> S[str]:
    def shaped(template: str) -> S[str]:
        return names.map(template.format)

    leaf = st.one_of(
        shaped("{} is empty"),
        shaped("{} is not empty"),
        shaped("changed({})"),
        shaped("old({}) == {}".replace("{}", "{0}")),
        shaped("{} == 1"),
        shaped('{} == "won"'),
        shaped('{} contains "a"'),
        shaped("{} > today()"),
        shaped("len({}) > 2"),
        st.sampled_from(["true", "false", 'now() > datetime("2026-01-01")', "1 +", ")("]),
    )
    return st.recursive(
        leaf,
        lambda sub: st.one_of(
            st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(" ".join),
            sub.map(lambda e: f"not ({e})"),
        ),
        max_leaves=4,
    )


#: Per entity: its names and expressions over them (strategies are built once).
NAMES = {name: _names(entity) for name, entity in MODEL.entities.items()}
EXPRESSIONS = {name: _expressions(names) for name, names in NAMES.items()}


@st.composite
def _action(draw: st.DrawFn, entity: EntityDef) -> str:
    names, expressions = NAMES[entity.name], EXPRESSIONS[entity.name]
    other = MODEL.entities[draw(st.sampled_from(sorted(MODEL.entities)))]
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return f"set {draw(names)} = {draw(expressions)}"
    if kind == 1:
        return f"reject {_quote(draw(st.sampled_from(ODD_TEXT)))}"
    if kind == 2:
        items = draw(st.lists(st.tuples(NAMES[other.name], expressions), max_size=3))
        body = ", ".join(f"{k}: {v}" for k, v in items)
        return f"create {other.name} {{{body}}}"
    if kind == 3:
        return f"notify {draw(names)} {_quote(draw(st.sampled_from(ODD_TEXT)))}"
    if kind == 4:
        template = draw(st.sampled_from([*MODEL.email_templates, "nope", ""]))
        return f"send email {_quote(template)} to {draw(names)}"
    if kind == 5:
        url = draw(st.sampled_from(["https://example.com/x", "ftp://x", "http://", "", "x y"]))
        return f"webhook {_quote(url)}"
    if kind == 6:
        how = draw(st.sampled_from(["round_robin", "load_balanced"]))
        return f"assign {draw(names)} {how}({_quote(draw(st.sampled_from(['sales_rep', 'x'])))})"
    if kind == 7:
        return f"transition {draw(st.sampled_from(['open', 'resolve', 'close', 'nope']))}"
    return f"escalate to role {_quote(draw(st.sampled_from(['support_lead', '', 'x'])))}"


@st.composite
def _rule(draw: st.DrawFn, index: int) -> str:
    entity = MODEL.entities[draw(st.sampled_from(sorted(MODEL.entities)))]
    names = NAMES[entity.name]
    trigger = draw(
        st.sampled_from(["events", "change", "time", "cron"]).flatmap(
            lambda k: {
                "events": st.lists(
                    st.sampled_from(["created", "updated", "deleted"]), min_size=1, max_size=3
                ).map(lambda e: f"on {entity.name} {', '.join(e)}"),
                "change": names.map(lambda f: f"on {entity.name} {f} changes"),
                "time": st.tuples(
                    st.sampled_from(["after", "before"]),
                    st.sampled_from([0, 1, 4, 10**6, 10**30]),
                    st.sampled_from(["minutes", "hour", "days"]),
                    names,
                ).map(lambda t: f"on {entity.name} {t[0]} {t[1]} {t[2]} from {t[3]}"),
                "cron": st.sampled_from(
                    ["0 3 * * *", "*/5 * * * *", "61 * * * *", "x", "", "0 0 31 2 *"]
                ).map(lambda c: f"every {_quote(c)}"),
            }[k]
        )
    )
    when = draw(st.one_of(st.none(), EXPRESSIONS[entity.name]))
    actions = draw(st.lists(_action(entity), min_size=1, max_size=3))
    name = draw(st.sampled_from([f"Rule {index}", "Same", "", "é\\n"]))
    lines = [f"rule {_quote(name)}", f"  {trigger}"]
    if when is not None:
        lines.append(f"  when {when}")
    lines += ["  then", *(f"    {a}" for a in actions), "end"]
    return "\n".join(lines) + "\n"


@st.composite
def rule_files(draw: st.DrawFn) -> str:
    """A rule file shaped by the grammar, over the CRM's names (and some unknown ones)."""
    count = draw(st.integers(1, 4))
    return "\n".join(draw(_rule(i)) for i in range(count))


@st.composite
def broken(draw: st.DrawFn, text: str) -> str:
    """``text`` with one text-level mutation."""
    lines = text.splitlines(keepends=True) or ["\n"]
    at = draw(st.integers(0, len(lines) - 1))
    cut = draw(st.integers(0, len(text)))
    how = draw(st.integers(0, 9))
    if how == 0:
        return text[:cut]
    if how == 1:
        return text[:cut] + text[draw(st.integers(cut, len(text))) :]
    if how == 2:
        return "".join(lines[:at] + [lines[at]] * 2 + lines[at + 1 :])
    if how == 3:
        return text[:cut] + f" {draw(st.sampled_from(KEYWORDS))} " + text[cut:]
    if how == 4:
        odd = draw(
            st.sampled_from(["\x00", "\r", "\t", "\ufeff", "\u2028", '"', "'", "{", "}", "#"])
        )
        return text[:cut] + odd + text[cut:]
    if how == 5:
        return text.replace("\n", "\r\n")
    if how == 6:
        depth = draw(st.sampled_from([10, 200, 2000]))
        return text.replace("when ", "when " + "(" * depth + "true" + ")" * depth + " and ", 1)
    if how == 7:
        return text.replace("then", "then\n" + "    set x = 1\n" * draw(st.integers(1, 300)), 1)
    if how == 8:
        return re.sub(r"\b\d+\b", "9" * draw(st.integers(1, 5000)), text, count=1)
    return "".join(draw(st.permutations(lines)))


def _check(text: str) -> None:
    source = RuleSource("pkg/rules/fuzz.rules", text)
    model = dataclasses.replace(MODEL, rule_sources=(source,))
    _, diagnostics = check_rules(model)
    _, again = check_rule_source(MODEL, text, "pkg/rules/fuzz.rules")
    assert [str(d) for d in again] == [str(d) for d in diagnostics]
    breaks = text.count("\n") + text.count("\r") + 2
    for diagnostic in diagnostics:
        line = str(diagnostic)
        match = _DIAGNOSTIC.match(line)
        assert match is not None, line
        assert diagnostic.code != "RL099", line
        assert match.group("path") == "pkg/rules/fuzz.rules", line
        assert int(match.group("line")) <= breaks, line


def _model_with(text: str) -> AppModel:
    return dataclasses.replace(MODEL, rule_sources=(RuleSource("pkg/rules/fuzz.rules", text),))


@FUZZ
@given(rule_files())
def test_generated_rule_files_only_give_positioned_rl_diagnostics(text: str) -> None:
    _check(text)


@FUZZ
@given(rule_files(), st.data())
def test_mutated_rule_files_only_give_positioned_rl_diagnostics(
    text: str, data: st.DataObject
) -> None:
    _check(data.draw(broken(text)))


@FUZZ
@given(st.sampled_from(sorted(CRM_RULES)), st.data())
def test_mutated_crm_rule_files_only_give_positioned_rl_diagnostics(
    path: str, data: st.DataObject
) -> None:
    _check(data.draw(broken(CRM_RULES[path])))


def test_the_crm_rule_files_check_clean() -> None:
    for text in CRM_RULES.values():
        assert check_rules(_model_with(text))[1] == []
