"""The list screen's data: columns, filters, sort, one keyset page, counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.runtime import Runtime
from trellis.platform.services import ListArgs
from trellis.platform.services.list_totals import summable
from trellis.ui.screens.badges import SlaBadge, sla_badges
from trellis.ui.screens.forms import (
    OPERATOR_LABELS,
    OPERATORS,
    filter_expression,
    search_expression,
)
from trellis.ui.screens.layouts import Screens
from trellis.ui.screens.list_extras import (
    MAX_COLUMNS,
    chooser_options,
    chosen_columns,
    quick_defaults,
    quick_fields,
)
from trellis.ui.screens.present import Cell, Presenter, localized_label, shown_columns
from trellis.ui.screens.web import UiCall

MAX_BUILDER_ROWS = 5


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the user asked the list for (all of it lives in the URL)."""

    q: str = ""
    sort: str = ""
    filter: str = ""
    rows: tuple[tuple[str, str, str], ...] = ()
    cursor: str = ""
    #: Chosen columns, in order (empty: the layout's).
    cols: tuple[str, ...] = ()
    #: The id of the saved view the list was opened from ("" none).
    view: str = ""

    @classmethod
    def from_params(
        cls, params: Mapping[str, str], multi: Mapping[str, Sequence[str]]
    ) -> ListQuery:
        """Read the query string (builder rows come as repeated f/op/v parameters)."""
        fields, ops, values = multi.get("f", []), multi.get("op", []), multi.get("v", [])
        rows = tuple(
            (fields[i], ops[i] if i < len(ops) else "eq", values[i] if i < len(values) else "")
            for i in range(min(len(fields), MAX_BUILDER_ROWS))
        )
        return cls(
            q=params.get("q", ""),
            sort=params.get("sort", ""),
            filter=params.get("filter", ""),
            rows=rows,
            cursor=params.get("cursor", ""),
            cols=tuple(c for c in multi.get("col", [])[:MAX_COLUMNS] if c),
            view=view if (view := params.get("view", "")).isdigit() else "",
        )

    def params(self, **changes: str) -> str:
        """The query string of this list with some parameters changed."""
        values: list[tuple[str, str]] = []
        current = {"q": self.q, "sort": self.sort, "filter": self.filter, **changes}
        values.extend((k, v) for k, v in current.items() if v)
        for f, op, v in self.rows:
            values.extend((("f", f), ("op", op), ("v", v)))
        values.extend(("col", c) for c in self.cols)
        if self.view:
            values.append(("view", self.view))
        return urlencode(values)

    def without_columns(self) -> str:
        """The query string of this list with the layout's columns."""
        return replace(self, cols=()).params()


@dataclass(slots=True)
class ListPageView:
    """Everything the list template shows."""

    columns: list[tuple[str, str, str]]  # name, label, sort link query ("" unsortable)
    rows: list[tuple[int, list[Cell]]]
    count: int
    count_exact: bool
    next_query: str | None
    expression: str | None
    error: str | None = None
    error_fields: dict[str, list[str]] = field(default_factory=dict)
    #: Money columns with a total (the page loads the totals row after the rows).
    totals: list[str] = field(default_factory=list)
    #: (name, label, shown) of every column the chooser offers.
    chooser: list[tuple[str, str, bool]] = field(default_factory=list)
    #: Fields the quick-create row asks for ([]: no row).
    quick: list[str] = field(default_factory=list)
    #: The quick-create row's starting values (the fields' defaults).
    quick_defaults: dict[str, Any] = field(default_factory=dict)
    #: SLA badges by record id (entities with an SLA), shown in each row's first cell.
    sla: dict[int, SlaBadge] = field(default_factory=dict)


def combined_filter(entity: CompiledEntity, query: ListQuery) -> str | None:
    """The rule-language filter sent to the server: search AND builder AND typed filter."""
    parts = [
        search_expression(entity.entity, query.q),
        filter_expression(entity.entity, query.rows),
        query.filter.strip() or None,
    ]
    present = [f"({p})" for p in parts if p]
    return " and ".join(present) if present else None


def own_errors(
    ui: UiCall, entity: CompiledEntity, query: ListQuery, presenter: Presenter
) -> dict[str, list[str]] | None:
    """The errors of the first part of the filter that fails on its own.

    Positions then count in the text the user typed (or the builder's expression),
    not in the combined expression sent to the server.
    """
    parts = (
        query.filter.strip(),
        filter_expression(entity.entity, query.rows),
        search_expression(entity.entity, query.q),
    )
    for part in parts:
        if not part:
            continue
        try:
            presenter.records.page(ui.call, entity, ListArgs.of({"filter": part, "limit": "1"}))
        except RecordError as exc:
            errors: dict[str, list[str]] = exc.body()["errors"]
            return errors
    return None


def build_list(
    ui: UiCall,
    entity: CompiledEntity,
    screens: Screens,
    query: ListQuery,
    presenter: Presenter,
    *,
    limit: int = 50,
    runtime: Runtime | None = None,
) -> ListPageView:
    """Fetch one page through the API (same scope, validation and errors) and format it."""
    access = ui.call.access.entity(entity.name)
    columns = chosen_columns(ui, entity, query.cols) or shown_columns(
        ui.call, entity.name, screens.list_columns
    )
    sort = query.sort or screens.list_sort or "-id"
    expression = combined_filter(entity, query)
    params = {"sort": sort, "limit": str(limit)}
    if expression:
        params["filter"] = expression
    if query.cursor:
        params["cursor"] = query.cursor
    header = []
    for name in columns:
        next_sort = f"-{name}" if sort == name else name
        link = "" if name in access.restricted else query.params(sort=next_sort)
        header.append((name, localized_label(entity.entity, name, presenter.t), link))
    try:
        body = presenter.records.page(ui.call, entity, ListArgs.of(params)).as_json()
    except RecordError as exc:
        errors = own_errors(ui, entity, query, presenter) or exc.body()["errors"]
        message = "; ".join(m for ms in errors.values() for m in ms)
        return ListPageView(header, [], 0, True, None, expression, message, errors)
    extras: dict[str, Any] = {}
    if not query.cursor:  # the first page: what "Load more" appends to has these already
        extras["totals"] = summable(ui.call, entity, columns)
        extras["chooser"] = chooser_options(ui, entity, columns)
        extras["quick"] = quick = quick_fields(ui, entity, columns)
        extras["quick_defaults"] = quick_defaults(presenter.records, ui, entity, quick)
    items = body["items"]
    presenter.load_titles(entity.entity, items, columns)
    rows = [(int(item["id"]), presenter.row(entity.entity, item, columns)) for item in items]
    if runtime is not None:
        extras["sla"] = sla_badges(runtime, ui.call, presenter.t, entity.name, items)
    next_query = None
    if body["next_cursor"]:
        next_query = query.params(sort=query.sort, cursor=body["next_cursor"])
    return ListPageView(
        header, rows, body["count"], body["count_exact"], next_query, expression, **extras
    )


def builder_choices(entity: CompiledEntity, ui: UiCall) -> dict[str, Any]:
    """Fields and operators offered by the filter builder (hidden fields left out)."""
    visible = ui.call.access.entity(entity.name).columns
    t = ui.translator
    fields = [(n, localized_label(entity.entity, n, t)) for n in visible if n != "deleted_at"]
    operators = [(o, t.gettext(OPERATOR_LABELS.get(o, o))) for o in OPERATORS]
    return {"fields": fields, "operators": operators}


__all__ = [
    "ListPageView",
    "ListQuery",
    "build_list",
    "builder_choices",
    "combined_filter",
    "own_errors",
]
