"""The list screen's extras: chosen columns, money totals and the quick-create row.

Columns come from the URL (``col`` repeated, in order); names the caller may not
read are dropped silently (a hidden field is not revealed), and an empty choice
falls back to the layout's columns. Totals are shown for the money columns the
caller may read in full. The quick-create row asks for the required fields that
are on the list, and is offered only when they are all the form needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trellis.metadata.model import FieldType
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.values import coerce_computed, to_json
from trellis.platform.services.list_totals import MoneyTotal
from trellis.platform.services.records import RecordsService
from trellis.ui.screens.layouts import editable
from trellis.ui.screens.money_text import total_currency
from trellis.ui.screens.present import localized_label
from trellis.ui.screens.web import UiCall

MAX_COLUMNS = 40
#: Types the quick-create row can ask for in one cell.
QUICK_TYPES = frozenset(
    {
        FieldType.STRING,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.INTEGER,
        FieldType.DECIMAL,
        FieldType.MONEY,
        FieldType.PERCENT,
        FieldType.DATE,
        FieldType.ENUM,
        FieldType.PIPELINE,
        FieldType.REFERENCE,
        FieldType.BOOLEAN,
    }
)


@dataclass(frozen=True, slots=True)
class TotalCell:
    """A money column's total as shown, and what it leaves out (empty: nothing)."""

    text: str
    missing: str = ""


def choosable(ui: UiCall, entity: CompiledEntity) -> list[str]:
    """Every column the caller may show: readable ones and restricted rollups."""
    access = ui.call.access.entity(entity.name)
    names = [n for n in access.columns if n != "deleted_at"]
    return names + sorted(n for n in access.restricted if n not in names)


def chosen_columns(ui: UiCall, entity: CompiledEntity, chosen: Sequence[str]) -> list[str]:
    """The choosable names of ``chosen``, in order and once each."""
    allowed = set(choosable(ui, entity))
    out: list[str] = []
    for name in chosen[:MAX_COLUMNS]:
        if name in allowed and name not in out:
            out.append(name)
    return out


def chooser_options(
    ui: UiCall, entity: CompiledEntity, shown: Sequence[str]
) -> list[tuple[str, str, bool]]:
    """(name, label, shown) of every choosable column: the shown ones first, in order."""
    t = ui.translator
    rest = [n for n in choosable(ui, entity) if n not in shown]
    return [(n, localized_label(entity.entity, n, t), n in shown) for n in [*shown, *rest]]


def total_cells(
    ui: UiCall, entity: CompiledEntity, totals: dict[str, MoneyTotal]
) -> dict[str, TotalCell]:
    """Each total formatted in the reader's language, with the rates it lacks."""
    t = ui.translator
    model = ui.call.app.model
    cells = {}
    for name, total in totals.items():
        currency = total.currency or total_currency(model, entity.entity, name)
        missing = "; ".join(t.message(m.sentence()) for m in total.missing)
        cells[name] = TotalCell(t.money(total.total, currency), missing)
    return cells


def quick_fields(ui: UiCall, entity: CompiledEntity, columns: Sequence[str]) -> list[str]:
    """The required fields on the list the quick-create row asks for ([]: no row).

    Empty when the caller may not create, or when a required field without a
    default is not on the list or not typed in one cell.
    """
    access = ui.call.access
    if not access.can(entity.name, "create"):
        return []
    writable = access.entity(entity.name)
    fields = entity.entity.fields
    asked = []
    for name, f in fields.items():
        if not f.required or not editable(f) or name in writable.hidden:
            continue
        on_list = name in columns and f.type in QUICK_TYPES and name not in writable.read_only
        if on_list:
            asked.append(name)
        elif name not in entity.defaults:
            return []
    return [n for n in columns if n in asked]


def quick_defaults(
    api: RecordsService, ui: UiCall, entity: CompiledEntity, names: Sequence[str]
) -> dict[str, Any]:
    """The ``default:`` values of the quick-create row's fields, as a new form has them."""
    ectx = api.eval_context(ui.call)
    blank: dict[str, Any] = dict.fromkeys(entity.entity.fields)
    values: dict[str, Any] = {}
    for name in names:
        expression = entity.defaults.get(name)
        if expression is None:
            continue
        f = entity.entity.fields[name]
        try:
            values[name] = to_json(coerce_computed(f, expression.evaluate(blank, ectx)), f)
        except (ArithmeticError, ValueError, TypeError):
            continue  # the save reports it; the row just starts empty
    return values


__all__ = [
    "MAX_COLUMNS",
    "TotalCell",
    "choosable",
    "chooser_options",
    "chosen_columns",
    "quick_defaults",
    "quick_fields",
    "total_cells",
]
