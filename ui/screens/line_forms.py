"""``lines`` fields on screens: the editable table of a form, the table of a detail page.

A form posts each line as ``<field>-<key>-<column>`` inputs (``items-r0-quantity``),
its stored id as ``<field>-<key>-id`` and a "remove" checkbox as
``<field>-<key>-remove``; rows are read in the order the browser sends them. The
"Add line" button fetches one empty row from the server (htmx), whose key is new.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model import EntityDef, FieldDef
from trellis.platform.authz.call import Call
from trellis.platform.i18n import Translatable
from trellis.platform.records.errors import NotFoundError
from trellis.platform.records.lines import LineField, line_fields
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.forms import form_value
from trellis.ui.screens.present import Cell, Presenter
from trellis.ui.screens.web import UiServices, page, signed_in

_INPUT = re.compile(
    r"^(?P<lines>[a-z][a-z0-9_]*)-(?P<key>[a-z0-9]{1,16})-(?P<col>[a-z][a-z0-9_]*)$"
)


@dataclass(slots=True)
class LineRow:
    """One line of the form's table: its input key, stored id, values and errors."""

    key: str
    id: int | None
    values: Mapping[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class LineTable:
    """One ``lines`` field on a screen."""

    name: str
    label: str
    entity: str
    #: Columns a user fills (form) or reads (detail).
    inputs: list[FieldDef]
    computed: list[FieldDef]
    rows: list[LineRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Detail pages: each line's cells, and the parent's totals over the lines.
    cells: list[tuple[int, list[Cell]]] = field(default_factory=list)
    totals: list[Cell] = field(default_factory=list)


def _columns(call: Call, line: LineField) -> tuple[list[FieldDef], list[FieldDef]]:
    """The columns a user fills and the computed ones, without those their role hides
    (read-only ones are shown, not filled)."""
    roles = call.access.roles.entities
    access = roles.get(line.child.name)
    hidden = set(access.hidden) if access is not None else set()
    locked = set(access.read_only) if access is not None else set()
    fields = [
        f
        for f in line.child.entity.fields.values()
        if f.name != line.parent_field and f.name not in hidden
    ]
    shown = [f for f in fields if f.type not in ("file", "many_to_many", "json")]
    inputs = [f for f in shown if not f.computed and f.name not in locked]
    return inputs, [f for f in shown if f.computed or f.name in locked]


def posted_lines(
    call: Call, entity: EntityDef, posted: Mapping[str, Sequence[str]]
) -> dict[str, list[dict[str, Any]]]:
    """The lines of every lines field the form showed (``<field>-present``), in order.

    Rows marked "remove" and new rows left blank are left out.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for line in line_fields(call.app, entity):
        name = line.lines.name
        if f"{name}-present" not in posted:
            continue
        inputs, _ = _columns(call, line)
        keys = dict.fromkeys(
            m["key"] for k in posted if (m := _INPUT.match(k)) and m["lines"] == name
        )
        rows: list[dict[str, Any]] = []
        for key in keys:
            if any(v in ("on", "1") for v in posted.get(f"{name}-{key}-remove", ())):
                continue
            values = {
                f.name: form_value(f, posted.get(f"{name}-{key}-{f.name}", []))
                for f in inputs
                if f"{name}-{key}-{f.name}" in posted or f.type == "boolean"
            }
            ident = (posted.get(f"{name}-{key}-id") or [""])[-1]
            if ident.isdigit():
                rows.append({"id": int(ident), **values})
            elif any(v not in (None, False, [], "") for v in values.values()):
                rows.append(values)
        out[name] = rows
    return out


def form_tables(
    call: Call, entity: EntityDef, record: Mapping[str, Any], errors: Mapping[str, Any]
) -> list[LineTable]:
    """The editable tables of a form, with the lines as stored or as sent and their errors."""
    tables = []
    for line in line_fields(call.app, entity):
        name = line.lines.name
        inputs, computed = _columns(call, line)
        table = LineTable(name, str(line.lines.label), line.child.name, inputs, computed)
        table.errors = [str(m) for m in errors.get(name, ())]
        for i, value in enumerate(record.get(name) or ()):
            ident = value.get("id") if isinstance(value, Mapping) else None
            row = LineRow(f"r{i}", ident if isinstance(ident, int) else None, value)
            for key, messages in errors.items():
                prefix = f"{name}[{i}]"
                if key == prefix or key.startswith(prefix + "."):
                    row.errors[key[len(prefix) + 1 :] or "__all__"] = " ".join(map(str, messages))
            table.rows.append(row)
        if not table.rows and not record.get("id"):  # a new record starts with one empty line
            table.rows.append(LineRow("r0", None, {}))
        tables.append(table)
    return tables


def detail_tables(
    call: Call, entity: EntityDef, record: Mapping[str, Any], shown: Presenter
) -> list[LineTable]:
    """The tables of a detail page: each line's cells, and the parent's totals under them."""
    tables = []
    for line in line_fields(call.app, entity):
        inputs, computed = _columns(call, line)
        columns = [f.name for f in (*inputs, *computed)]
        table = LineTable(line.lines.name, str(line.lines.label), line.child.name, inputs, computed)
        items = list(record.get(line.lines.name) or ())
        shown.load_titles(line.child.entity, items, columns)
        table.cells = [(int(i["id"]), shown.row(line.child.entity, i, columns)) for i in items]
        totals = [
            f.name
            for f in entity.fields.values()
            if f.rollup is not None and f.rollup.entity == line.child.name
        ]
        table.totals = [shown.cell(entity, record, n) for n in totals]
        tables.append(table)
    return tables


def line_row_handlers(services: UiServices) -> list[Any]:
    """The route that answers one empty row of a form's lines table."""

    @get("/t/{tenant:str}/e/{entity:str}/_line_row", sync_to_thread=True)
    def line_row(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        wanted = request.query_params.get("field", "")
        tables = form_tables(ui.call, target.entity, {}, {})
        table = next((t for t in tables if t.name == wanted), None)
        if table is None:
            raise NotFoundError(
                Translatable(
                    "%(entity)s has no lines field '%(name)s'.", entity=entity, name=wanted
                )
            )
        row = LineRow(f"n{secrets.token_hex(4)}", None, {})
        return page(request, ui, "_line_row.html", {"table": table, "row": row})

    return [line_row]


__all__ = [
    "LineRow",
    "LineTable",
    "detail_tables",
    "form_tables",
    "line_row_handlers",
    "posted_lines",
]
