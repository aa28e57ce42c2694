"""SQL constructs that render differently on PostgreSQL and SQLite.

The SQL compiler does not know the dialect when it builds an expression, so
the parts that differ (JSON lists, date arithmetic, UTC conversions, binary
text ordering, case mapping) are ``FunctionElement`` subclasses rendered per dialect with
``@compiles``. Other dialects raise ``CompileError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from trellis.rules.expr.text_case import SQLITE_LOWER, SQLITE_UPPER

Render = Callable[..., str]


class _Construct(FunctionElement[Any]):
    inherit_cache = True


def _register(cls: type[_Construct], *, postgresql: Render, sqlite: Render) -> None:
    def args(element: _Construct, compiler: SQLCompiler, kw: dict[str, Any]) -> list[str]:
        return [compiler.process(c, **kw) for c in element.clauses]

    def other(element: _Construct, compiler: SQLCompiler, **kw: Any) -> str:
        raise CompileError(
            f"Rule expressions support PostgreSQL and SQLite, not {compiler.dialect.name!r}"
        )

    def pg(element: _Construct, compiler: SQLCompiler, **kw: Any) -> str:
        return postgresql(*args(element, compiler, kw))

    def lite(element: _Construct, compiler: SQLCompiler, **kw: Any) -> str:
        return sqlite(*args(element, compiler, kw))

    compiles(cls)(other)
    compiles(cls, "postgresql")(pg)
    compiles(cls, "sqlite")(lite)


def _define(
    cls_name: str, sql_type: Any, doc: str, *, postgresql: Render, sqlite: Render
) -> type[_Construct]:
    """A construct class ``cls_name`` of ``sql_type`` (SQL name ``trellis_<snake case>``)."""
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", cls_name).lower()
    return _construct(cls_name, f"trellis_{snake}", sql_type, doc, postgresql, sqlite)


def _construct(
    cls_name: str, name: str, sql_type: Any, doc: str | None, postgresql: Render, sqlite: Render
) -> type[_Construct]:
    cls = type(
        cls_name,
        (_Construct,),
        {"type": sql_type, "name": name, "inherit_cache": True, "__doc__": doc},
    )
    _register(cls, postgresql=postgresql, sqlite=sqlite)
    return cls


def _pg_json(x: str) -> str:
    return f"CAST({x} AS JSON)"


ListHas = _define(
    "ListHas",
    sa.Boolean(),
    "``ListHas(list, text)``: the JSON array holds the text, ignoring case.",
    postgresql=lambda lst, needle: (
        "EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN "
        f"json_typeof({_pg_json(lst)}) = 'array' THEN {_pg_json(lst)} END) AS trellis_item(v) "
        "WHERE json_typeof(trellis_item.v) = 'string' "
        f"AND lower(trellis_item.v #>> '{{}}') = lower({needle}))"
    ),
    sqlite=lambda lst, needle: (
        f"EXISTS (SELECT 1 FROM json_each({lst}) AS trellis_item WHERE trellis_item.type = "
        f"'text' AND {SQLITE_LOWER}(trellis_item.value) = {SQLITE_LOWER}({needle}))"
    ),
)

ListHasNumber = _define(
    "ListHasNumber",
    sa.Boolean(),
    "``ListHasNumber(list, number)``: the JSON array holds the number (a record id).",
    postgresql=lambda lst, needle: (
        "EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN "
        f"json_typeof({_pg_json(lst)}) = 'array' THEN {_pg_json(lst)} END) AS trellis_item(v) "
        "WHERE json_typeof(trellis_item.v) = 'number' "
        f"AND CAST(trellis_item.v #>> '{{}}' AS NUMERIC) = {needle})"
    ),
    sqlite=lambda lst, needle: (
        f"EXISTS (SELECT 1 FROM json_each({lst}) AS trellis_item WHERE trellis_item.type = "
        f"'integer' AND trellis_item.value = {needle})"
    ),
)


# SQLite's own lower()/upper() only map ASCII: its connections get the Python ones.
Lower = _define(
    "Lower",
    sa.String(),
    "Lowercase by simple case mapping (``text_case``): ``lower`` on PostgreSQL.",
    postgresql=lambda x: f"lower({x})",
    sqlite=lambda x: f"{SQLITE_LOWER}({x})",
)
Upper = _define(
    "Upper",
    sa.String(),
    "Uppercase by simple case mapping (``text_case``): ``upper`` on PostgreSQL.",
    postgresql=lambda x: f"upper({x})",
    sqlite=lambda x: f"{SQLITE_UPPER}({x})",
)


#: ASCII letters that a non-ASCII letter also lowercases to (KELVIN SIGN, ``İ``):
#: SQLite's ``LIKE`` folds ASCII only, so it misses those.
FOREIGN_CASE_ASCII = frozenset("ik")
_ASCII_ONLY = "length(CAST({x} AS BLOB)) = length({x})"


def _sqlite_like_folded(x: str, p: str, *, ascii_like: bool, wide: bool) -> str:
    # ``p`` is lowercase; plain LIKE matches an ASCII pattern exactly on ASCII text.
    # Text with another character (or a NUL: length() stops there) takes the slow path.
    plain = f"{x} LIKE {p} ESCAPE '/'"
    folded = f"(NOT {_ASCII_ONLY.format(x=x)} AND {SQLITE_LOWER}({x}) LIKE {p} ESCAPE '/')"
    if not wide:
        return f"({plain})"
    return f"({plain} OR {folded})" if ascii_like else folded


def _like_folded(cls_name: str, doc: str, *, ascii_like: bool, wide: bool) -> type[_Construct]:
    return _define(
        cls_name,
        sa.Boolean(),
        doc,
        postgresql=lambda x, p: f"(lower({x}) LIKE {p} ESCAPE '/')",
        sqlite=lambda x, p: _sqlite_like_folded(x, p, ascii_like=ascii_like, wide=wide),
    )


LikeAscii = _like_folded(
    "LikeAscii",
    """``LikeAscii(text, pattern)``: case-insensitive LIKE for a lowercase ASCII pattern
    holding no letter of ``FOREIGN_CASE_ASCII`` (plain ``LIKE`` on SQLite).""",
    ascii_like=True,
    wide=False,
)
LikeAsciiWide = _like_folded(
    "LikeAsciiWide",
    """``LikeAsciiWide(text, pattern)``: case-insensitive LIKE for any lowercase ASCII
    pattern (plain ``LIKE``, then ``trellis_lower`` for non-ASCII text on SQLite).""",
    ascii_like=True,
    wide=True,
)
LikeWide = _like_folded(
    "LikeWide",
    """``LikeWide(text, pattern)``: case-insensitive LIKE for a lowercase pattern with a
    non-ASCII character, which ASCII text never matches (skipped on SQLite).""",
    ascii_like=False,
    wide=True,
)


def like_folded(
    text: sa.ColumnElement[Any], pattern: sa.ColumnElement[Any], folded: str
) -> sa.ColumnElement[Any]:
    """``text`` matches the LIKE ``pattern`` built from ``folded`` (lowercased) ignoring case.

    PostgreSQL: ``lower(text) LIKE pattern``, which a trigram index on ``lower(text)``
    serves (``ILIKE`` is the same on a UTF-8 database but lowercases the pattern again on
    every row: 15-25% slower over a scan). SQLite: the cheapest form that is exact for the
    pattern's characters.
    """
    if not folded.isascii():
        return LikeWide(text, pattern)
    if FOREIGN_CASE_ASCII.isdisjoint(folded):
        return LikeAscii(text, pattern)
    return LikeAsciiWide(text, pattern)


ListLength = _define(
    "ListLength",
    sa.Integer(),
    "Length of a JSON array; NULL when the value is not an array.",
    postgresql=lambda x: (
        f"CASE WHEN json_typeof({_pg_json(x)}) = 'array' THEN json_array_length({_pg_json(x)}) END"
    ),
    sqlite=lambda x: f"CASE WHEN json_type({x}) = 'array' THEN json_array_length({x}) END",
)


JsonIsNull = _define(
    "JsonIsNull",
    sa.Boolean(),
    "A JSON value that is SQL NULL or JSON ``null``.",
    postgresql=lambda x: f"({x} IS NULL OR json_typeof({_pg_json(x)}) = 'null')",
    sqlite=lambda x: f"({x} IS NULL OR json_type({x}) = 'null')",
)


BinaryText = _define(
    "BinaryText",
    sa.String(),
    """Text compared by code point (``COLLATE "C"`` on PostgreSQL), like Python.""",
    postgresql=lambda x: f'({x} COLLATE "C")',
    sqlite=lambda x: x,
)


Trim = _define(
    "Trim",
    sa.String(),
    "``Trim(text, characters)``: strip the characters from both ends.",
    postgresql=lambda x, c: f"btrim({x}, {c})",
    sqlite=lambda x, c: f"trim({x}, {c})",
)


def _part(pg_field: str, sqlite_format: str, cls_name: str) -> type[_Construct]:
    return _construct(
        cls_name,
        f"trellis_{cls_name}",
        sa.Integer(),
        None,
        postgresql=lambda x: f"CAST(EXTRACT({pg_field} FROM {x}) AS INTEGER)",
        sqlite=lambda x: f"CAST(strftime('{sqlite_format}', {x}) AS INTEGER)",
    )


#: Year, month and day of a date (not a datetime: convert with DatetimeToDate first).
Year = _part("YEAR", "%Y", "Year")
Month = _part("MONTH", "%m", "Month")
Day = _part("DAY", "%d", "Day")


DatetimeToDate = _define(
    "DatetimeToDate",
    sa.Date(),
    "The UTC calendar date of a datetime.",
    postgresql=lambda x: f"CAST(({x}) AT TIME ZONE 'UTC' AS DATE)",
    sqlite=lambda x: f"date({x})",
)


DateToDatetime = _define(
    "DateToDatetime",
    sa.DateTime(timezone=True),
    "Midnight UTC of a date, as a datetime.",
    postgresql=lambda x: f"(CAST({x} AS TIMESTAMP) AT TIME ZONE 'UTC')",
    sqlite=lambda x: f"({x} || ' 00:00:00.000000')",
)


#: Dates and times exist from year 1 to 9999 (Python's range): arithmetic that leaves
#: it is empty, as in closures, never a database error or an unreadable value.
_FIRST_DAY = "DATE '0001-01-01'"
_LAST_DAY_NUMBER = 3652058  # 9999-12-31 - 0001-01-01
_FIRST_SECOND, _LAST_SECOND = -62135596800, 253402300799  # Unix time of both ends


def _pg_date_add_days(d: str, n: str) -> str:
    # Day numbers since 0001-01-01 are exact numerics; the clamp only keeps the
    # expression computable when PostgreSQL evaluates the THEN branch early.
    day = f"(({d} - {_FIRST_DAY}) + floor(CAST({n} AS NUMERIC)))"
    safe = f"CAST(LEAST(GREATEST({day}, 0), {_LAST_DAY_NUMBER}) AS INTEGER)"
    return f"(CASE WHEN {day} BETWEEN 0 AND {_LAST_DAY_NUMBER} THEN {_FIRST_DAY} + {safe} END)"


def _pg_datetime_add_days(d: str, n: str) -> str:
    epoch = f"EXTRACT(EPOCH FROM {d})"
    shift = f"round(CAST({n} AS NUMERIC) * 86400)"
    low, high = _FIRST_SECOND - 86400, _LAST_SECOND + 86400
    safe = f"LEAST(GREATEST({shift}, {low} - {epoch}), {high} - {epoch})"
    valid = f"{epoch} + {shift} BETWEEN {_FIRST_SECOND} AND {_LAST_SECOND}.999999"
    return f"(CASE WHEN {valid} THEN {d} + {safe} * INTERVAL '1 second' END)"


def _sqlite_in_range(value: str, first: str, last: str) -> str:
    # Out of range, SQLite's date functions give NULL or text like '-0165-09-05'.
    return f"(CASE WHEN {value} BETWEEN '{first}' AND '{last}' THEN {value} END)"


DateAddDays = _define(
    "DateAddDays",
    sa.Date(),
    "``DateAddDays(date, n)``: the date moved by floor(n) days (empty past year 9999).",
    postgresql=_pg_date_add_days,
    sqlite=lambda d, n: _sqlite_in_range(
        f"date({d}, CAST({n} AS TEXT) || ' days')", "0001-01-01", "9999-12-31"
    ),
)


DatetimeAddDays = _define(
    "DatetimeAddDays",
    sa.DateTime(timezone=True),
    "``DatetimeAddDays(datetime, n)``: moved by n days, rounded to whole seconds.",
    postgresql=_pg_datetime_add_days,
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff': shift the
    # whole seconds and keep the original fraction so the text still sorts right.
    sqlite=lambda d, n: _sqlite_in_range(
        f"(strftime('%Y-%m-%d %H:%M:%S', {d}, "
        f"CAST(CAST(round(({n}) * 86400) AS INTEGER) AS TEXT) || ' seconds') || substr({d}, 20))",
        "0001-01-01 00:00:00",
        "9999-12-31 23:59:59.999999",
    ),
)


ExactNumber = _define(
    "ExactNumber",
    sa.Numeric(),
    """A number for arithmetic: NUMERIC on PostgreSQL, whose BIGINT overflows with an
    error where closures have exact integers (SQLite turns an overflow into REAL).""",
    postgresql=lambda x: f"CAST({x} AS NUMERIC)",
    sqlite=lambda x: f"({x})",
)


DateDiff = _define(
    "DateDiff",
    sa.Integer(),
    "``DateDiff(a, b)``: a - b in days, for two dates.",
    postgresql=lambda a, b: f"({a} - {b})",
    sqlite=lambda a, b: f"CAST(round(julianday({a}) - julianday({b})) AS INTEGER)",
)


DatetimeDiff = _define(
    "DatetimeDiff",
    sa.Numeric(),
    "``DatetimeDiff(a, b)``: a - b in days with the fraction, for two datetimes.",
    postgresql=lambda a, b: f"(EXTRACT(EPOCH FROM ({a}) - ({b})) / 86400)",
    sqlite=lambda a, b: f"(round((julianday({a}) - julianday({b})) * 86400000) / 86400000.0)",
)


WholeDaysBetween = _define(
    "WholeDaysBetween",
    sa.BigInteger(),
    "``WholeDaysBetween(a, b)``: b - a in whole days (truncated), for datetimes.",
    postgresql=lambda a, b: f"CAST(trunc(EXTRACT(EPOCH FROM ({b}) - ({a})) / 86400) AS BIGINT)",
    sqlite=lambda a, b: (
        f"(CAST(round((julianday({b}) - julianday({a})) * 86400000) AS INTEGER) / 86400000)"
    ),
)


Hash32 = _define(
    "Hash32",
    sa.BigInteger(),
    "``Hash32(text)``: the first 32 bits of the text's MD5, unsigned (``hashing``).",
    postgresql=lambda x: f"CAST(CAST('x' || substr(md5({x}), 1, 8) AS BIT(32)) AS BIGINT)",
    sqlite=lambda x: f"trellis_hash32({x})",
)
