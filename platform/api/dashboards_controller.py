"""Dashboard routes: ``GET /t/{t}/api/_dashboards`` and ``…/_dashboards/{name}``.

Tiles are computed as the dashboard screen computes them, through the caller's access
(record scope, hidden fields, readable entities); ``?as_of=`` (RFC 3339) computes them
over the records as they were then, from their field history. A dashboard none of
whose tiles the caller may read is not listed and answers 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import AppServices, Caller
from trellis.platform.dashboards import TileData, compute_dashboard, readable_dashboards
from trellis.platform.records.errors import NotFoundError
from trellis.platform.records.values import to_json
from trellis.platform.services.history import parse_as_of
from trellis.rules.expr import EvalContext


def _number(value: Any) -> str | None:
    return None if value is None else str(value)


def tile_json(data: TileData) -> dict[str, Any]:
    """A computed tile as the API answers it (numbers as decimal strings)."""
    tile = data.tile
    return {
        "kind": tile.kind,
        "label": tile.label,
        "entity": tile.entity,
        "agg": tile.agg,
        "field": tile.field,
        "group_by": tile.group_by,
        "unavailable": data.unavailable,
        "value": _number(data.value),
        "groups": [
            {"key": to_json(g.key, None), "label": g.label, "value": _number(g.value)}
            for g in data.groups
        ],
        "currency": data.currency,
        "missing_rates": [
            {"currency": m.currency, "date": m.day.isoformat(), "message": m.sentence()}
            for m in data.missing
        ],
        "compare": tile_json(data.compare) if data.compare is not None else None,
    }


class DashboardsController(Controller):
    """The caller's dashboards and their tiles (also ``as_of`` a past moment)."""

    path = "/_dashboards"

    @get("/", sync_to_thread=True)
    def list_dashboards(self, call: Caller) -> dict[str, Any]:
        items = [
            {"name": d.name, "label": d.label, "description": d.description}
            for d in readable_dashboards(call.access)
        ]
        return {"items": items}

    @get("/{name:str}", sync_to_thread=True)
    def dashboard_tiles(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        call: Caller,
        name: FromPath[str],
    ) -> dict[str, Any]:
        as_of = request.query_params.get("as_of")
        at = parse_as_of(as_of) if as_of is not None else None
        boards = {d.name: d for d in readable_dashboards(call.access)}
        dashboard = boards.get(name)
        if dashboard is None:
            raise NotFoundError(Translatable("No dashboard '%(name)s'.", name=name))
        runtime = services.runtime
        # As of a moment, ``today()`` in a tile's filter and rate days are that moment's.
        now: datetime = at if at is not None else runtime.clock.now()
        ectx = EvalContext(now=now, user_id=call.identity.user_id)
        with runtime.engines.tenant_connection(call.tenant) as conn:
            tiles = compute_dashboard(conn, call.access, dashboard, ectx, at=at)
        body = {
            "dashboard": dashboard.name,
            "label": dashboard.label,
            "as_of": to_json(at, None),
            "tiles": [tile_json(t) for t in tiles],
        }
        return body


__all__ = ["DashboardsController", "tile_json"]
