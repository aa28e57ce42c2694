"""Per-locale metadata text: ``label: {en: …, es: …}``, option labels, the app locale."""

from __future__ import annotations

import pickle
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from trellis.metadata.loader import validate_package
from trellis.metadata.model.local_text import LocalText, label_for, local_text

ENTITY = """\
entity: deal
label: {en: Deal, es: Oportunidad}
fields:
  name:
    type: string
    label: {en: Name, es: Nombre}
    description: {en: Short name, es: Nombre corto}
  status:
    type: enum
    options: [open, won]
    option_labels: {open: {en: Open, es: Abierta}, won: Won}
validations:
  - when: "name == \\"x\\""
    field: name
    message: {en: Not x, es: No puede ser x}
"""


def _package(tmp_path: Path, entity: str = ENTITY, app: str = "") -> Path:
    (tmp_path / "entities").mkdir()
    (tmp_path / "app.yaml").write_text(f"name: demo\nversion: '1.0'\n{app}")
    (tmp_path / "entities" / "deal.yaml").write_text(entity)
    return tmp_path


def test_labels_carry_each_locale(tmp_path: Path) -> None:
    report = validate_package(_package(tmp_path, app="locale: es\n"))
    assert report.errors == []
    assert report.model is not None
    deal = report.model.entity("deal")
    assert deal.label == "Deal"
    assert label_for(deal.label, "es") == "Oportunidad"
    assert label_for(deal.plural_label, "es") == "Oportunidades"
    assert label_for(deal.plural_label, "en") == "Deals"
    name = deal.field("name")
    assert label_for(name.label, "es") == "Nombre"
    assert label_for(name.description, "es") == "Nombre corto"
    status = deal.field("status")
    assert label_for(status.option_label("open"), "es") == "Abierta"
    assert label_for(status.option_label("won"), "es") == "Won"  # a plain string stays valid
    assert label_for(deal.validations[0].message, "es") == "No puede ser x"
    assert report.model.locale == "es"


def test_plain_strings_stay_valid(tmp_path: Path) -> None:
    report = validate_package(
        _package(tmp_path, "entity: deal\nlabel: Deal\nfields: {name: {type: string}}\n")
    )
    assert report.model is not None
    assert label_for(report.model.entity("deal").label, "es") == "Deal"
    assert report.model.locale is None  # the browser's Accept-Language chooses


def test_unknown_locale_key_is_an_error_with_position_and_suggestion(tmp_path: Path) -> None:
    entity = "entity: deal\nlabel: {en: Deal, es_ES: Oportunidad}\nfields: {name: {type: string}}\n"
    report = validate_package(_package(tmp_path, entity))
    (error,) = report.errors
    assert error.code == "MD200"
    assert (error.span.line, error.span.col) == (2, 19)
    assert error.suggestion == "es"


def test_unknown_app_locale_is_an_error(tmp_path: Path) -> None:
    report = validate_package(_package(tmp_path, app="locale: ES\n"))
    (error,) = report.errors
    assert (error.code, error.suggestion, error.span.line) == ("MD201", "es", 3)


def test_option_label_for_an_unknown_option(tmp_path: Path) -> None:
    entity = ENTITY.replace("won: Won}", "wun: Won}")
    report = validate_package(_package(tmp_path, entity))
    (error,) = report.errors
    assert (error.code, error.suggestion) == ("MD202", "won")


def test_a_field_named_like_a_text_key_is_not_a_local_text(tmp_path: Path) -> None:
    entity = "entity: deal\nfields:\n  description: {type: text}\n  label: {type: string}\n"
    assert validate_package(_package(tmp_path, entity)).errors == []


@given(st.dictionaries(st.sampled_from(["en", "es"]), st.text(min_size=1), min_size=1))
def test_local_text_round_trips(values: dict[str, str]) -> None:
    text = local_text(values)
    assert isinstance(text, LocalText)
    for locale, value in values.items():
        assert label_for(text, locale) == value
    assert label_for(text, "fr") == values.get("en", next(iter(values.values())))
    assert pickle.loads(pickle.dumps(text)).by_locale == text.by_locale
