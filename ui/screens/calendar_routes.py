"""The calendar screen: ``/t/{t}/calendar?view=month|week&date=YYYY-MM-DD``.

Shows the calendar entity's records (activities in the CRM) on a month grid or a
week, with previous, next and today links; each item links to its record. Days, weeks
and times are the reader's (their zone and locale: ``calendar_span``). A bad
``view`` or ``date`` answers 400 with the reason; an entity the caller may not read,
403; an app without a dated entity, 404.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.ui.screens.calendar_span import (
    local_moment,
    parse_day,
    parse_view,
    span_of,
    weekday_names,
)
from trellis.ui.screens.calendar_view import (
    MONTH_CELL_ITEMS,
    build_days,
    calendar_source,
    records_in,
)
from trellis.ui.screens.web import UiServices, not_found, page, signed_in


def calendar_routes(services: UiServices) -> list[Any]:
    """Route handlers of the calendar."""

    @get("/t/{tenant:str}/calendar", sync_to_thread=True)
    def calendar_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        params = request.query_params
        t = ui.translator
        today = local_moment(services.runtime.clock.now(), t.zone).date()
        view = parse_view(params.get("view"))
        span = span_of(view, parse_day(params.get("date"), today), t)
        model = ui.call.app.model
        source = calendar_source(model)
        if source is None:
            raise not_found(
                t.gettext("No entity of this organisation has a date to show on a calendar.")
            )
        records = records_in(services.records, ui, source, span)
        days = build_days(records, source, span, tenant=tenant, today=today, t=t, model=model)
        ctx = {
            "view": view,
            "span": span,
            "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
            "weekdays": weekday_names(t.locale),
            "source": source,
            "today": today,
            "cell_items": MONTH_CELL_ITEMS if view == "month" else None,
            "count": sum(len(d.items) for d in days),
            "can_create": ui.call.access.can(source.entity.name, "create"),
        }
        return page(request, ui, "calendar.html", ctx)

    return [calendar_page]


__all__ = ["calendar_routes"]
