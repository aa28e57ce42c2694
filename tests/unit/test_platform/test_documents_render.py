"""Document rendering: the sandboxed template, its errors, and the data:-only fetcher."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from trellis.metadata.loader._document_template import scan_template
from trellis.metadata.model import DocumentDef
from trellis.platform.documents.fetcher import DataOnlyFetcher, RefusedResourceError
from trellis.platform.documents.render import (
    DocumentRenderError,
    compile_template,
    render_html,
)


def _document(template: str) -> DocumentDef:
    return DocumentDef("sheet", "offer", "Sheet", template, "documents/sheet.html.j2")


def _render(template: str, **context: object) -> str:
    document = _document(template)
    return render_html(document, compile_template(document), dict(context))


@given(st.text())
def test_record_text_is_escaped_whatever_it_holds(text: str) -> None:
    assert _render("<p>{{ record.note }}</p>", record={"note": text}) == f"<p>{escape(text)}</p>"


def test_an_empty_value_prints_nothing() -> None:
    assert _render("[{{ record.note }}]", record={"note": None}) == "[]"


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("a\nb\n{{ 1 / 0 }}", "line 3): ZeroDivisionError: division by zero"),
        ("{{ record.note | attr('__class__') }}", "attribute '__class__' of a str is not allowed"),
        ("x\n{{ record.missing.deeper }}", "line 2): 'dict object' has no attribute 'missing'"),
        ("{{ 'x' * 1000000 }}", "would build more than"),
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}xxxx{% endfor %}{% endfor %}",
            "more than 5,000,000 characters of HTML",
        ),
    ],
)
def test_runtime_failures_name_the_template_line_and_reason(template: str, reason: str) -> None:
    with pytest.raises(DocumentRenderError) as caught:
        _render(template, record={"note": "n"})
    assert caught.value.status == 422
    assert caught.value.message.startswith(
        "Document 'sheet' could not be rendered (documents/sheet.html.j2"
    )
    assert reason in caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/logo.png",
        "https://example.invalid/style.css",
        "file:///etc/passwd",
        "FILE:///etc/hostname",
        "ftp://127.0.0.1/x",
        "  http://127.0.0.1/padded",
    ],
)
def test_the_fetcher_refuses_everything_but_data_uris(url: str) -> None:
    with pytest.raises(RefusedResourceError):
        DataOnlyFetcher().fetch(url)


def test_the_fetcher_reads_data_uris() -> None:
    response = DataOnlyFetcher().fetch("data:text/css;base64,aDEge30=")
    assert response.read() == b"h1 {}"


@given(st.text(max_size=200))
def test_scanning_any_text_reports_problems_at_real_places(source: str) -> None:
    scan = scan_template(source, fields=["number"], related=["line"])
    lines = source.splitlines() or [""]
    for problem in scan.problems:
        assert problem.code in {"MD230", "MD232", "MD233", "MD234"}
        assert 1 <= problem.line <= max(len(lines), 1) + 1
        assert problem.col >= 1


def test_related_lists_read_are_the_ones_named_unless_passed_whole() -> None:
    named = scan_template("{{ related.line | length }}", fields=[], related=["line", "note"])
    assert named.related == {"line"} and not named.related_whole
    whole = scan_template("{% set r = related %}{{ r.note }}", fields=[], related=["line", "note"])
    assert whole.related_whole
