"""Message contexts (``msgctxt``): ``pgettext`` in code and templates, and the catalogue
check that wants an entry per context."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from babel.messages.catalog import Catalog
from jinja2 import Environment

from trellis.platform.i18n import Translator, read_catalogue
from trellis.platform.i18n.checks import InContext, catalogue_problems, message_ids
from trellis.ui.screens.filters import register_filters

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_pgettext_translates_within_its_context() -> None:
    es = Translator("es")
    assert es.pgettext("jobs column", "queued") == "encolados"
    assert es.pgettext("jobs column", "done") == "hechos"
    assert Translator("en").pgettext("jobs column", "failed") == "failed"
    # An unknown context or locale gives the message itself, never an error.
    assert es.pgettext("no such context", "queued") == "queued"
    assert Translator("xx").pgettext("jobs column", "done") == "done"


def test_templates_have_pgettext() -> None:
    env = Environment(autoescape=True)
    register_filters(SimpleNamespace(engine=env))
    template = env.from_string('{{ pgettext("jobs column", "failed") }}')
    assert template.render(i18n=Translator("es")) == "fallidos"
    assert template.render(i18n=Translator("en")) == "failed"
    assert template.render() == "failed"  # no translator: English


def test_extraction_keeps_contexts() -> None:
    ids = message_ids(REPO_ROOT)
    assert InContext("jobs column", "queued") in ids
    assert "jobs column: queued" not in ids


def _catalogue(*entries: tuple[str, str, str | None]) -> Catalog:
    catalogue = Catalog(locale="es")
    for msgid, msgstr, context in entries:
        catalogue.add(msgid, msgstr, context=context)
    return catalogue


def test_an_entry_without_its_context_does_not_count() -> None:
    wanted = {InContext("jobs column", "queued")}
    plain = _catalogue(("queued", "en cola", None))  # the plain id: not the one in context
    (problem,) = catalogue_problems(plain, wanted)
    assert "missing 'queued' in msgctxt 'jobs column'" in problem
    empty = _catalogue(("queued", "", "jobs column"))
    (problem,) = catalogue_problems(empty, wanted)
    assert "untranslated 'queued' in msgctxt 'jobs column'" in problem
    good = _catalogue(("queued", "encolados", "jobs column"))
    assert catalogue_problems(good, wanted) == []
    broken = _catalogue(("%(n)s queued", "encolados", "jobs column"))
    (problem,) = catalogue_problems(broken, {InContext("jobs column", "%(n)s queued")})
    assert "placeholders of '%(n)s queued' in msgctxt 'jobs column'" in problem


def test_shipped_catalogues_carry_the_contexts() -> None:
    for locale in ("en", "es"):
        entry = read_catalogue(locale).get("done", context="jobs column")
        assert entry is not None and entry.string
