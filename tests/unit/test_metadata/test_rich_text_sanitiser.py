"""The rich text sanitiser and plain text: allow-list, links, idempotence (properties)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.model import FIELD_TYPES, FieldDef, FieldType, FieldValueError
from trellis.metadata.model.rich_text import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    MAX_RICH_TEXT_LENGTH,
    URL_SCHEMES,
    plain_text,
    sanitise,
)

_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<script>",
        "</script>",
        "<a href='javascript:alert(1)'>",
        '<a href="https://x.org">',
        "</a>",
        '<b onclick="x()">',
        "</b>",
        '<span style="color:red">',
        "<style>p{}</style>",
        "<!-- c -->",
        "<br>",
        "&amp;",
        "&lt;",
        "<",
        ">",
        '"',
        "<ul><li>",
        "<img src=x onerror=y>",
        "<iframe>",
    ]
)
HTML = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=20).map("".join)


@given(HTML)
@settings(max_examples=300)
def test_sanitising_is_idempotent(html: str) -> None:
    once = sanitise(html)
    assert sanitise(once) == once


class _Tags(HTMLParser):
    """Every tag and attribute of a fragment, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@given(HTML)
@settings(max_examples=200)
def test_only_allowed_tags_attributes_and_schemes_survive(html: str) -> None:
    parser = _Tags()
    parser.feed(sanitise(html))
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        assert set(attrs) <= allowed
        href = attrs.get("href")
        if href is not None:
            assert href.split(":", 1)[0].lower() in URL_SCHEMES
        if tag == "a":
            assert attrs["rel"] == "noopener noreferrer"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        (
            '<a href="https://e.org" target="_blank" onclick="x()">e</a>',
            '<a href="https://e.org" rel="noopener noreferrer">e</a>',
        ),
        ('<p style="color:red">red</p>', "<p>red</p>"),
        ("<em>kept</em> <u>u</u>", "<em>kept</em> <u>u</u>"),
    ],
)
def test_allow_list(html: str, expected: str) -> None:
    assert sanitise(html) == expected


def test_plain_text_keeps_words_not_tags() -> None:
    assert plain_text("<p>One <strong>two</strong></p><p>three &amp; four</p>") == (
        "One two three & four"
    )
    assert plain_text('<a href="https://e.org" rel="noopener noreferrer">link</a>') == "link"


def test_coerce_sanitises_and_limits_size() -> None:
    f = FieldDef(name="body", type=FieldType.RICH_TEXT, label="Body")
    coerce = FIELD_TYPES[FieldType.RICH_TEXT].coerce
    assert coerce("<b>x</b><script>y</script>", f) == "<b>x</b>"
    with pytest.raises(FieldValueError):
        coerce("x" * (MAX_RICH_TEXT_LENGTH + 1), f)
