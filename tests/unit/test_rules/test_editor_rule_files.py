"""The rule editor on rule files: never crashes, positions and cursors are 1-based."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.model import AppModel, EntityDef, FieldDef
from trellis.rules.editor import cursor_offset
from trellis.rules.editor.rule_files import check_rule_file

MODEL = AppModel(
    name="t",
    version="1",
    label="T",
    entities={
        "deal": EntityDef(
            "deal",
            "Deal",
            "Deals",
            {
                "name": FieldDef("name", "string", "Name"),
                "close": FieldDef("close", "date", "Close"),
                "rep": FieldDef("rep", "user", "Rep"),
            },
        )
    },
    email_templates=("welcome",),
)


def test_cursor_offset_counts_lines_and_columns_from_one() -> None:
    text = "ab\ncde\n"
    assert cursor_offset(text, 1, 1) == 0
    assert cursor_offset(text, 2, 3) == 5
    assert cursor_offset(text, 2, 99) == 6  # clamped to the line's end
    assert cursor_offset(text, 9, 1) == 7  # clamped to the last line


def test_template_names_and_recipients_are_offered() -> None:
    email = check_rule_file('rule "r"\n  on deal created\n  then send email ', MODEL)
    assert email.values == ['"welcome"']
    to = check_rule_file('rule "r"\n  on deal created\n  then send email "welcome" to ', MODEL)
    assert (to.names, to.fields) == (["owner"], ["rep"])
    complete = 'rule "r"\n  on deal created\n  then send email "welcome" to rep\nend\n'
    assert check_rule_file(complete, MODEL).errors == []


_PIECES = st.sampled_from(
    ['rule "x"', "on", "deal", "created", "when", "name", "==", '"a"', "then", "set", "=",
     "end", "\n", ";", "{", "}", ":", "create", "(", ")", "after", "2", "days", "from",
     "close", "assign", "rep", "load_balanced", "send", "email", "to", ","]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=30), st.integers(min_value=0, max_value=400))
def test_any_text_and_cursor_give_a_report(pieces: list[str], cursor: int) -> None:
    text = " ".join(pieces)
    report = check_rule_file(text, MODEL, cursor=cursor).as_json()
    assert all(e["line"] >= 1 and e["column"] >= 1 for e in report["errors"])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.integers(min_value=0, max_value=200))
def test_random_text_gives_a_report(text: str, cursor: int) -> None:
    report = check_rule_file(text, MODEL, cursor=cursor).as_json()
    assert isinstance(report["valid"], bool)
