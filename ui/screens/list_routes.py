"""The list screen's own requests: the quick-create row and the money totals.

``GET /t/{t}/e/{entity}/_totals?<list query>`` answers the totals row of the list
(the page loads it after the rows, so a sum over many records never delays them).
``POST /t/{t}/e/{entity}/_quick?<list query>`` is the quick-create row.

The row asks for the required fields on the list (see :func:`quick_fields`) and
saves through the records service's create, as the full form does (same policy,
validation, defaults, rules and audit). A created record answers 201 with its row
and a fresh quick-create row; a refused one answers the service's status (422, 409)
with the row keeping what was typed and each message next to its field.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError, RecordError
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.list_totals import money_totals
from trellis.ui.screens.forms import form_values
from trellis.ui.screens.layouts import screens_of
from trellis.ui.screens.list_extras import (
    chosen_columns,
    quick_defaults,
    quick_fields,
    total_cells,
)
from trellis.ui.screens.list_view import ListPageView, ListQuery, combined_filter
from trellis.ui.screens.present import Presenter, localized_label, shown_columns
from trellis.ui.screens.record_form import posted_multi, without_blank_defaults
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    page,
    signed_in,
)

QUICK = "/t/{tenant:str}/e/{entity:str}/_quick"
TOTALS = "/t/{tenant:str}/e/{entity:str}/_totals"


def _columns(ui: UiCall, target: CompiledEntity, query: ListQuery) -> list[str]:
    """The list's columns for ``query``: the chosen ones, else the layout's."""
    layout = screens_of(ui.call, target).list_columns
    return chosen_columns(ui, target, query.cols) or shown_columns(ui.call, target.name, layout)


def _query(request: Request[Any, Any, Any]) -> ListQuery:
    multi = {key: request.query_params.getall(key) for key in request.query_params}
    return ListQuery.from_params(request.query_params, multi)


def list_routes(services: UiServices) -> list[Any]:
    """Route handlers of the list's totals and quick-create row."""
    api = services.records

    @get(TOTALS, sync_to_thread=True)
    def totals(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        query = _query(request)
        columns = _columns(ui, target, query)
        sums = money_totals(api.runtime, ui.call, target, columns, combined_filter(target, query))
        ctx = {"columns": columns, "totals": total_cells(ui, target, sums)}
        return page(request, ui, "_list_totals.html", ctx)

    @post(QUICK, status_code=201, sync_to_thread=True, dependencies=POSTED_FORM)
    def quick_create(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        ui.call.access.require(entity, "create")
        multi = {key: request.query_params.getall(key) for key in request.query_params}
        query = ListQuery.from_params(request.query_params, multi)
        layout = screens_of(ui.call, target).list_columns
        columns = chosen_columns(ui, target, query.cols) or shown_columns(ui.call, entity, layout)
        quick = quick_fields(ui, target, columns)
        if not quick:
            raise BadRequestError(
                f"The list of {entity} has no quick-create row: add its required fields "
                "to the list or use the full form."
            )
        t = ui.translator
        header = [(n, localized_label(target.entity, n, t), "") for n in columns]
        view = ListPageView(header, [], 0, True, None, None, quick=quick)
        view.quick_defaults = quick_defaults(api, ui, target, quick)
        posted = posted_multi(form)
        values = form_values(target.entity, posted, quick, t.zone)
        names = services.members.names(tenant)
        shown = Presenter(api, ui.call, names, t)
        ctx: dict[str, Any] = {
            "entity": target.entity,
            "view": view,
            "query": query,
            "can_update": ui.call.access.can(entity, "update"),
        }
        try:
            created = api.create(ui.call, target, without_blank_defaults(target, values)).record
        except RecordError as exc:
            shown.load_titles(target.entity, [values], quick)
            titles = {n: shown.cell(target.entity, values, n).text for n in quick if values.get(n)}
            kept = {n: posted[n][-1] for n in quick if posted.get(n)}
            errors = exc.body().get("errors") or {"__all__": [str(exc)]}
            ctx |= {"quick_values": kept, "quick_titles": titles, "quick_errors": errors}
            return page(request, ui, "_list_quick_done.html", ctx, status=exc.status)
        shown.load_titles(target.entity, [created], columns)
        view.rows = [(int(created["id"]), shown.row(target.entity, created, columns))]
        done = t.gettext("%(label)s created.", label=t.label(target.entity.label))
        ctx |= {"created": done}
        return page(request, ui, "_list_quick_done.html", ctx, status=201)

    return [totals, quick_create]


__all__ = ["list_routes"]
