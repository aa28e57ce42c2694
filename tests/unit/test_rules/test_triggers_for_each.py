"""``create <e> for each <m> matching <path> {…}`` and ``filter_of`` fields: parsing,
typing, MD380; and the A/B split of rules/marketing.rules as a property."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from trellis.metadata.loader import validate_package
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.expr.hashing import hash_bucket
from trellis.rules.triggers import CreateAction, check_rules

from rules_test_support import write_package

FILES = {
    "app.yaml": "name: t\nversion: 1.0.0\nlabel: T\n",
    "entities/group.yaml": """
        label: Group
        fields:
          name: {type: string, required: true}
          rule: {type: text, filter_of: person}
    """,
    "entities/person.yaml": """
        label: Person
        fields:
          name: {type: string}
    """,
    "entities/drive.yaml": """
        label: Drive
        fields:
          group: {type: reference, to: group}
          status: {type: enum, options: [planned, active]}
    """,
    "entities/member.yaml": """
        label: Member
        fields:
          drive: {type: reference, to: drive, required: true}
          person: {type: reference, to: person}
          name: {type: string}
    """,
}
GOOD = """
rule "Enrol"
  on drive status changes
  when status == "active"
  then create member for each person matching group.rule {drive: id, person: each, name: each.name}
end
"""


def _report(tmp_path: Path, files: dict[str, str]) -> list[str]:
    root = write_package(tmp_path / "pkg", files)
    report = validate_package(root, checker=RuleExpressionChecker())
    return [f"{d.span.line}:{d.span.col} {d.code} {d.suggestion or ''}".rstrip()
            for d in report.diagnostics]  # fmt: skip


def test_for_each_compiles_to_a_create_with_its_match(tmp_path: Path) -> None:
    root = write_package(tmp_path / "pkg", {**FILES, "rules/a.rules": GOOD})
    report = validate_package(root, checker=RuleExpressionChecker())
    assert not report.diagnostics and report.model is not None
    (rule,), problems = check_rules(report.model)
    assert not problems
    (action,) = rule.actions
    assert isinstance(action, CreateAction)
    assert (action.entity, action.each) == ("member", "person")
    assert [name for name, _ in action.values] == ["drive", "person", "name"]
    assert action.matching is not None and action.matching.source == "group.rule"


def test_the_match_is_only_known_inside_its_create(tmp_path: Path) -> None:
    later = GOOD.replace("end\n", "  create member {drive: id, person: each}\nend\n")
    assert _report(tmp_path, {**FILES, "rules/a.rules": later}) == ["5:37 RL002"]


def test_a_field_named_each_clashes(tmp_path: Path) -> None:
    drive = FILES["entities/drive.yaml"] + "      each: {type: integer}\n"
    problems = _report(tmp_path, {**FILES, "entities/drive.yaml": drive, "rules/a.rules": GOOD})
    assert problems == ["4:31 RL114"]


def test_filter_of_an_unknown_entity_is_md380(tmp_path: Path) -> None:
    group = FILES["entities/group.yaml"].replace("filter_of: person", "filter_of: persn")
    assert _report(tmp_path, {**FILES, "entities/group.yaml": group}) == ["4:33 MD380 person"]


def test_filter_of_on_a_number_is_md019(tmp_path: Path) -> None:
    group = FILES["entities/group.yaml"] + "      size: {type: integer, filter_of: person}\n"
    assert [p.split()[1] for p in _report(tmp_path, {**FILES, "entities/group.yaml": group})] == [
        "MD019"
    ]


def _variant(member: int, split_a: int) -> str:
    """rules/marketing.rules: ``if(hash_bucket(contact, 100) < split_a, "A", "B")``."""
    return "A" if hash_bucket(member, 100) < split_a else "B"


@given(st.integers(1, 2**53), st.integers(0, 100), st.integers(0, 100))
def test_a_larger_share_of_a_never_moves_a_member_to_b(member: int, low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)
    assert _variant(member, low) == _variant(member, low)  # deterministic
    if _variant(member, low) == "A":
        assert _variant(member, high) == "A"
    assert _variant(member, 0) == "B" and _variant(member, 100) == "A"


@given(st.integers(1, 10**9), st.sampled_from([10, 25, 50, 75, 90]))
def test_the_split_of_consecutive_ids_is_near_the_share(start: int, split_a: int) -> None:
    members = range(start, start + 2000)
    share = sum(_variant(m, split_a) == "A" for m in members) / len(members)
    assert abs(share - split_a / 100) < 0.05
