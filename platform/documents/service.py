"""Documents of a record: read what the caller may see, render the template, make the PDF.

The template sees (docs/documents.md):

- ``record``: the record as ``GET …/{entity}/{id}?expand=…`` answers it, every
  reference and user column expanded to ``{"id", "title"}``;
- ``related.<child>``: the child records whose reference points at the record (the
  first reference field of that child entity to this one), oldest first, expanded
  the same way; only the lists the template names are read;
- ``document`` (``name``, ``label``), ``entity`` (``name``, ``label``) and ``today``
  (in the tenant's ``timezone``).

Every read goes through the record service with the caller's access: an entity the
caller cannot read is 403, a record outside its scope 404; hidden fields are absent and
a related entity it cannot read gives an empty list.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Template

from trellis.metadata.model import DocumentDef
from trellis.platform.authz.call import Call
from trellis.platform.documents.render import (
    RenderedDocument,
    compile_template,
    html_to_pdf,
    render_html,
)
from trellis.platform.files.stored import FileJson
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import NotFoundError, RecordError
from trellis.platform.runtime import PartKey, Runtime
from trellis.platform.services.expand import expandable
from trellis.platform.services.files import FilesService
from trellis.platform.services.records import RecordsService
from trellis.platform.services.values import ListArgs

PDF_SUFFIX = ".pdf"
_TEMPLATES: PartKey[dict[str, Template]] = PartKey("documents.templates")


def _expand_names(call: Call, entity: CompiledEntity) -> str | None:
    """Every reference and user column the caller sees (``owner`` only as ``owner_id``)."""
    names = expandable(entity, call.access.entity(entity.name).columns)
    return ",".join(n for n, e in names.items() if n == e.column) or None


class DocumentsService:
    """Renders the documents of a package for callers who can read the record."""

    def __init__(
        self, runtime: Runtime, records: RecordsService, files: FilesService | None = None
    ) -> None:
        self.runtime = runtime
        self.records = records
        self.files = files if files is not None else FilesService(runtime)

    def find(self, call: Call, entity: CompiledEntity, name: str) -> DocumentDef:
        """Document ``name`` of ``entity``.

        Raises:
            NotFoundError: the package declares no such document for the entity.
        """
        document = call.app.model.documents.get(name)
        if document is None or document.entity != entity.name:
            raise NotFoundError(f"No document '{name}' for {entity.name}.")
        return document

    def _template(self, call: Call, document: DocumentDef) -> Template:
        compiled = call.rt.part(_TEMPLATES, lambda _rt: {})
        template = compiled.get(document.name)
        if template is None:
            template = compiled.setdefault(document.name, compile_template(document))
        return template

    def context(
        self, call: Call, entity: CompiledEntity, record_id: int, document: DocumentDef
    ) -> dict[str, Any]:
        """What the template of ``document`` sees for record ``record_id``.

        Raises:
            NotFoundError: the record is unknown, deleted or outside the caller's scope.
        """
        record = self.records.read(call, entity, record_id, _expand_names(call, entity)).record
        related: dict[str, list[dict[str, Any]]] = {}
        for source in document.related:
            related[source.key] = self._children(call, source.entity, source.field, record_id)
        return {
            "record": record,
            "related": related,
            "document": {"name": document.name, "label": document.label},
            "entity": {"name": entity.name, "label": entity.entity.label},
            "today": self.runtime.clock.now().astimezone(ZoneInfo(call.app.model.timezone)).date(),
        }

    def _children(self, call: Call, name: str, field: str, record_id: int) -> list[dict[str, Any]]:
        child = call.app.entities.get(name)
        if child is None or not call.access.can(name, "read"):
            return []
        args = {
            "filter": f"{field} == {record_id}",
            "sort": "id",
            "limit": str(self.runtime.config.max_page_size),
        }
        expand = _expand_names(call, child)
        if expand:
            args["expand"] = expand
        try:
            return self.records.page(call, child, ListArgs.of(args), count=False).items
        except RecordError:  # the reference field is hidden from the caller: no lines
            return []

    def html(self, call: Call, entity: CompiledEntity, record_id: int, name: str) -> str:
        """The HTML of document ``name`` for the record (the step before the PDF).

        Raises:
            NotFoundError: unknown document or record, or a record outside the scope.
            DocumentRenderError: the template failed on this record.
        """
        document = self.find(call, entity, name)
        context = self.context(call, entity, record_id, document)
        return render_html(document, self._template(call, document), context)

    def pdf(
        self, call: Call, entity: CompiledEntity, record_id: int, name: str
    ) -> RenderedDocument:
        """The PDF of document ``name`` for the record, built whole in memory.

        Raises:
            NotFoundError: unknown document or record, or a record outside the scope.
            DocumentRenderError: the template or the layout failed; nothing is stored.
        """
        html = self.html(call, entity, record_id, name)
        return RenderedDocument(f"{name}-{record_id}.pdf", html_to_pdf(html))

    def pdf_file(
        self, call: Call, entity: CompiledEntity, record_id: int, file: str
    ) -> RenderedDocument:
        """:meth:`pdf` for a file name as URLs give it: ``<name>.pdf``.

        Raises:
            NotFoundError: ``file`` does not end in ``.pdf``, or as :meth:`pdf`.
            DocumentRenderError: as :meth:`pdf`.
        """
        if not file.endswith(PDF_SUFFIX):
            raise NotFoundError(f"No document '{file}': documents are named <name>.pdf.")
        return self.pdf(call, entity, record_id, file[: -len(PDF_SUFFIX)])

    def store(
        self, call: Call, entity: CompiledEntity, record_id: int, name: str
    ) -> tuple[str, FileJson]:
        """Render document ``name`` and save the PDF on its ``store_in`` file field as
        the field's newest version (uploader: the caller; time: the clock).

        Everything is rendered before anything is stored, and the file is stored with
        the record's save, so a failure leaves neither bytes nor a version behind.

        Returns:
            The field's name and the stored file's metadata (with earlier versions).

        Raises:
            NotFoundError: unknown document or record, a record outside the scope, a
                document without ``store_in``, or a field the caller cannot see.
            ForbiddenError: the caller may not update these records.
            DocumentRenderError: the template or the layout failed; nothing is stored.
        """
        document = self.find(call, entity, name)
        if document.store_in is None:
            raise NotFoundError(f"Document '{name}' is not saved on records (no store_in).")
        field = self.files.field(call, entity, document.store_in)
        self.files.check_upload(call, entity, record_id, field)
        rendered = self.pdf(call, entity, record_id, name)
        stored = self.files.store_version(
            call, entity, record_id, field.name, rendered.content, rendered.filename
        )
        return field.name, stored


__all__ = ["PDF_SUFFIX", "DocumentsService"]
