"""if(), divide() and hash_bucket(): types, positioned errors, filters and stability."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest

from trellis.metadata.model import (
    AppModel,
    DslType,
    EntityDef,
    FieldDef,
    LinesDef,
    RollupDef,
)
from trellis.rules.editor import check_source, complete_expression
from trellis.rules.expr import ExpressionError, compile_expression, interpret
from trellis.rules.expr.hashing import hash_bucket

from rules_test_support import DEAL, MODEL, Db, compile_deal, make_ctx


def _errors(source: str) -> list[tuple[str, int, int, str | None]]:
    with pytest.raises(ExpressionError) as info:
        compile_deal(source)
    return [(d.code, d.span.line, d.span.col, d.suggestion) for d in info.value.diagnostics]


@pytest.mark.parametrize(
    ("source", "result"),
    [
        ('if(active, "a", "b")', DslType.TEXT),
        ("if(active, amount, price)", DslType.NUMBER),
        ("if(active, account, 0)", DslType.NUMBER),
        ("if(active, close_date, null)", DslType.DATE),
        ("if(active, close_date, seen_at)", DslType.DATETIME),
        ("if(active, active, amount > 2)", DslType.BOOLEAN),
        ("if(null, amount, 1)", DslType.NUMBER),
        ("divide(amount, qty)", DslType.NUMBER),
        ("divide(amount, qty, 0)", DslType.NUMBER),
        ("hash_bucket(name, 2)", DslType.NUMBER),
        ("hash_bucket(id, 2)", DslType.NUMBER),
        ("hash_bucket(owner_id, 2)", DslType.NUMBER),
    ],
)
def test_result_types(source: str, result: DslType) -> None:
    assert compile_deal(source).result_type is result


def test_branches_of_different_types_are_a_positioned_error() -> None:
    [(code, line, col, suggestion)] = _errors("if(active, name, 5)")
    assert (code, line, col) == ("RL016", 1, 18)
    assert suggestion == "empty"
    [(code, line, col, _)] = _errors("if(active,\n  close_date,\n  name)")
    assert (code, line, col) == ("RL016", 3, 3)


@pytest.mark.parametrize(
    ("source", "code", "col"),
    [
        ("if(amount, 1, 2)", "RL008", 4),  # the condition must be true/false
        ("if(active, 1)", "RL005", 1),
        ("if(active, tags, tags)", "RL008", 12),
        ("divide(name, 2)", "RL008", 8),
        ("divide(1, 2, 3, 4)", "RL005", 1),
        ("hash_bucket(name, 0)", "RL011", 19),
        ("hash_bucket(name, qty)", "RL011", 19),
        ("hash_bucket(price, 2)", "RL008", 13),
        ("hash_bucket(active, 2)", "RL008", 13),
        ("hash_bucket(account, 2.5)", "RL011", 22),
    ],
)
def test_bad_calls_name_the_argument(source: str, code: str, col: int) -> None:
    assert next((c, ln, cl) for c, ln, cl, _ in _errors(source)) == (code, 1, col)


def _money_model() -> tuple[EntityDef, AppModel]:
    fields = {
        "currency": FieldDef("currency", "string", "Currency"),
        "other_currency": FieldDef("other_currency", "string", "Other"),
        "revenue": FieldDef("revenue", "money", "Revenue", currency_field="currency"),
        "cost": FieldDef("cost", "money", "Cost", currency_field="currency"),
        "budget": FieldDef("budget", "money", "Budget", currency_field="other_currency"),
        "flag": FieldDef("flag", "boolean", "Flag"),
    }
    entity = EntityDef("thing", "Thing", "Things", fields)
    return entity, AppModel("m", "1.0", "M", {"thing": entity})


def test_money_branches_must_share_their_currency() -> None:
    entity, model = _money_model()
    ok = compile_expression("if(flag, revenue, cost)", entity, model)
    assert ok.evaluate({"revenue": 5, "cost": 3}, make_ctx()) == 3
    with pytest.raises(ExpressionError) as info:
        compile_expression("if(flag, revenue, budget)", entity, model)
    [d] = info.value.diagnostics
    assert (d.code, d.span.col) == ("RL016", 19)
    assert "currenc" in d.message and d.suggestion == "cost"


def test_if_short_circuits_and_null_condition_takes_else() -> None:
    expr = compile_deal("if(qty != 0, amount / qty, -1)")
    ctx = make_ctx()
    assert expr.evaluate({"amount": 6, "qty": 0}, ctx) == -1
    assert expr.evaluate({"amount": 6, "qty": 3}, ctx) == 2
    # != is null-safe: empty != 0 is true, so the then branch gives 6 / empty: empty.
    assert interpret(expr, {"amount": 6}, ctx) is None
    assert compile_deal("if(active, 1, 2)").evaluate({}, ctx) == 2


ROWS = [
    {"id": 1, "amount": 150, "qty": 50, "active": True, "name": "a"},
    {"id": 2, "amount": 10, "qty": 0, "active": False, "name": "b"},
    {"id": 3, "amount": 90, "qty": None, "active": None, "name": None},
    {"id": 4, "amount": 40, "qty": 20, "active": True, "name": ""},
]


@pytest.mark.parametrize(
    "source",
    [
        "divide(amount - qty, qty) > 1",
        "divide(amount - qty, qty, 0) == 0",
        "if(active, amount, qty) >= 20",
        'if(active, "on", "off") == "off"',
        "if(active, amount > 100, qty is empty)",
        "hash_bucket(name, 2) == 1",
        "hash_bucket(id, 3) == 0",
        "hash_bucket(name, 2) is empty",
    ],
)
def test_filters_select_what_the_closure_accepts(db: Db, source: str) -> None:
    expr, ctx = compile_deal(source), make_ctx()
    expected = {r["id"] for r in ROWS if expr.evaluate(r, ctx)}
    with db.engine.begin() as conn:
        db.load(conn, ROWS)
        assert db.selected_ids(conn, expr, ctx) == expected


def test_hash_bucket_spreads_evenly_and_is_stable_across_processes() -> None:
    counts = Counter(hash_bucket(f"member{i}@example.com", 2) for i in range(2000))
    assert set(counts) == {0, 1} and abs(counts[0] - counts[1]) < 200
    code = (
        "from trellis.rules.expr.hashing import hash_bucket;"
        "print([hash_bucket(f'member{i}@example.com', 7) for i in range(50)])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    assert out == str([hash_bucket(f"member{i}@example.com", 7) for i in range(50)])


@pytest.mark.parametrize(
    "source", ['-(hash_bucket("", 2))', "-(abs(null))", "-(if(true, null, 1))"]
)
def test_minus_of_a_folded_empty_number_is_empty(source: str) -> None:
    assert compile_deal(source).evaluate({}, make_ctx()) is None


def test_if_in_a_date_formula_stays_a_date() -> None:
    expr = compile_deal("if(active, close_date, today())")
    assert expr.evaluate({"active": None, "close_date": date(2026, 1, 2)}, make_ctx()) == date(
        2026, 3, 15
    )


def test_editor_completes_and_checks_the_new_functions() -> None:
    _, _, functions = complete_expression("amount > di", DEAL, MODEL)
    assert "divide" in functions
    assert complete_expression("i", DEAL, MODEL)[2] == ["if"]
    assert "hash_bucket" in complete_expression("ha", DEAL, MODEL)[2]
    report = check_source('if(active, "a",\n 2)', DEAL, MODEL).as_json()
    assert not report["valid"]
    [error] = report["errors"]
    assert (error["code"], error["line"], error["column"]) == ("RL016", 2, 2)
    assert error["suggestion"]


def test_aggregating_lines_points_at_a_rollup() -> None:
    line = EntityDef("invoice_line", "Line", "Lines", {"total": FieldDef("total", "decimal", "T")})
    invoice = EntityDef(
        "invoice",
        "Invoice",
        "Invoices",
        {
            "discount": FieldDef("discount", "decimal", "D"),
            "subtotal": FieldDef(
                "subtotal",
                "decimal",
                "S",
                rollup=RollupDef("invoice_line", "invoice", "sum", "total"),
            ),
        },
        lines={"items": LinesDef("items", "invoice_line", "Items", parent_field="invoice")},
    )
    model = AppModel("m", "1.0", "M", {"invoice": invoice, "invoice_line": line})
    with pytest.raises(ExpressionError) as info:
        compile_expression("sum(items.total) - discount", invoice, model)
    by_code = {d.code: d for d in info.value.diagnostics}
    assert (by_code["RL004"].span.col, by_code["RL002"].span.col) == (1, 5)
    assert "rollup: {from: invoice_line.invoice, agg: sum" in by_code["RL002"].message
    assert "agg: sum" in by_code["RL004"].message
    # The rollup the package already has is the suggestion.
    assert by_code["RL002"].suggestion == by_code["RL004"].suggestion == "subtotal"
