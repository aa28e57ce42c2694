"""Label choice by language and the origin check of public posts: properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.model import pick_text, public_text
from trellis.platform.public import origin_allowed
from trellis.ui.screens.public_text import PageText, accepted_languages

LANGS = st.sampled_from(["en", "es", "fr", "de", "pt", "es-mx", "en-gb"])
TEXTS = st.dictionaries(LANGS, st.text(min_size=1, max_size=5), min_size=1)
HOSTS = st.from_regex(r"https?://[a-z]{1,8}\.(example|test)(:[0-9]{2,4})?", fullmatch=True)


def test_plain_strings_and_fallbacks() -> None:
    assert pick_text(public_text("Name"), ["es"]) == "Name"
    both = public_text({"en": "Name", "es": "Nombre"})
    assert pick_text(both, ["es-MX", "en"]) == "Nombre"
    assert pick_text(both, ["fr"]) == "Name"  # nothing accepted: English
    assert pick_text(public_text({"es": "Nombre", "fr": "Nom"}), ["de"], "fr") == "Nom"
    assert pick_text(public_text(None), ["es"], fallback="Field") == "Field"
    assert accepted_languages("fr;q=0.2, es-MX, en;q=0.8, *;q=0.1") == ["es-mx", "en", "fr"]
    assert accepted_languages("x;q=abc, ;q=1, de;q=0") == []
    assert PageText("es-MX", None, {"en", "es"}).lang == "es"
    assert PageText("fr", "es", {"en", "es"}).lang == "es"


@settings(max_examples=60, derandomize=True)
@given(TEXTS, st.lists(LANGS, max_size=3), st.one_of(st.none(), LANGS))
def test_a_declared_text_is_always_one_of_its_values(
    text: dict[str, str], languages: list[str], default: str | None
) -> None:
    chosen = pick_text(public_text(text), languages, default)
    assert chosen in text.values()
    for tag in languages:  # the first accepted language that is declared wins
        if tag in text:
            assert chosen == text[tag]
            break


@settings(max_examples=80, derandomize=True)
@given(HOSTS, st.lists(HOSTS, max_size=3), st.sampled_from(["origin", "referer"]))
def test_only_listed_origins_pass(candidate: str, allowed: list[str], header: str) -> None:
    own = "http://trellis.example:8000"
    origin = candidate if header == "origin" else None
    referer = candidate + "/page?x=1" if header == "referer" else None
    passed = origin_allowed(origin, referer, own, allowed)
    assert passed == (candidate.lower() in {own, *(a.lower() for a in allowed)})
    # A look-alike (the allowed host as a prefix of another) never passes.
    for item in allowed:
        assert not origin_allowed(item + ".evil.test", None, own, allowed) or (
            item + ".evil.test" in allowed
        )
    assert not origin_allowed("null", None, own, allowed)
    assert origin_allowed(None, None, own, allowed)  # no browser header: not a cross-site post
