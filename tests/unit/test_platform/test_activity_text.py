"""Comment text cleaning, @mention resolution and comment rendering (no database)."""

from __future__ import annotations

import pytest

from trellis.platform.activity import CommentError, Member, clean_body, resolve_mentions
from trellis.platform.activity.mentions import MAX_MENTIONS, tokens_of
from trellis.platform.activity.timeline import Position, TimelineError, page_size
from trellis.ui.screens.timeline_view import render_comment

ANN = Member(1, "ann.lee@acme.test", "Ann Lee")
BOB = Member(2, "bob@acme.test", "Bob Stone")
BOB2 = Member(3, "robert@acme.test", "Bob Marley")
MEMBERS = [ANN, BOB, BOB2]


def test_clean_body_keeps_line_breaks_and_drops_control_characters() -> None:
    assert clean_body("  hello\r\nworld \x00\x07\r\r\r\rend\t!  ") == "hello\nworld\n\nend    !"


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "\x00\x01"])
def test_clean_body_refuses_empty_text(text: str) -> None:
    with pytest.raises(CommentError, match="Write something before posting a comment"):
        clean_body(text)


def test_clean_body_refuses_long_text() -> None:
    with pytest.raises(CommentError, match="at most 5000 characters; this one has 5001"):
        clean_body("y" * 5001)


def test_tokens_ignore_addresses_and_trailing_punctuation() -> None:
    text = "mail bob@acme.test, ping @Ann. and @ann.lee@acme.test; x@@bob (@Bob_Stone)"
    assert tokens_of(text) == ["ann", "ann.lee@acme.test", "bob_stone"]


def test_mentions_resolve_by_email_local_part_squashed_name_and_unique_first_name() -> None:
    found = resolve_mentions("@ann.lee@acme.test @bob @AnnLee @ann.lee @BOBMARLEY @robert", MEMBERS)
    assert {t: m.user_id for t, m in found.tokens.items()} == {
        "ann.lee@acme.test": 1,
        "bob": 2,
        "annlee": 1,
        "ann.lee": 1,
        "bobmarley": 3,
        "robert": 3,
    }
    assert [m.user_id for m in found.members] == [1, 2, 3]
    assert found.unresolved == []


def test_unknown_and_ambiguous_mentions_are_unresolved() -> None:
    members = [Member(1, "x@a.test", "Sam One"), Member(2, "y@a.test", "Sam Two")]
    found = resolve_mentions("@sam @nobody @SAM @x@b.test", members)
    assert found.tokens == {}
    assert found.unresolved == ["sam", "nobody", "x@b.test"]


def test_mentions_are_capped() -> None:
    members = [Member(i, f"u{i}@a.test", f"U{i}") for i in range(1, 40)]
    text = " ".join(f"@u{i}" for i in range(1, 40))
    found = resolve_mentions(text, members)
    assert len(found.members) == MAX_MENTIONS
    assert len(found.unresolved) == 39 - MAX_MENTIONS


def test_render_comment_escapes_everything_and_marks_known_mentions() -> None:
    html = render_comment('<i>hi</i> @Ann. & @bob\n"q"', [["ann", 1]], {1: "Ann <Lee>", 2: "Bob"})
    assert str(html) == (
        '&lt;i&gt;hi&lt;/i&gt; <span class="mention" title="Ann &lt;Lee&gt;">@Ann</span>. '
        "&amp; @bob<br>\n&#34;q&#34;"
    )


@pytest.mark.parametrize("cursor", ["", "x", "2026-01-01T00:00:00~a~1", "nope~1~2", "1~2"])
def test_bad_timeline_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(TimelineError, match="is not valid; reload the page"):
        Position.parse(cursor)


def test_cursor_round_trip_and_page_size() -> None:
    position = Position.parse("2026-01-02T03:04:05.123456+00:00~3~17")
    assert Position.parse(position.encode()) == position
    assert page_size(None) == 20
    assert page_size("100") == 100
    for bad in ("0", "101", "-1", "x"):
        with pytest.raises(TimelineError, match="Use 1 to 100"):
            page_size(bad)
