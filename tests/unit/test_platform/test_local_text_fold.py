"""Screens and public pages resolve per-locale text with one lookup (``pick_local``) and
read ``Accept-Language`` with one parser (``accepted_languages``)."""

from __future__ import annotations

import pytest

from trellis.metadata.model import pick_text, public_text
from trellis.metadata.model.local_text import LocalText, pick_local
from trellis.platform.i18n import Translator
from trellis.platform.i18n.negotiation import accepted_languages, accepted_locale
from trellis.ui.screens.public_text import PageText

BOTH = {"en": "Name", "es": "Nombre"}
NO_ENGLISH = {"es": "Nombre", "fr": "Nom"}


@pytest.mark.parametrize("texts", [BOTH, NO_ENGLISH])
@pytest.mark.parametrize("locale", ["es", "es_MX", "es-MX", "ES", "en", "fr", "de"])
def test_a_label_reads_the_same_on_screens_and_public_pages(
    texts: dict[str, str], locale: str
) -> None:
    screen = LocalText(texts).get(locale)
    public = pick_text(public_text(texts), [locale])
    assert screen == public == (pick_local(texts, [locale]) or next(iter(texts.values())))


def test_the_translator_and_a_public_page_agree_for_a_spanish_reader() -> None:
    label = LocalText(BOTH)
    assert Translator(locale="es").label(label) == "Nombre"
    assert PageText("es-MX,en;q=0.5", None, BOTH)(public_text(BOTH)) == "Nombre"
    assert PageText("fr", "es", BOTH)(public_text(BOTH)) == "Nombre"  # tenant default
    assert pick_local(BOTH, ["fr"], "de") == "Name"  # then English
    assert pick_local(NO_ENGLISH, ["de"]) is None  # nothing declared for the chain


def test_one_parser_of_accept_language() -> None:
    header = "fr;q=0.2, ES-mx, en;q=0.8, *;q=0.1, x;q=abc"
    assert accepted_languages(header) == ["es-mx", "en", "fr"]
    assert accepted_locale(header) == "es"
    many = ",".join(f"x{i}" for i in range(12)) + ",es"
    assert accepted_languages(many) == [f"x{i}" for i in range(10)]  # public pages: 10
    assert accepted_locale(many) == "es"  # screens read the whole (bounded) header
