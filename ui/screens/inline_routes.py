"""Edit one field of a record in place on its page: an editor fragment, saved through the API.

``GET …/{id}/_field/{name}`` gives the field's editor (``?view=1``: its shown value);
``POST`` saves it with the version the page was drawn from. A refused value (422)
comes back in the editor with the error and what was typed; a stale version (409)
with both values, the saved one and the typed one, and the current version so that
saving again overwrites knowingly.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model import FieldType
from trellis.platform.i18n import Translatable
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    RecordError,
)
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.forms import form_values
from trellis.ui.screens.inline_fragment import inline_fragment, presenter
from trellis.ui.screens.record_form import posted_multi
from trellis.ui.screens.record_header import PICKED_TYPES, inline_fields
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, signed_in

BASE = "/t/{tenant:str}/e/{entity:str}/{record_id:str}/_field/{name:str}"


def _version(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() else None


def _typed(posted: dict[str, list[str]], name: str) -> str:
    """What the user typed, shown back as typed (a checkbox: whether it was ticked)."""
    values = posted.get(name) or [""]
    return ", ".join(v for v in values if v) if len(values) > 1 else values[-1]


def inline_routes(services: UiServices) -> list[Any]:
    """Route handlers of the in-place field editor."""
    api = services.records

    def target(
        request: Request[Any, Any, Any], tenant: str, entity: str, name: str
    ) -> tuple[UiCall, CompiledEntity]:
        ui = signed_in(services, request, tenant)
        compiled = readable_entity(ui.call, entity)
        if name not in inline_fields(ui.call, compiled.entity):
            raise ForbiddenError(
                Translatable("The field '%(name)s' cannot be edited here.", name=name)
            )
        return ui, compiled

    def fragment(
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
        return inline_fragment(
            services, request, ui, entity, record, name, editing=editing, status=status, **extra
        )

    @get(BASE, sync_to_thread=True)
    def editor(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> Response[Any]:
        ui, compiled = target(request, tenant, entity, name)
        record = api.read(ui.call, compiled, parse_id(entity, record_id)).record
        if request.query_params.get("view"):
            return fragment(request, ui, compiled, record, name, editing=False)
        state = services.records.form(ui.call, compiled, record["id"], {})
        uploaded = compiled.entity.fields[name].type == FieldType.FILE  # never typed: "readonly"
        if (state.get(name) or {}).get("readonly") and not uploaded:
            raise ForbiddenError(Translatable("The field '%(name)s' is read-only now.", name=name))
        version = _version(request.query_params.get("version")) or record.get("version")
        return fragment(request, ui, compiled, record, name, editing=True, version=version)

    @post(BASE, sync_to_thread=True, dependencies=POSTED_FORM)
    def save(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, compiled = target(request, tenant, entity, name)
        if compiled.entity.fields[name].type == FieldType.FILE:
            raise BadRequestError(
                Translatable("Upload a file to change the field '%(name)s'.", name=name)
            )
        ident = parse_id(entity, record_id)
        posted = posted_multi(form)
        version = _version((posted.get("version") or [""])[-1])
        data = form_values(compiled.entity, posted, [name], ui.translator.zone)
        typed = _typed(posted, name)
        picked = compiled.entity.fields[name].type in PICKED_TYPES
        try:
            api.update(ui.call, compiled, ident, data, version)
        except ConflictError as exc:
            current = api.read(ui.call, compiled, ident).record
            shown = presenter(services, ui)
            shown.load_titles(compiled.entity, [current], [name])
            theirs = shown.cell(compiled.entity, current, name).text
            draft = {**current, name: data.get(name)}
            if picked:  # the chosen records' titles, the options' labels
                shown.load_titles(compiled.entity, [draft], [name])
                typed = shown.cell(compiled.entity, draft, name).text
            conflict = {"message": str(exc), "theirs": theirs, "yours": typed}
            now = current.get("version")
            kw = {"typed": typed, "conflict": conflict, "version": now, "draft": draft}
            return fragment(request, ui, compiled, current, name, editing=True, status=409, **kw)
        except RecordError as exc:
            record = api.read(ui.call, compiled, ident).record
            errors = exc.body().get("errors") or {"__all__": [str(exc)]}
            messages = [m for ms in errors.values() for m in ms]
            draft = {**record, name: data.get(name)}
            kw = {"typed": typed, "messages": messages, "version": version, "draft": draft}
            status = exc.status
            return fragment(request, ui, compiled, record, name, editing=True, status=status, **kw)
        record = api.read(ui.call, compiled, ident).record
        response = fragment(request, ui, compiled, record, name, editing=False, saved=True)
        response.headers["HX-Trigger"] = "record-saved"  # the stage bar redraws at the new version
        return response

    return [editor, save]


__all__ = ["inline_routes"]
