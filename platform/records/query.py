"""List queries: filters in the rule language, multi-key sort, keyset cursors, counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FIELD_TYPES, AppModel, DslType, EntityDef
from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.cursors import decode_cursor, encode_cursor
from trellis.platform.records.encrypted_filter import refuse_encrypted_use
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.unknown_names import unknown_among
from trellis.rules.expr import (
    CompiledExpression,
    EvalContext,
    ExpressionError,
    HopScope,
    compile_expression,
)
from trellis.rules.expr._sql import refuse_python_only

UNSORTABLE = {DslType.LIST, DslType.JSON}
#: Compiled filters kept per app (bounded; oldest dropped first).
FILTER_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort key: a column and a direction."""

    name: str
    descending: bool


@dataclass(frozen=True, slots=True)
class ListRequest:
    """A parsed list request."""

    filter: str | None
    sort: tuple[SortKey, ...]
    limit: int
    cursor: str | None
    fields: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a list: rows, the cursor for the next page, and a count (None: not asked)."""

    rows: list[dict[str, Any]]
    next_cursor: str | None
    count: int | None
    count_exact: bool


def _sortable_columns(entity: CompiledEntity) -> dict[str, bool]:
    names = {c: True for c in entity.columns if c not in entity.entity.fields}
    for name, f in entity.entity.fields.items():
        names[name] = FIELD_TYPES[f.type].dsl_type not in UNSORTABLE and not f.encrypted
    return names


def split_names(param: str, text: str) -> list[str]:
    """The comma-separated names of ``param`` (spaces around each ignored).

    Raises ``BadRequestError`` naming the value when it is empty or a name in it is
    empty or blank (``fields=``, ``fields=name,,amount``, ``fields=%0D``).
    """
    if not text.strip():
        raise BadRequestError(
            Translatable("%(param)s= names nothing.", param=param),
            {
                param: [
                    Translatable(
                        "Name at least one field, or leave %(param)s out (got %(text)s).",
                        param=param,
                        text=repr(text),
                    )
                ]
            },
        )
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise BadRequestError(
            Translatable("%(param)s= holds an empty name: %(text)s.", param=param, text=repr(text)),
            {
                param: [
                    Translatable(
                        "Names must not be empty or blank (got %(text)s).", text=repr(text)
                    )
                ]
            },
        )
    return names


def parse_sort(entity: CompiledEntity, text: str | None) -> tuple[SortKey, ...]:
    """Parse ``-amount,name``; raises ``BadRequestError`` naming an unknown or unsortable key.

    An empty ``sort=``, or an empty name inside it, is refused (400).
    """
    if text is None:
        return ()
    columns = _sortable_columns(entity)
    keys: list[SortKey] = []
    for part in split_names("sort", text):
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()
        if name not in columns:
            raise BadRequestError(
                Translatable("Cannot sort by unknown field '%(name)s'.", name=name),
                {"sort": [unknown_among(name, columns)]},
            )
        if not columns[name]:
            raise BadRequestError(
                Translatable("Cannot sort by '%(name)s'.", name=name),
                {"sort": [Translatable("Field '%(name)s' cannot be sorted.", name=name)]},
            )
        if name != "id":
            keys.append(SortKey(name, descending))
    return tuple(keys)


def parse_fields(entity: CompiledEntity, text: str | None) -> tuple[str, ...] | None:
    """Parse ``fields=name,amount``; ``id`` is always included.

    An empty ``fields=``, or an empty or blank name inside it, is refused (400).
    """
    if text is None:
        return None
    wanted = split_names("fields", text)
    unknown = [w for w in wanted if w not in entity.columns]
    if unknown:
        raise BadRequestError(
            Translatable("Unknown field in fields=."),
            {"fields": [unknown_among(unknown[0], entity.columns)]},
        )
    return tuple(dict.fromkeys(["id", *wanted]))


def parse_limit(text: str | None, default: int, maximum: int) -> int:
    """Parse ``limit``: ASCII digits between 1 and ``maximum``, ``default`` when absent.

    Raises ``BadRequestError`` for anything else, an empty ``limit=`` included.
    """
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise BadRequestError(
            f"limit must be a whole number between 1 and {maximum}.",
            {"limit": [f"'{shown}' is not a whole number between 1 and {maximum}."]},
        )
    if len(text) > 9 or not 1 <= int(text) <= maximum:
        raise BadRequestError(
            f"limit must be between 1 and {maximum}.",
            {"limit": [f"Must be between 1 and {maximum}."]},
        )
    return int(text)


def _order_by(table: sa.Table, sort: tuple[SortKey, ...]) -> list[Any]:
    """ORDER BY terms: empty values sort as the largest (last ascending, first descending).

    That is PostgreSQL's native order, so its b-tree indexes serve the sort; the id
    breaks ties so the order is total and keyset paging is exact.
    """
    terms: list[Any] = []
    for key in sort:
        column = table.c[key.name]
        terms.append(column.desc().nulls_first() if key.descending else column.asc().nulls_last())
    terms.append(table.c.id.asc())
    return terms


def _equal(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def _strictly_after(column: Any, value: Any, descending: bool) -> Any:
    """Rows whose ``column`` sorts strictly after ``value`` under the order above."""
    if descending:
        return column.is_not(None) if value is None else column < value
    if value is None:
        return sa.false()
    return sa.or_(column > value, column.is_(None))


def _after(table: sa.Table, sort: tuple[SortKey, ...], values: list[Any], last_id: int) -> Any:
    """Keyset predicate: the row sorts strictly after the cursor position."""
    # SQLAlchemy only lets ``==``/``!=`` take a bare True or False; ``<`` needs a bound value.
    values = [sa.literal(v, sa.Boolean()) if isinstance(v, bool) else v for v in values]
    options = []
    for i, key in enumerate(sort):
        equal = [_equal(table.c[sort[j].name], values[j]) for j in range(i)]
        options.append(
            sa.and_(*equal, _strictly_after(table.c[key.name], values[i], key.descending))
        )
    equal_all = [_equal(table.c[k.name], values[j]) for j, k in enumerate(sort)]
    options.append(sa.and_(*equal_all, table.c.id > last_id))
    return sa.or_(*options)


def compile_filter(text: str, entity: EntityDef, model: AppModel) -> CompiledExpression:
    """Compile a list filter for ``entity``; raises ``BadRequestError`` with positions.

    Callers restricted to some fields pass an ``entity`` and ``model`` without the
    others, so naming one is an unknown field.
    """
    if "\x00" in text:
        message = "The filter must not contain NUL characters."
        raise BadRequestError(message, {"filter": [message]})
    try:
        compiled = compile_expression(text, entity, model, expected=DslType.BOOLEAN)
        refuse_python_only(compiled.tree, text)
        refuse_encrypted_use(compiled.tree, model)
        return compiled
    except ExpressionError as exc:
        messages = [
            f"line {d.span.line}, column {d.span.col}: {d.message}"
            + (f" (did you mean '{d.suggestion}'?)" if d.suggestion else "")
            for d in exc.diagnostics
        ]
        raise BadRequestError(
            "The filter is not valid.",
            {"filter": messages},
            diagnostics=[
                {
                    "code": d.code,
                    "message": d.message,
                    "line": d.span.line,
                    "column": d.span.col,
                    "suggestion": d.suggestion,
                    "context": d.context,
                }
                for d in exc.diagnostics
            ],
        ) from None


class RecordQuery:
    """Runs list queries for one compiled app."""

    def __init__(self, app: CompiledApp, *, count_cap: int) -> None:
        self.app = app
        self.count_cap = count_cap
        self._filters: dict[tuple[str, str], CompiledExpression] = {}

    def filter_clause(
        self,
        entity: CompiledEntity,
        text: str,
        ectx: EvalContext,
        hop_scope: HopScope | None = None,
    ) -> Any:
        """Compile a filter to SQL (parsed once per text); raises ``BadRequestError``.

        ``hop_scope`` limits records read through references to the caller's scope.
        """
        compiled = self.compiled_filter(entity, text)
        return compiled.to_sql(self.app.table, ectx, hop_scope=hop_scope)

    def compiled_filter(self, entity: CompiledEntity, text: str) -> CompiledExpression:
        """The filter compiled once per text (bounded cache); raises ``BadRequestError``."""
        key = (entity.name, text)
        compiled = self._filters.get(key)
        if compiled is None:
            compiled = self._compile_filter(entity, text)
            if len(self._filters) >= FILTER_CACHE_SIZE:
                self._filters.pop(next(iter(self._filters)))
            self._filters[key] = compiled
        return compiled

    def _compile_filter(self, entity: CompiledEntity, text: str) -> CompiledExpression:
        return compile_filter(text, entity.entity, self.app.model)

    def page(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        request: ListRequest,
        ectx: EvalContext,
        *,
        scope: Any = None,
        hop_scope: HopScope | None = None,
        count: bool = True,
    ) -> ListPage:
        """Return one page of live records; ``scope`` (a SQL condition) limits rows and count.

        ``hop_scope`` applies the caller's scope to records a filter reads through
        references, so filtering on them cannot reveal records the caller cannot read.
        ``count=False`` skips the count query (the page's count is then None).
        """
        t = entity.table
        where = [t.c.deleted_at.is_(None)]
        if scope is not None:
            where.append(scope)
        if request.filter:
            where.append(self.filter_clause(entity, request.filter, ectx, hop_scope))
        page_where = list(where)
        if request.cursor:
            values, last_id = decode_cursor(entity, request.sort, request.cursor)
            page_where.append(_after(t, request.sort, values, last_id))
        wanted = request.fields or entity.columns
        extra = [k.name for k in request.sort if k.name not in wanted]
        columns = [t.c[c] for c in (*wanted, *extra)]
        query = (
            sa.select(*columns)
            .where(*page_where)
            .order_by(*_order_by(t, request.sort))
            .limit(request.limit + 1)
        )
        rows = [dict(r._mapping) for r in conn.execute(query)]
        next_cursor = None
        if len(rows) > request.limit:
            rows = rows[: request.limit]
            next_cursor = encode_cursor(request.sort, rows[-1])
        if not count:
            return ListPage(rows, next_cursor, None, False)
        if not request.cursor and next_cursor is None and len(rows) <= self.count_cap:
            # A short first page holds every matching row: it is the exact count.
            return ListPage(rows, None, len(rows), True)
        total, exact = self._count(
            conn, t, where, filtered=bool(request.filter) or scope is not None
        )
        return ListPage(rows, next_cursor, total, exact)

    def _count(
        self, conn: sa.Connection, table: sa.Table, where: list[Any], *, filtered: bool
    ) -> tuple[int, bool]:
        """Exact count up to the cap; past it an estimate (PostgreSQL statistics) or the cap."""
        capped = sa.select(table.c.id).where(*where).limit(self.count_cap + 1).subquery()
        count = int(conn.execute(sa.select(sa.func.count()).select_from(capped)).scalar() or 0)
        if count <= self.count_cap:
            return count, True
        if conn.dialect.name == "postgresql" and not filtered:
            estimate = conn.execute(
                sa.select(sa.func.coalesce(sa.text("reltuples"), 0))
                .select_from(sa.text("pg_class"))
                .where(sa.text("oid = to_regclass(:name)"))
                .params(name=_qualified_name(conn, table))
            ).scalar()
            return max(int(estimate or 0), count), False
        return count, False


def _qualified_name(conn: sa.Connection, table: sa.Table) -> str:
    schema_map = conn.get_execution_options().get("schema_translate_map") or {}
    schema = schema_map.get(table.schema, table.schema)
    return f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'


__all__ = [
    "ListPage",
    "ListRequest",
    "RecordQuery",
    "SortKey",
    "compile_filter",
    "decode_cursor",
    "encode_cursor",
    "parse_fields",
    "parse_limit",
    "parse_sort",
    "split_names",
]
