"""The kanban board's data: one column per stage, cards, counts and totals.

Columns come from the board field: the stages of a pipeline field in their declared
order (with won/lost marks), or the options of an enum field. Cards are fetched per
column through the API's list (same scope, hidden fields and filter errors as the
list screen); counts and totals come from :func:`column_totals`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from trellis.metadata.model import AppModel, FieldDef, FieldType
from trellis.platform.i18n import Translatable
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import NotFoundError, RecordError, ValidationFailedError
from trellis.platform.services import ListArgs
from trellis.platform.services.board import ColumnTotal, column_totals
from trellis.ui.screens.forms import quote_text
from trellis.ui.screens.layouts import Screens, title_field
from trellis.ui.screens.list_view import ListQuery, combined_filter, own_errors
from trellis.ui.screens.money_text import total_currency
from trellis.ui.screens.present import Cell, Presenter, shown_columns
from trellis.ui.screens.web import UiCall

#: Cards shown per column; the rest are counted and reachable through the list.
CARDS_PER_COLUMN = 50


@dataclass(frozen=True, slots=True)
class Stage:
    """One possible value of the board field."""

    name: str
    label: str
    won: bool = False
    lost: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """One record on the board."""

    id: int
    version: int
    title: str
    cells: list[Cell]


@dataclass(slots=True)
class Column:
    """One stage's column."""

    stage: Stage
    count: int = 0
    total: Decimal | None = None
    cards: list[Card] = field(default_factory=list)
    #: The total's currency (converted amounts, else the one the total field defaults to).
    currency: str | None = None
    #: Why the total is incomplete (amounts without an exchange rate left out).
    flag: str | None = None

    @property
    def more(self) -> int:
        """How many records of the column are not shown as cards."""
        return max(self.count - len(self.cards), 0)


@dataclass(slots=True)
class Board:
    """Everything the kanban template shows."""

    field: str
    field_label: str
    total_label: str | None
    stages: list[Stage]
    columns: list[Column]
    expression: str | None
    error: str | None = None


def stages_of(model: AppModel, f: FieldDef) -> list[Stage]:
    """The board columns of field ``f``: pipeline stages in order, or enum options."""
    if f.type == FieldType.PIPELINE and f.pipeline is not None:
        pipeline = model.pipelines.get(f.pipeline)
        if pipeline is not None:
            return [Stage(s.name, s.label, s.won, s.lost) for s in pipeline.stages]
    return [Stage(option, _option_label(f, option)) for option in f.options]


def _option_label(f: FieldDef, option: str) -> str:
    """A declared option label (maybe per locale), else the option made readable."""
    declared = f.option_labels.get(option)
    return declared if declared is not None else option.replace("_", " ").capitalize()


def board_field(ui: UiCall, entity: CompiledEntity, screens: Screens) -> FieldDef:
    """The field the board groups by.

    Raises:
        NotFoundError: the entity has no board field, or it is hidden from the caller.
    """
    name = screens.kanban_field
    if name is None or name not in ui.call.access.entity(entity.name).columns:
        raise NotFoundError(
            Translatable("%(entities)s have no kanban board.", entities=entity.entity.plural_label)
        )
    return entity.entity.fields[name]


def stage_filter(name: str, value: str) -> str:
    """The rule-language condition ``name == "value"``."""
    return f"{name} == {quote_text(value)}"


def check_stage(stages: list[Stage], value: str, label: str) -> str:
    """``value`` when it names a stage; raises ``ValidationFailedError`` otherwise."""
    if not value:
        raise ValidationFailedError({"stage": [Translatable("Choose the stage to move to.")]})
    names = [s.name for s in stages]
    if value not in names:
        choices = ", ".join(names)
        message = Translatable(
            "'%(value)s' is not a %(field)s; choose one of: %(choices)s.",
            value=value,
            field=label.lower(),
            choices=choices,
        )
        raise ValidationFailedError({"stage": [message]})
    return value


def build_board(
    ui: UiCall,
    entity: CompiledEntity,
    screens: Screens,
    query: ListQuery,
    presenter: Presenter,
) -> Board:
    """The board of ``entity`` for ``query``; a bad filter gives an empty board and its error."""
    f = board_field(ui, entity, screens)
    stages = stages_of(ui.call.app.model, f)
    visible = ui.call.access.entity(entity.name).columns
    total = screens.kanban_total if screens.kanban_total in visible else None
    total_def = entity.entity.fields.get(total) if total is not None else None
    total_label = total_def.label if total_def is not None else None
    board = Board(f.name, f.label, total_label, stages, [Column(s) for s in stages], None)
    expression = combined_filter(entity, query)
    board.expression = expression
    title = title_field(entity.entity)
    card_fields = [
        c
        for c in shown_columns(ui.call, entity.name, screens.kanban_card)
        if c not in (title, f.name)
    ]
    sort = query.sort or screens.list_sort or "-id"
    api = presenter.records
    fallback = total_currency(ui.call.app.model, entity.entity, total)
    try:
        totals = column_totals(api.runtime, ui.call, entity, f.name, total, expression)
        for column in board.columns:
            found = totals.get(column.stage.name, ColumnTotal(0, None))
            column.count = found.count
            column.total = found.total if found.total is not None else _zero(total)
            column.currency = found.currency or fallback
            if found.missing:
                column.flag = " ".join(
                    ui.translator.message(m.sentence()) for m in found.missing[:5]
                )
            if not found.count:
                continue
            condition = stage_filter(f.name, column.stage.name)
            params = {
                "filter": f"({expression}) and {condition}" if expression else condition,
                "sort": sort,
                "limit": str(CARDS_PER_COLUMN),
            }
            items = api.page(ui.call, entity, ListArgs.of(params)).items
            presenter.load_titles(entity.entity, items, card_fields)
            column.cards = [_card(entity, item, title, card_fields, presenter) for item in items]
    except RecordError as exc:
        errors = own_errors(ui, entity, query, presenter) or exc.body()["errors"]
        messages = [m for ms in errors.values() for m in ms]
        board.error = "; ".join(messages) or str(exc)
        board.columns = [Column(s) for s in stages]
    return board


def _zero(total: str | None) -> Decimal | None:
    return Decimal(0) if total is not None else None


def _card(
    entity: CompiledEntity,
    item: dict[str, Any],
    title: str | None,
    card_fields: list[str],
    presenter: Presenter,
) -> Card:
    ident = int(item["id"])
    text = str(item.get(title) or f"#{ident}") if title else f"#{ident}"
    cells = [c for c in presenter.row(entity.entity, item, card_fields) if c.text]
    return Card(ident, int(item.get("version") or 1), text, cells)


__all__ = [
    "Board",
    "Card",
    "Column",
    "Stage",
    "board_field",
    "build_board",
    "check_stage",
    "stage_filter",
    "stages_of",
]
