"""The in-place editor's fragment: a field's shown value, or its editor, on the record page.

Shared by the editor of typed values (``inline_routes``) and of file fields
(``inline_file_routes``); a file field's editor lists its files with a remove button
each and a file input to upload one more (or a replacement).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from trellis.metadata.model import FieldType
from trellis.platform.records.compiled import CompiledEntity
from trellis.ui.screens.file_view import field_files
from trellis.ui.screens.present import Presenter, link_chips
from trellis.ui.screens.record_header import PICKED_TYPES
from trellis.ui.screens.web import UiCall, UiServices, page

PLACES = ("h", "s")  # the header's highlights, a section of the page


def presenter(services: UiServices, ui: UiCall) -> Presenter:
    """A presenter of the caller's records (titles of linked records, users' names)."""
    names = services.members.names(ui.tenant)
    return Presenter(services.records, ui.call, names, ui.translator)


def inline_fragment(
    services: UiServices,
    request: Request[Any, Any, Any],
    ui: UiCall,
    entity: CompiledEntity,
    record: dict[str, Any],
    name: str,
    *,
    editing: bool,
    status: int = 200,
    **extra: Any,
) -> Response[Any]:
    """The field's shown value (``editing=False``) or its editor, with ``extra`` context
    (``messages`` of a refusal, a ``conflict``, the ``version`` to save against)."""
    shown = presenter(services, ui)
    shown.load_titles(entity.entity, [record], [name])
    place = request.query_params.get("place")
    field = entity.entity.fields[name]
    picked: dict[str, Any] = {}
    draft = extra.pop("draft", record)
    if editing and field.type in PICKED_TYPES:
        # What the picker shows: the stored value, or the one sent back by a 422/409.
        shown.load_titles(entity.entity, [draft], [name])
        picked = {
            "value": draft.get(name),
            "title": shown.cell(entity.entity, draft, name).text,
            "chips": link_chips(shown, entity, draft).get(name, ()),
        }
    ctx = {
        "entity": entity.entity,
        "record": record,
        "field": field,
        "cell": shown.cell(entity.entity, record, name),
        "place": place if place in PLACES else "s",
        "editing": editing,
        "focus": True,
        "picked": picked,
        **extra,
    }
    template = "_inline_field.html"
    if editing and field.type == FieldType.FILE:
        template = "_inline_file.html"
        names = services.members.names(ui.tenant)
        ctx["files"] = field_files(ui.call, entity, record, name, names)
    return page(request, ui, template, ctx, status=status)


__all__ = ["PLACES", "inline_fragment", "presenter"]
