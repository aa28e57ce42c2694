"""Printable documents: sandboxed HTML templates of a package rendered to PDF."""

from __future__ import annotations

from trellis.platform.documents.render import (
    DocumentRenderError,
    RenderedDocument,
    html_to_pdf,
    render_html,
)
from trellis.platform.documents.service import DocumentsService

__all__ = [
    "DocumentRenderError",
    "DocumentsService",
    "RenderedDocument",
    "html_to_pdf",
    "render_html",
]
