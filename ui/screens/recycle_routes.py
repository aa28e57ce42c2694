"""The recycle bin screen of an entity: deleted records with Restore (and Purge) buttons.

``/t/{t}/e/{entity}/deleted`` lists what the member may restore (the ``delete`` action
and their record scope, like ``GET …/_deleted``), most recently deleted first; Restore
runs the same restore as the API (validations, rollups, the cascade) and explains a
refusal in the flash message; Purge shows for roles with the ``purge`` action.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.i18n import Translator
from trellis.platform.records.errors import RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.layouts import title_field
from trellis.ui.screens.web import UiServices, page, redirect, signed_in

Req = Request[Any, Any, Any]


def _refusal(exc: RecordError, t: Translator) -> str:
    """One sentence from a refused restore: the fields and their messages."""
    errors = [(k, " ".join(t.message(x) for x in m)) for k, m in exc.errors.items()]
    parts = [text if k == "__all__" else f"{k}: {text}" for k, text in errors]
    return " ".join(parts) or t.message(exc.message)


def recycle_routes(services: UiServices) -> list[Any]:
    """Route handlers of the recycle bin screens."""
    bin_service = services.app.recycle_bin

    @get("/t/{tenant:str}/e/{entity:str}/deleted", sync_to_thread=True)
    def recycle_bin(request: Req, tenant: FromPath[str], entity: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        cursor = request.query_params.get("cursor")
        deleted = bin_service.deleted(ui.call, target, None, cursor)
        title = title_field(target.entity)
        names = services.members.names(tenant)
        items = [
            {
                "id": r["id"],
                "title": str(r.get(title) or f"#{r['id']}") if title else f"#{r['id']}",
                "deleted_at": str(r["deleted_at"]),
                "deleted_at_text": str(r["deleted_at"]).replace("T", " ")[:16],
                "deleted_by": names.get(r.get("updated_by") or 0, ""),
                "merged_into": r.get("merged_into"),
            }
            for r in deleted.items
        ]
        ctx = {
            "entity": target.entity,
            "items": items,
            "next_cursor": deleted.next_cursor,
            "can_purge": ui.call.access.can(entity, "purge"),
        }
        return page(request, ui, "recycle_bin.html", ctx)

    @post("/t/{tenant:str}/e/{entity:str}/{record_id:str}/restore", sync_to_thread=True)
    def restore(
        request: Req, tenant: FromPath[str], entity: FromPath[str], record_id: FromPath[str]
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        ident = parse_id(entity, record_id)
        label = target.entity.label
        try:
            bin_service.restore(ui.call, target, ident)
        except RecordError as exc:
            if exc.status in (404, 403):
                raise
            flash = ui.translator.gettext(
                "%(label)s %(id)s was not restored: %(reason)s",
                label=label,
                id=ident,
                reason=_refusal(exc, ui.translator),
            )
            return redirect(request, f"/t/{tenant}/e/{entity}/deleted", flash=flash)
        return redirect(
            request,
            f"/t/{tenant}/e/{entity}/{ident}",
            flash=ui.translator.gettext("%(label)s restored.", label=label),
        )

    @post("/t/{tenant:str}/e/{entity:str}/{record_id:str}/purge", sync_to_thread=True)
    def purge(
        request: Req, tenant: FromPath[str], entity: FromPath[str], record_id: FromPath[str]
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        ident = parse_id(entity, record_id)
        purged = bin_service.purge(ui.call, target, ident)
        t, label = ui.translator, target.entity.label
        if purged.taken:
            flash = t.gettext(
                "%(label)s %(id)s deleted for good with %(count)s records deleted with it.",
                label=label,
                id=ident,
                count=len(purged.taken),
            )
        else:
            flash = t.gettext("%(label)s %(id)s deleted for good.", label=label, id=ident)
        return redirect(request, f"/t/{tenant}/e/{entity}/deleted", flash=flash)

    return [recycle_bin, restore, purge]


__all__ = ["recycle_routes"]
