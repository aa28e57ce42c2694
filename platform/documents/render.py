"""Render a document: its template in the sandbox to HTML, then HTML to PDF (WeasyPrint).

The template runs in the email sandbox made stricter (``EmailSandbox``: unsafe
attributes raise, ``*`` and ``**`` are bounded) with autoescape on; an empty value
prints as nothing rather than ``None``. Any failure is a :class:`DocumentRenderError`
naming the document, the template line and the reason; the PDF is built whole in
memory, so a failure leaves nothing behind.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from jinja2 import Template, TemplateError

from trellis.metadata.model import DocumentDef
from trellis.platform.jobs.mail import EmailSandbox
from trellis.platform.records.errors import RecordError

PDF = "application/pdf"
#: The most HTML a template may produce: a runaway loop stops here, not at memory's end.
MAX_HTML_CHARS = 5_000_000
_TEMPLATE_FILE = "<template>"


class DocumentRenderError(RecordError):
    """The document could not be made from this record (422, nothing stored)."""

    status = 422


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    """A finished PDF and the file name it is offered under."""

    filename: str
    content: bytes
    media_type: str = PDF

    @property
    def disposition(self) -> str:
        """``Content-Disposition`` of the download (names are ``<document>-<id>.pdf``)."""
        return f'attachment; filename="{self.filename}"'


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


SANDBOX = EmailSandbox(autoescape=True, finalize=_blank_none)


def compile_template(document: DocumentDef) -> Template:
    """The compiled template of ``document`` (the loader checked that it parses)."""
    return SANDBOX.from_string(document.template)


def _template_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _failure(document: DocumentDef, exc: BaseException) -> DocumentRenderError:
    line = _template_line(exc.__traceback__)
    where = f"{document.template_path}, line {line}" if line else document.template_path
    reason = str(exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
    return DocumentRenderError(
        f"Document '{document.name}' could not be rendered ({where}): {reason}"
    )


def render_html(document: DocumentDef, template: Template, context: dict[str, Any]) -> str:
    """The HTML of ``document`` for ``context``.

    Raises:
        DocumentRenderError: the template failed (undefined value, unsafe attribute,
            a bad operation such as 1/0; the message names the line) or made more than
            :data:`MAX_HTML_CHARS` of HTML.
    """
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_HTML_CHARS:
                raise DocumentRenderError(
                    f"Document '{document.name}' could not be rendered "
                    f"({document.template_path}): it makes more than "
                    f"{MAX_HTML_CHARS:,} characters of HTML."
                )
            parts.append(chunk)
        return "".join(parts)
    except (
        TemplateError,
        ArithmeticError,
        LookupError,
        TypeError,
        ValueError,
        RecursionError,
    ) as exc:
        raise _failure(document, exc) from None


def _weasyprint() -> tuple[Any, Any]:
    """WeasyPrint's ``HTML`` and our fetcher, imported on the first document.

    WeasyPrint takes about a second to import, so processes that never print do not
    pay for it. Without the optional ``libharfbuzz-subset0`` (in the Dockerfile) it
    warns at import that a future version will need it; fonts are embedded whole then.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
        from weasyprint import HTML

        from trellis.platform.documents.fetcher import DataOnlyFetcher
    # Seven INFO lines per document ("Step 1 - Fetching and parsing HTML" …) are noise.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    return HTML, DataOnlyFetcher


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``; resources other than ``data:`` URIs are refused.

    Raises:
        DocumentRenderError: WeasyPrint could not lay the page out.
    """
    html_class, fetcher_class = _weasyprint()
    try:
        pdf: bytes = html_class(string=html, base_url=None, url_fetcher=fetcher_class()).write_pdf()
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        raise DocumentRenderError(f"The PDF could not be laid out: {exc}") from None
    return pdf


__all__ = [
    "MAX_HTML_CHARS",
    "PDF",
    "SANDBOX",
    "DocumentRenderError",
    "RenderedDocument",
    "compile_template",
    "html_to_pdf",
    "render_html",
]
