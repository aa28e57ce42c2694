"""The global search page and the export of a list view.

``GET /t/{t}/search?q=`` lists the records matching every word, grouped by entity,
best first with a highlighted snippet (docs/search.md),
through ``ReadsService.search`` (readable entities only, record scope, hidden fields
never searched). ``GET /t/{t}/e/{entity}/export?format=csv|xlsx|json&<list query>``
streams the records of the current list view as they are read (``streamed_export``:
the ``export`` permission, scope and hidden fields apply, and the export is audited).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import Stream
from markupsafe import Markup

from trellis.platform.exports.http import streamed_export
from trellis.platform.records.errors import RecordError
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.board_routes import error_text, query_of
from trellis.ui.screens.list_view import combined_filter
from trellis.ui.screens.web import UiCall, UiServices, page, signed_in

#: Most records the search page shows.
SEARCH_LIMIT = "100"


def explain(exc: RecordError) -> str:
    """The refusal's sentence followed by its details (a filter error's position …)."""
    details = error_text(exc)
    return details if exc.message in details else f"{exc.message} {details}"


def _grouped(ui: UiCall, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hits grouped by entity, in the order of the navigation."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(str(item["entity"]), []).append(item)
    entities = ui.call.app.entities
    return [
        {"entity": name, "label": entities[name].entity.plural_label, "hits": groups[name]}
        for name in entities
        if name in groups
    ]


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    """A hit for the page: its snippet is already escaped HTML with ``<mark>`` tags."""
    snippet = item.get("snippet")
    return {**item, "snippet": Markup(snippet) if snippet else None}


def search_routes(services: UiServices) -> list[Any]:
    """Route handlers of the search page and list exports."""
    api = services.reads

    @get("/t/{tenant:str}/search", sync_to_thread=True)
    def search_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        q = request.query_params.get("q", "")
        ctx: dict[str, Any] = {"search_q": q, "groups": [], "count": 0, "error": None}
        if not q.strip():
            return page(request, ui, "search.html", ctx)
        try:
            items = [_shown(h.as_json()) for h in api.search(ui.call, q, SEARCH_LIMIT)]
        except RecordError as exc:
            ctx["error"] = explain(exc)
            return page(request, ui, "search.html", ctx, status=exc.status)
        ctx.update(groups=_grouped(ui, items), count=len(items))
        return page(request, ui, "search.html", ctx)

    @get("/t/{tenant:str}/e/{entity:str}/export", sync_to_thread=True)
    def export(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any] | Stream:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        params = request.query_params
        expression = combined_filter(target, query_of(request))
        try:
            return streamed_export(
                api.runtime, ui.call, target, params.get("format"), expression,
                params.get("fields") or None,
            )  # fmt: skip
        except RecordError as exc:
            context = {"status": exc.status, "message": explain(exc), "tenant": tenant}
            return page(request, None, "error.html", context, status=exc.status)

    return [search_page, export]


__all__ = ["search_routes"]
