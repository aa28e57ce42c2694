"""Search text folding and snippets (platform/search/text.py, snippets.py)."""

from __future__ import annotations

import pytest

from trellis.platform.records.errors import BadRequestError
from trellis.platform.search.snippets import snippet
from trellis.platform.search.text import index_text, query_words


def test_words_are_folded_without_case_or_accents_and_split_on_everything_else() -> None:
    assert index_text("José GARCÍA-Núñez, Straße (Cádiz) 12b") == (
        "jose garcia nunez strasse cadiz 12b"
    )
    assert index_text("Jose\u0301") == "jose"  # a decomposed accent folds the same way
    assert index_text("") == "" and index_text(None) == ""
    assert query_words('"jose"* NEAR(-garcía) jose') == ["jose", "near", "garcia"]
    assert query_words("*()\"'-") == []
    assert len(query_words(" ".join(f"w{i}" for i in range(20)))) == 8


@pytest.mark.parametrize("raw", [None, "", "  ", "a\x00", "x" * 201])
def test_unusable_search_text_is_a_bad_request(raw: str | None) -> None:
    with pytest.raises(BadRequestError) as caught:
        query_words(raw)
    assert list(caught.value.errors) == ["q"]


def test_snippet_escapes_html_and_marks_prefix_matches_in_the_original_spelling() -> None:
    assert snippet("<i>José</i> & García", ["jose", "gar"]) == (
        "&lt;i&gt;<mark>José</mark>&lt;/i&gt; &amp; <mark>García</mark>"
    )
    assert snippet("nothing here", ["jose"]) is None


def test_long_text_is_cut_around_the_first_match_with_ellipses() -> None:
    text = " ".join(["lorem"] * 40 + ["Málaga"] + ["ipsum"] * 60)
    found = snippet(text, ["malaga"])
    assert found == "…" + "lorem " * 6 + "<mark>Málaga</mark>" + " ipsum" * 19 + "…"


def test_only_the_first_characters_of_a_huge_field_are_indexed() -> None:
    huge = "alpha " * 20_000 + "omega"
    assert index_text(huge).split()[-1] == "alpha" and "omega" not in index_text(huge)
