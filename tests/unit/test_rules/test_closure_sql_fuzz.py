"""Closures and SQL agree on every function and field type, with awkward values.

An ``item`` entity has one field of every type (a pipeline included, and a
reference to itself). Rows hold empty values, empty and blank text, Unicode
whose case mapping is special (``İ``, ``ß``, ``ǅ``, ``Σ``, ``ᾳ``) and dates and
times around daylight-saving changes in several zones; the PostgreSQL session
runs in ``America/New_York`` so nothing may lean on the session time zone. For
each generated expression the closure, the tree interpreter and SQL (on SQLite
and PostgreSQL) must give the same rows and values.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import StaticPool

from trellis.metadata.model import (
    FIELD_TYPES,
    AppModel,
    EntityDef,
    FieldDef,
    PipelineDef,
    StageDef,
)
from trellis.rules.expr import (
    EvalContext,
    ExpressionError,
    compile_expression,
    install_sqlite_functions,
    interpret,
)
from trellis.rules.expr._runtime import to_utc

from rules_test_support import PG_URL_ENV

S = st.SearchStrategy
_DEEP = os.environ.get("TRELLIS_FUZZ_EXAMPLES", "")
FUZZ = settings(
    max_examples=int(_DEEP) if _DEEP.isdigit() else 100,
    derandomize=not _DEEP.isdigit(),
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OPTIONS = ("new", "Été", "İx", "done")
STAGES = (
    StageDef("open", "Open", Decimal(10)),
    StageDef("won", "Gagné", Decimal("99.5"), won=True),
    StageDef("lost", "Lost", Decimal(0), lost=True),
)
_TYPES = {
    "s": "string", "t": "text", "em": "email", "ph": "phone", "u": "url", "an": "autonumber",
    "en": "enum", "me": "multi_enum", "tg": "tags", "n": "integer", "d": "decimal",
    "m": "money", "p": "percent", "b": "boolean", "day": "date", "at": "datetime",
    "ref": "reference", "usr": "user", "js": "json", "stg": "pipeline",
}  # fmt: skip
_EXTRA: dict[str, dict[str, Any]] = {
    "en": {"options": OPTIONS},
    "me": {"options": OPTIONS},
    "ref": {"to": "item"},
    "d": {"scale": 4},
    "stg": {"options": tuple(s.name for s in STAGES), "pipeline": "deal"},
}
ITEM = EntityDef(
    "item",
    "Item",
    "Items",
    {n: FieldDef(n, t, n.upper(), **_EXTRA.get(n, {})) for n, t in _TYPES.items()},
)
MODEL = AppModel(
    "fuzz", "1.0", "Fuzz", {"item": ITEM}, pipelines={"deal": PipelineDef("deal", "D", STAGES)}
)
ZONES = [ZoneInfo(z) for z in ("Europe/Madrid", "America/New_York", "Australia/Lord_Howe")]
#: Days of 2026 when clocks change in one of ZONES, and their neighbours.
DST_DAYS = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4)]
DST_DAYS += [date(2026, 10, 25), date(2026, 11, 1)]
SPECIAL_TEXT = ["", " ", " x ", "İ", "ß", "ǅ", "ΣΑΣ", "ᾳ", "ﬀ", "ẞ", "Straße", "ÉTÉ", "%", "_/"]
# Text a plain LIKE or a careless fold gets wrong: KELVIN SIGN, dotless i, long s.
SPECIAL_TEXT += ["\u212a", "Árbol", "İk", "\u0131", "\u017f"]

# -- values ---------------------------------------------------------------------------

texts = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.text(st.characters(exclude_categories=("Cs", "Cc"), max_codepoint=0x2FFF), max_size=5),
)
days = st.one_of(
    st.sampled_from(DST_DAYS).flatmap(lambda d: st.integers(-1, 1).map(lambda k: d + timedelta(k))),
    st.dates(date(2026, 1, 1), date(2026, 12, 31)),
)
#: Local wall times on DST days (gaps and folds included), as zone-aware datetimes.
moments = st.builds(
    lambda d, minutes, zone, fold: datetime(
        d.year, d.month, d.day, minutes // 60, minutes % 60, tzinfo=zone, fold=fold
    ),
    days,
    st.integers(0, 24 * 60 - 1),
    st.sampled_from([*ZONES, UTC]),
    st.integers(0, 1),
)
quarters = st.integers(-4000, 4000).map(lambda k: Decimal(k) / 4)


def _maybe(strategy: S[Any]) -> S[Any]:
    return st.one_of(strategy, st.none(), strategy)


_ROW = {
    "s": texts, "t": texts, "em": texts, "ph": texts, "u": texts, "an": texts,
    "en": st.sampled_from(OPTIONS), "me": st.lists(st.sampled_from(OPTIONS), max_size=2),
    "tg": st.lists(texts, max_size=3), "n": st.integers(-1000, 2000), "d": quarters,
    "m": quarters, "p": quarters.map(abs), "b": st.booleans(), "day": days, "at": moments,
    "ref": st.sampled_from([1, 2, 3, 99]), "usr": st.sampled_from([7, 8]),
    "js": st.sampled_from([{}, [], {"a": 1}, "x", 0]),
    "stg": st.sampled_from([s.name for s in STAGES]),
}  # fmt: skip
rows = st.lists(st.fixed_dictionaries({k: _maybe(v) for k, v in _ROW.items()}), min_size=3)
rows = rows.map(lambda rs: [{"id": i, **r} for i, r in enumerate(rs[:8], start=1)])

# -- expressions ----------------------------------------------------------------------


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _call(name: str, *args: S[str]) -> S[str]:
    return st.tuples(*args).map(lambda a: f"{name}({', '.join(a)})")


def _op(left: S[str], ops: list[str], right: S[str]) -> S[str]:
    return st.tuples(left, st.sampled_from(ops), right).map(lambda t: f"(({t[0]}) {t[1]} ({t[2]}))")


#: Conditions of if(), empty ones included (an empty condition takes the else branch).
CONDS = st.sampled_from(["b", "ref.b", "stg.won", "n > 100", "s is empty", "null", "not b"])


def _if(then: S[str], other: S[str]) -> S[str]:
    return st.tuples(CONDS, then, other).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})")


TEXT_LEAVES = st.one_of(
    st.sampled_from(["s", "t", "em", "ph", "u", "an", "en", "ref.s", "ref.en", "stg.label"]),
    texts.map(_quote),
)
TEXTS = st.recursive(
    TEXT_LEAVES,
    lambda sub: st.one_of(
        *(_call(f, sub) for f in ("lower", "upper", "trim")),
        _call("concat", sub, sub),
        _call("coalesce", sub, sub),
        _if(sub, sub),
    ),
    max_leaves=3,
)
DATES = st.recursive(
    st.sampled_from(["day", "ref.day", "today()", "date(at)", 'date("2026-03-29")']),
    lambda sub: st.one_of(
        _op(sub, ["+", "-"], st.sampled_from(["1", "(-7)", "n", "d", "days(2)", "n * 5000"])),
        _op(sub, ["+", "-"], st.sampled_from(["3000000", "739000", "9223372036854775807"])),
        _call("min", sub, sub),
        _call("max", sub, sub),
        _call("coalesce", sub, sub),
        _if(sub, st.one_of(sub, st.just("null"))),
    ),
    max_leaves=3,
)
MOMENTS = st.recursive(
    st.sampled_from(
        ["at", "ref.at", "now()", "datetime(day)", 'datetime("2026-03-29T01:30:00+01:00")']
    ),
    lambda sub: st.one_of(
        _op(sub, ["+", "-"], st.sampled_from(["hours(1)", "hours(n)", "1", "d", "(-0.5)"])),
        _op(sub, ["+", "-"], st.sampled_from(["3000000", "739000", "n * 5000"])),
        _call("min", sub, sub),
        _call("max", sub, sub),
        _call("coalesce", sub, sub),
        _if(sub, st.one_of(sub, DATES)),  # a date branch meets a datetime
    ),
    max_leaves=3,
)
NUMBER_LEAVES = st.one_of(
    st.sampled_from(["n", "d", "m", "p", "usr", "stg.probability", "ref.n"]),
    st.sampled_from(["len(s)", "len(tg)", "len(me)", "len(ref.s)", "current_user()"]),
    st.sampled_from(["year(day)", "month(at)", "day(at)", "day(day)", "month(day)"]),
    _call("days_between", st.one_of(DATES, MOMENTS), st.one_of(DATES, MOMENTS)),
    _op(DATES, ["-"], DATES),
    st.integers(-5, 2000).map(str),
    st.sampled_from(["9223372036854775807", "(-9223372036854775807)", "4611686018427387904"]),
    st.sampled_from(["n * 4611686018427387904", "-(n - 9223372036854775807)", "round(n, -20)"]),
    quarters.map(lambda q: str(q.normalize() if q != q.to_integral_value() else int(q))),
    # Unicode text hashes as UTF-8 everywhere; ids and whole numbers as decimal text.
    st.tuples(TEXTS, st.integers(1, 9)).map(lambda t: f"hash_bucket({t[0]}, {t[1]})"),
    st.sampled_from(["hash_bucket(ref, 2)", "hash_bucket(usr, 3)", "hash_bucket(n, 5)"]),
)
NUMBERS = st.recursive(
    NUMBER_LEAVES,
    lambda sub: st.one_of(
        _op(sub, ["+", "-", "*"], sub),
        sub.map(lambda s: f"-({s})"),
        _call("abs", sub),
        _call("min", sub, sub),
        _call("max", sub, sub),
        _call("coalesce", sub, sub),
        st.tuples(sub, st.integers(-1, 3)).map(lambda t: f"round({t[0]}, {t[1]})"),
        _call("hours", sub),
        _call("days", sub),
        _if(sub, sub),
    ),
    max_leaves=3,
)
#: Safe division: only selected (compared with a tolerance), never compared exactly.
QUOTIENTS = st.one_of(
    _call("divide", NUMBERS, NUMBERS),
    _call("divide", NUMBERS, st.sampled_from(["n", "d", "0", "ref.n"]), NUMBERS),
    _if(_call("divide", NUMBERS, NUMBERS), NUMBERS),
)
CMP = ["==", "!=", "<", "<=", ">", ">="]
EMPTY = ["is empty", "is not empty"]
BOOLEAN_LEAVES = st.one_of(
    st.sampled_from(["b", "stg.won", "stg.lost", "ref.b", "true", "usr == current_user()"]),
    st.sampled_from(["ref == 1", "ref != ref.ref", "ref.ref == ref", "ref in (1, 3)"]),
    _op(NUMBERS, CMP, NUMBERS),
    _op(TEXTS, CMP, TEXTS),
    _op(DATES, CMP, st.one_of(DATES, MOMENTS)),
    _op(MOMENTS, CMP, MOMENTS),
    _op(TEXTS, ["contains", "starts_with", "ends_with"], TEXTS),
    st.tuples(st.one_of(TEXTS, NUMBERS, DATES, MOMENTS), st.sampled_from(EMPTY)).map(" ".join),
    st.tuples(st.sampled_from(["tg", "me", "js", "ref", "b", "stg"]), st.sampled_from(EMPTY)).map(
        " ".join
    ),
    st.tuples(TEXTS, st.sampled_from(["tg", "me"])).map(lambda t: f"({t[0]}) in {t[1]}"),
    st.tuples(st.sampled_from(["tg", "me"]), TEXTS).map(lambda t: f"{t[0]} contains ({t[1]})"),
    st.tuples(TEXTS, st.lists(TEXTS, min_size=1, max_size=3)).map(
        lambda t: f"({t[0]}) in ({', '.join(t[1])})"
    ),
    st.tuples(NUMBERS, st.lists(NUMBERS, min_size=1, max_size=3)).map(
        lambda t: f"({t[0]}) not in ({', '.join(t[1])})"
    ),
)
BOOLEANS = st.recursive(
    BOOLEAN_LEAVES,
    lambda sub: st.one_of(
        _op(sub, ["and", "or", "==", "!="], sub),
        sub.map(lambda s: f"not ({s})"),
        st.tuples(sub, sub, sub).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
    ),
    max_leaves=3,
)

# -- databases ------------------------------------------------------------------------


def _table(meta: sa.MetaData) -> sa.Table:
    columns = [sa.Column(f.name, FIELD_TYPES[f.type].sql_type(f)) for f in ITEM.fields.values()]
    return sa.Table("item", meta, sa.Column("id", sa.BigInteger(), primary_key=True), *columns)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db(request: pytest.FixtureRequest) -> Iterator[tuple[sa.Engine, sa.Table]]:
    """The item table on SQLite, or on PostgreSQL with a session in New York time."""
    if request.param == "sqlite":
        engine = sa.create_engine("sqlite://", poolclass=StaticPool)
        sa.event.listen(engine, "connect", lambda conn, _: install_sqlite_functions(conn))
        meta = sa.MetaData()
        table = _table(meta)
        meta.create_all(engine)
        yield engine, table
        engine.dispose()
        return
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"{PG_URL_ENV} is not set")
    engine = sa.create_engine(url, connect_args={"options": "-c TimeZone=America/New_York"})
    schema = f"trellis_fuzz_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    meta = sa.MetaData(schema=schema)
    table = _table(meta)
    meta.create_all(engine)
    try:
        yield engine, table
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


def _stored(row: Mapping[str, Any]) -> dict[str, Any]:
    # What the record service stores: datetimes in UTC.
    return {k: (v.astimezone(UTC) if isinstance(v, datetime) else v) for k, v in row.items()}


def _ctx(items: list[dict[str, Any]], now: datetime) -> EvalContext:
    by_id = {r["id"]: r for r in items}
    return EvalContext(now=now, user_id=7, resolve=lambda e, i: by_id.get(i))


def _same(sql_value: Any, py_value: Any) -> bool:
    if py_value is None or sql_value is None:
        return py_value is None and sql_value is None
    if isinstance(py_value, bool) or isinstance(sql_value, bool):
        return bool(sql_value == py_value)
    if isinstance(py_value, int | Decimal):
        x, y = Decimal(str(sql_value)), Decimal(str(py_value))
        return abs(x - y) <= Decimal("1e-9") * max(Decimal(1), abs(y))
    if isinstance(py_value, datetime):
        return isinstance(sql_value, datetime) and to_utc(sql_value) == to_utc(py_value)
    return bool(sql_value == py_value)


def _agree(
    db: tuple[sa.Engine, sa.Table], source: str, items: list[dict[str, Any]], now: datetime
) -> None:
    try:
        expr = compile_expression(source, ITEM, MODEL)
    except ExpressionError as err:
        # Generated texts that are not options of `en` or stages are rightly refused.
        assume(not all(d.code == "RL010" for d in err.diagnostics))
        raise
    engine, table = db
    ctx = _ctx(items, now)
    expected = {r["id"]: expr.evaluate(r, ctx) for r in items}
    assert {r["id"]: interpret(expr, r, ctx) for r in items} == expected, source
    with engine.connect() as conn:
        conn.execute(table.insert(), [_stored(r) for r in items])
        query = sa.select(table.c.id, expr.to_sql(lambda _: table, ctx, as_value=True))
        got = {row[0]: row[1] for row in conn.execute(query)}
        if expr.result_type.value == "boolean":
            where = sa.select(table.c.id).where(expr.to_sql(lambda _: table, ctx))
            selected = set(conn.execute(where).scalars())
            assert selected == {i for i, v in expected.items() if v}, source
        conn.rollback()
    wrong = {i: (got[i], v) for i, v in expected.items() if not _same(got[i], v)}
    assert wrong == {}, source


@FUZZ
@given(source=BOOLEANS, items=rows, now=moments)
def test_conditions_select_the_rows_the_closure_accepts(
    db: tuple[sa.Engine, sa.Table], source: str, items: list[dict[str, Any]], now: datetime
) -> None:
    _agree(db, source, items, now)


@FUZZ
@given(source=st.one_of(NUMBERS, TEXTS, DATES, MOMENTS, QUOTIENTS), items=rows, now=moments)
def test_values_of_every_type_match_the_closure(
    db: tuple[sa.Engine, sa.Table], source: str, items: list[dict[str, Any]], now: datetime
) -> None:
    _agree(db, source, items, now)
