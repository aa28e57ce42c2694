"""Round-robin turns per rule, team and matched value (``assign … in team … matching …``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trellis.platform.triggers.assign import turn_key

names = st.text(min_size=1, max_size=150)
teams = st.none() | st.text(min_size=1, max_size=60)
attrs = st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=40), max_size=3)


@given(names, teams, attrs)
def test_aturn_key_fits_the_sequence_column_and_is_stable(
    rule: str, team: str | None, wanted: dict[str, str]
) -> None:
    key = turn_key(rule, team, wanted)
    assert len(key) <= 100 and key.startswith("rr:")
    assert key == turn_key(rule, team, dict(reversed(list(wanted.items()))))


@given(names, teams, attrs, teams, attrs)
def test_each_team_and_matched_value_has_its_own_turn(
    rule: str, team: str | None, wanted: dict[str, str], other: str | None, more: dict[str, str]
) -> None:
    same = (team, sorted(wanted.items())) == (other, sorted(more.items()))
    assert (turn_key(rule, team, wanted) == turn_key(rule, other, more)) == same


def test_separators_inside_values_do_not_merge_turns() -> None:
    assert turn_key("r", "a\x1fk=v", {}) != turn_key("r", "a", {"k": "v"})
    assert turn_key("r", "a", {"b": "c"}) != turn_key("r", "a", {"b=c": ""})


def test_a_rule_without_team_or_match_keeps_its_old_turn() -> None:
    assert turn_key("Route web leads", None, {}) == "rr:Route web leads"
