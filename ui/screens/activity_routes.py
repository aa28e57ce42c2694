"""Comments and the activity timeline of a record (the side column of the detail page).

``POST /t/{t}/e/{entity}/{id}/comments`` posts a comment (htmx swaps the whole
activity panel; a plain form post goes back to the record with a flash message);
``GET /t/{t}/e/{entity}/{id}/activity?cursor=&limit=`` answers the next page of the
timeline as a fragment. Both need read access to the record (404 outside scope).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.activity import CommentError, Position, PostedComment, TimelineError
from trellis.platform.activity import post_comment as store_comment
from trellis.platform.activity.mentions import tenant_members
from trellis.platform.activity.timeline import page_size
from trellis.platform.i18n import Translator
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.layouts import title_field
from trellis.ui.screens.timeline_view import build_timeline
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    is_htmx,
    page,
    redirect,
    signed_in,
)

#: Members offered in the comment form's "Mention…" menu.
MENTION_CHOICES = 200


def _title(target: CompiledEntity, record: dict[str, Any]) -> str:
    name = title_field(target.entity)
    return str(record.get(name) or f"#{record['id']}") if name else f"#{record['id']}"


def outcome_message(posted: PostedComment, t: Translator | None = None) -> str:
    """What the commenter is told after posting, in ``t``'s language (else English)."""
    t = t or Translator()
    parts = [t.gettext("Comment posted.")]
    if posted.notified:
        names = ", ".join(m.name for m in posted.notified)
        parts.append(t.gettext("Notified: %(names)s.", names=names))
    if posted.cannot_read:
        names = ", ".join(m.name for m in posted.cannot_read)
        parts.append(t.gettext("Not notified (cannot see this record): %(names)s.", names=names))
    if posted.unresolved:
        tokens = ", ".join("@" + name for name in posted.unresolved)
        parts.append(t.gettext("No single member matches %(tokens)s.", tokens=tokens))
    return " ".join(parts)


def activity_context(
    services: UiServices, ui: UiCall, target: CompiledEntity, record_id: int
) -> dict[str, Any]:
    """The detail page's activity panel: first timeline page and the comment form."""
    return {
        "timeline": build_timeline(services, ui, target, record_id),
        "comment_url": f"/t/{ui.tenant}/e/{target.name}/{record_id}/comments",
        "comment_text": "",
        "comment_error": None,
        "comment_message": None,
        "mentionable": tenant_members(services.runtime.registry, ui.tenant)[:MENTION_CHOICES],
    }


def activity_routes(services: UiServices) -> list[Any]:
    """Route handlers of comments and the timeline."""
    api = services.records

    def load(
        request: Request[Any, Any, Any], tenant: str, entity: str, record_id: str
    ) -> tuple[UiCall, CompiledEntity, dict[str, Any]]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        record = api.read(ui.call, target, parse_id(entity, record_id)).record
        return ui, target, record

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/comments",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def post_comment(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target, record = load(request, tenant, entity, record_id)
        ident = int(record["id"])
        text = str(form.get("body") or "")
        detail_url = f"/t/{tenant}/e/{entity}/{ident}"
        try:
            posted = store_comment(
                services.app, ui.call, target, ident, text, title=_title(target, record)
            )
        except CommentError as exc:
            if not is_htmx(request):
                return redirect(request, detail_url, flash=str(exc))
            ctx = activity_context(services, ui, target, ident)
            ctx.update(comment_text=text, comment_error=str(exc))
            return page(request, ui, "_activity.html", ctx, status=422)
        message = outcome_message(posted, ui.translator)
        if not is_htmx(request):
            return redirect(request, detail_url, flash=message)
        ctx = activity_context(services, ui, target, ident)
        ctx["comment_message"] = message
        return page(request, ui, "_activity.html", ctx)

    @get("/t/{tenant:str}/e/{entity:str}/{record_id:str}/activity", sync_to_thread=True)
    def timeline_page(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[Any]:
        ui, target, record = load(request, tenant, entity, record_id)
        ident = int(record["id"])
        params = request.query_params
        try:
            limit = page_size(params.get("limit"))
            cursor = params.get("cursor")
            before = Position.parse(cursor) if cursor else None
        except TimelineError as exc:
            raise BadRequestError(str(exc)) from None
        view = build_timeline(services, ui, target, ident, before=before, limit=limit)
        return page(request, ui, "_timeline_page.html", {"timeline": view})

    return [post_comment, timeline_page]


__all__ = ["activity_context", "activity_routes", "outcome_message"]
