"""``stage.probability``, ``stage.won``, ``stage.lost`` and ``stage.label`` on pipeline fields.

The type checker gives them number/boolean/text types; the closure looks the stage up
in the pipeline's metadata and the SQL compiler builds a CASE over the stage names.
Both must agree, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from trellis.metadata.model import (
    FIELD_TYPES,
    AppModel,
    DslType,
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

from rules_test_support import NOW, PG_URL_ENV

STAGES = (
    StageDef("prospecting", "Prospecting", Decimal(10)),
    StageDef("proposal", "Proposal", Decimal("52.5")),
    StageDef("won", "Won", Decimal(100), won=True),
    StageDef("lost", "Lost", Decimal(0), lost=True),
)
NAMES = tuple(s.name for s in STAGES)
DEAL = EntityDef(
    "deal",
    "Deal",
    "Deals",
    {
        "name": FieldDef("name", "string", "Name"),
        "amount": FieldDef("amount", "money", "Amount"),
        "stage": FieldDef("stage", "pipeline", "Stage", options=NAMES, pipeline="deal"),
        "close_date": FieldDef("close_date", "date", "Close date"),
    },
)
MODEL = AppModel(
    "crm",
    "1.0.0",
    "CRM",
    {"deal": DEAL},
    pipelines={"deal": PipelineDef("deal", "Deals", STAGES)},
)
CTX = EvalContext(now=NOW)
ROWS: list[dict[str, Any]] = [
    {"id": i + 1, "stage": stage, "amount": amount, "close_date": None, "name": "x"}
    for i, (stage, amount) in enumerate(
        [(s, Decimal(1000)) for s in NAMES] + [(None, Decimal(1000)), ("proposal", None)]
    )
]
EXPRESSIONS = [
    "stage.probability",
    "stage.won",
    "stage.lost",
    "stage.label",
    "stage.probability >= 50",
    "stage.won and close_date is empty",
    "not stage.lost",
    "stage.won or stage.lost",
    'stage.label starts_with "Pro"',
    "stage.probability is empty",
    "amount * stage.probability / 100",
]


def _compile(source: str, expected: DslType | None = None) -> Any:
    return compile_expression(source, DEAL, MODEL, expected=expected)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def table(request: pytest.FixtureRequest) -> Iterator[tuple[sa.Engine, sa.Table]]:
    """The deal table with :data:`ROWS` on each real database."""
    schema = None
    if request.param == "sqlite":
        engine = sa.create_engine("sqlite://", poolclass=StaticPool)
        sa.event.listen(engine, "connect", lambda conn, _: install_sqlite_functions(conn))
    else:
        url = os.environ.get(PG_URL_ENV)
        if not url:
            pytest.skip(f"{PG_URL_ENV} is not set")
        engine = sa.create_engine(url)
        schema = f"trellis_stage_{uuid.uuid4().hex[:12]}"
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
    meta = sa.MetaData(schema=schema)
    deal = sa.Table(
        "deal",
        meta,
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        *(sa.Column(f.name, FIELD_TYPES[f.type].sql_type(f)) for f in DEAL.fields.values()),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(deal.insert(), ROWS)
    try:
        yield engine, deal
    finally:
        if schema is not None:
            with engine.begin() as conn:
                conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


def test_types_follow_the_attribute() -> None:
    assert _compile("stage.probability").result_type is DslType.NUMBER
    assert _compile("stage.won").result_type is DslType.BOOLEAN
    assert _compile("stage.lost").result_type is DslType.BOOLEAN
    assert _compile("stage.label").result_type is DslType.TEXT
    assert _compile("stage.probability").field_paths == (("stage",),)


def test_closure_reads_the_stage_from_the_pipeline() -> None:
    prob, won, label = _compile("stage.probability"), _compile("stage.won"), _compile("stage.label")
    assert prob.evaluate({"stage": "proposal"}, CTX) == Decimal("52.5")
    assert won.evaluate({"stage": "won"}, CTX) is True
    assert won.evaluate({"stage": "lost"}, CTX) is False
    assert won.evaluate({}, CTX) is False
    assert prob.evaluate({"stage": None}, CTX) is None
    assert label.evaluate({"stage": "won"}, CTX) == "Won"
    rule = _compile("stage.won and close_date is empty", DslType.BOOLEAN)
    assert rule.evaluate({"stage": "won"}, CTX) is True
    assert rule.evaluate({"stage": "proposal"}, CTX) is False


def test_unknown_attribute_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(ExpressionError) as err:
        _compile("stage.probabilty > 5")
    diag = err.value.diagnostics[0]
    assert diag.code == "RL002"
    assert "probability" in (diag.suggestion or "")
    assert (diag.span.line, diag.span.col) == (1, 7)


def test_type_errors_are_reported() -> None:
    with pytest.raises(ExpressionError) as err:
        _compile('stage.won == "yes"')
    assert err.value.diagnostics[0].code == "RL003"
    with pytest.raises(ExpressionError):
        _compile("stage.label", DslType.NUMBER)


def test_a_field_that_is_not_a_pipeline_has_no_stage() -> None:
    with pytest.raises(ExpressionError) as err:
        _compile("name.probability")
    assert err.value.diagnostics[0].code == "RL009"


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_closure_and_sql_agree(source: str, table: tuple[sa.Engine, sa.Table]) -> None:
    engine, deal = table
    expr = _compile(source)
    with engine.connect() as conn:
        query = sa.select(deal.c.id, expr.to_sql(lambda e: deal, CTX, as_value=True))
        selected = {row[0]: row[1] for row in conn.execute(query)}
        where = None
        if expr.result_type is DslType.BOOLEAN:
            query = sa.select(deal.c.id).where(expr.to_sql(lambda e: deal, CTX))
            where = {row[0] for row in conn.execute(query)}
    for row in ROWS:
        record = {k: v for k, v in row.items() if k != "id"}
        expected = expr.evaluate(record, CTX)
        assert interpret(expr, record, CTX) == expected
        got = selected[row["id"]]
        if expected is None:
            assert got is None, (source, row)
        elif isinstance(expected, Decimal):
            assert Decimal(str(got)) == expected, (source, row)
        elif expr.result_type is DslType.BOOLEAN:
            assert bool(got) is expected, (source, row)
        else:
            assert got == expected, (source, row)
        if where is not None:
            assert (row["id"] in where) is expected, (source, row)
