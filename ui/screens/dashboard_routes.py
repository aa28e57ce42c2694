"""Dashboard screens: ``/t/{t}/dashboards`` (the index) and ``/t/{t}/dashboards/{name}``.

Tiles are computed in SQL through the caller's access (record scope, hidden fields,
readable entities) and drawn as server-side SVG with a data table beside each chart.
A dashboard none of whose tiles the caller may read is not listed and answers 404.
``?as_of=`` (RFC 3339) computes the tiles over the records as they were then.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model import NUMBER_KINDS
from trellis.platform.dashboards import compute_dashboard, readable_dashboards
from trellis.platform.services.history import parse_as_of
from trellis.rules.expr import EvalContext
from trellis.ui.screens.dashboard_view import tile_view
from trellis.ui.screens.web import UiServices, not_found, page, signed_in


def dashboard_routes(services: UiServices) -> list[Any]:
    """Route handlers of the dashboard index and dashboard pages."""
    runtime = services.runtime

    @get("/t/{tenant:str}/dashboards", sync_to_thread=True)
    def dashboards_index(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        boards = readable_dashboards(ui.call.access)
        return page(request, ui, "dashboards.html", {"dashboards": boards})

    @get("/t/{tenant:str}/dashboards/{name:str}", sync_to_thread=True)
    def dashboard_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], name: FromPath[str]
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        boards = {d.name: d for d in readable_dashboards(ui.call.access)}
        dashboard = boards.get(name)
        if dashboard is None:
            raise not_found(f"No dashboard '{name}'.")
        as_of = request.query_params.get("as_of") or None
        at = parse_as_of(as_of) if as_of is not None else None
        # As of a moment, ``today()`` in a tile's filter and rate days are that moment's.
        now = at if at is not None else runtime.clock.now()
        ectx = EvalContext(now=now, user_id=ui.call.identity.user_id)
        names = services.members.names(tenant)
        with runtime.engines.tenant_connection(tenant) as conn:
            tiles = compute_dashboard(
                conn, ui.call.access, dashboard, ectx, user_names=names, at=at
            )
        model = ui.call.app.model
        views = [tile_view(model, data, i, ui.translator) for i, data in enumerate(tiles)]
        ctx = {
            "dashboard": dashboard,
            "kpis": [v for v in views if v.kind in NUMBER_KINDS],
            "charts": [v for v in views if v.kind not in NUMBER_KINDS],
            "dashboards": list(boards.values()),
            "as_of": as_of,
        }
        return page(request, ui, "dashboard.html", ctx)

    return [dashboards_index, dashboard_page]


__all__ = ["dashboard_routes"]
