"""Catalogues complete in English and Spanish, locale choice, formats, translatable messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from babel import dates, numbers
from babel.messages.catalog import Catalog
from hypothesis import given
from hypothesis import strategies as st

from trellis.metadata.model.local_text import Translatable
from trellis.platform.i18n import (
    SUPPORTED_LOCALES,
    Translator,
    accepted_locale,
    choose_locale,
    read_catalogue,
    translations,
)
from trellis.platform.i18n.checks import catalogue_problems, message_ids, placeholders
from trellis.platform.i18n.date_format import format_date
from trellis.platform.i18n.number_format import format_money, format_number

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def ids() -> set[str | tuple[str, ...]]:
    """Every message id marked in the code and templates (as pybabel extract finds them)."""
    return message_ids(REPO_ROOT)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalogue_translates_every_message_id(
    locale: str, ids: set[str | tuple[str, ...]]
) -> None:
    assert len(ids) > 100
    assert catalogue_problems(read_catalogue(locale), ids) == []


@pytest.mark.parametrize(
    ("msgid", "msgstr", "problem"),
    [
        ("Must be at least %(min)s.", "Debe ser como mínimo %(minimo)s.", "placeholders"),
        ("Must be at least %(min)s.", "Debe ser como mínimo.", "placeholders"),
        ("Hello {name}", "Hola {nombre}", "placeholders"),
        ("%(count)s left", "quedan %(count)", "placeholders"),
        ("Save", "", "untranslated"),
        ("Cancel", None, "missing"),
    ],
)
def test_broken_translations_fail_the_catalogue_check(
    msgid: str, msgstr: str | None, problem: str
) -> None:
    catalogue = Catalog(locale="es")
    if msgstr is not None:
        catalogue.add(msgid, msgstr)
    (found,) = catalogue_problems(catalogue, {msgid})
    assert problem in found and msgid in found


def test_placeholders_are_read_in_both_styles() -> None:
    assert placeholders("%(a)s and {b} and %(a)s, 100%% sure") == ["a", "b"]


@pytest.mark.parametrize(
    ("user", "tenant", "header", "chosen"),
    [
        ("es", "en", "en", "es"),
        (None, "es", "en-GB", "es"),
        (None, None, "es-MX,es;q=0.9,en;q=0.5", "es"),
        (None, None, "fr-FR, en;q=0.3", "en"),
        ("fr", "de", "xx", "en"),  # unknown everywhere: English, no error
        ("es_AR", None, None, "es"),
        (None, None, "en;q=0.2, es;q=0.8", "es"),
        (None, None, ";;;q=, ,", "en"),
    ],
)
def test_locale_choice(user: str | None, tenant: str | None, header: str, chosen: str) -> None:
    assert choose_locale(user, tenant, header) == chosen


@given(st.text(max_size=200))
def test_any_accept_language_header_gives_a_supported_locale_or_none(header: str) -> None:
    found = accepted_locale(header)
    assert found is None or found in SUPPORTED_LOCALES


def test_spanish_formats_dates_numbers_and_money() -> None:
    es, en = Translator("es"), Translator("en")
    assert es.date(dt.date(2026, 12, 3)) == "3 dic 2026"
    assert en.date(dt.date(2026, 12, 3)) == "Dec 3, 2026"
    assert es.number(Decimal("1234567.5")) == "1.234.567,5"
    assert es.money(Decimal("60000"), "EUR") == "60.000,00\xa0€"
    assert en.money(Decimal("1000"), "USD") == "$1,000.00"
    assert es.money(Decimal("12.5")) == "12,50"
    assert es.percent(25) == "25\xa0%"


def test_translatable_messages_keep_english_text_and_translate() -> None:
    message = Translatable("Must be at least %(min)s.", min=3)
    assert message == "Must be at least 3."
    assert Translator("es").message(message) == "Debe ser como mínimo 3."
    assert Translator("es").message("plain text") == "plain text"
    assert Translator("es").gettext("Save") == "Guardar"


def test_unknown_locale_translates_to_english_without_error() -> None:
    assert Translator("xx").gettext("Save") == "Save"
    assert Translator("xx").date(dt.date(2026, 1, 2)) == "Jan 2, 2026"
    assert Translator("es_MX").locale == "es"
    assert translations("xx").gettext("Cancel") == "Cancel"


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False),
    st.sampled_from(SUPPORTED_LOCALES),
    st.sampled_from(["EUR", "USD", "JPY", "MXN"]),
)
def test_fast_number_formats_equal_babels(value: Decimal, locale: str, currency: str) -> None:
    assert format_number(value, locale) == numbers.format_decimal(value, locale=locale)
    assert format_money(value, currency, locale) == numbers.format_currency(
        value, currency, locale=locale
    )


@given(
    st.dates(),
    st.sampled_from(SUPPORTED_LOCALES),
    st.sampled_from(["short", "medium", "long", "full"]),
)
def test_fast_date_formats_equal_babels(value: dt.date, locale: str, form: str) -> None:
    assert format_date(value, form, locale) == dates.format_date(value, format=form, locale=locale)
