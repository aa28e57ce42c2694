"""Type checking: fields resolve against the metadata, mistakes get stable codes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from trellis.metadata.model import DslType, SourceSpan
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.expr import ExpressionError
from trellis.rules.expr import typed as t
from trellis.rules.expr.codes import CODES

from rules_test_support import DEAL, MODEL, compile_deal, make_ctx


def _errors(source: str, **kw: object) -> list[tuple[str, int, int, str | None]]:
    with pytest.raises(ExpressionError) as info:
        compile_deal(source, **kw)
    return [(d.code, d.span.line, d.span.col, d.suggestion) for d in info.value.diagnostics]


def _message(source: str) -> str:
    with pytest.raises(ExpressionError) as info:
        compile_deal(source)
    return info.value.diagnostics[0].message


@pytest.mark.parametrize(
    ("source", "result"),
    [
        ("amount", DslType.NUMBER),
        ("price * qty", DslType.NUMBER),
        ("name", DslType.TEXT),
        ("stage", DslType.TEXT),
        ("active", DslType.BOOLEAN),
        ("close_date", DslType.DATE),
        ("seen_at", DslType.DATETIME),
        ("created_at", DslType.DATETIME),
        ("owner_id", DslType.NUMBER),
        ("tags", DslType.LIST),
        ("account", DslType.REFERENCE),
        ("account.industry", DslType.TEXT),
        ("account.parent.labels", DslType.LIST),
        ("payload", DslType.JSON),
        ("close_date + 3", DslType.DATE),
        ("3 + close_date", DslType.DATE),
        ("close_date - 3", DslType.DATE),
        ("close_date - today()", DslType.NUMBER),
        ("seen_at - close_date", DslType.NUMBER),
        ("now() - hours(4)", DslType.DATETIME),
        ("amount > 1 and not active", DslType.BOOLEAN),
        ("null", DslType.NULL),
        ('coalesce(name, "x")', DslType.TEXT),
        ("coalesce(account, owner_id)", DslType.NUMBER),
    ],
)
def test_result_types(source: str, result: DslType) -> None:
    assert compile_deal(source).result_type is result


def test_field_paths_are_listed_once_in_order() -> None:
    expr = compile_deal('account.industry == "x" or amount > 1 and account.industry != name')
    assert expr.field_paths == (("account", "industry"), ("amount",), ("name",))


def test_reference_paths_record_each_hop() -> None:
    tree = compile_deal("account.parent.industry").tree
    assert isinstance(tree, t.Field)
    assert tree.hops == (t.Hop("account", "account"), t.Hop("parent", "account"))
    assert (tree.entity, tree.column) == ("account", "industry")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("amout > 1", [("RL002", 1, 1, "amount")]),
        ("account.industy", [("RL002", 1, 9, "industry")]),
        ("created_att", [("RL002", 1, 1, "created_at")]),
        ("zzz", [("RL002", 1, 1, None)]),
        ('amount + "x"', [("RL003", 1, 8, None)]),
        ('close_date > "2026-01-01"', [("RL003", 1, 12, None)]),
        ("active + 1", [("RL003", 1, 8, None)]),
        ("amount and active", [("RL003", 1, 8, None)]),
        ("not amount", [("RL003", 1, 1, None)]),
        ("-name", [("RL003", 1, 1, None)]),
        ("tags == tags", [("RL003", 1, 6, None)]),
        ("amount in tags", [("RL003", 1, 8, None)]),
        ('"a" in name', [("RL003", 1, 5, None)]),
        ('amount contains "1"', [("RL003", 1, 8, None)]),
        ('tags starts_with "a"', [("RL003", 1, 6, None)]),
        ('amount in (1, "a")', [("RL003", 1, 15, None)]),
        ("lenn(name)", [("RL004", 1, 1, "len")]),
        ("days_between(close_date)", [("RL005", 1, 1, None)]),
        ("today(1)", [("RL005", 1, 1, None)]),
        ("round(1, 2, 3)", [("RL005", 1, 1, None)]),
        ("coalesce(name)", [("RL005", 1, 1, None)]),
        ("lower(amount)", [("RL008", 1, 7, None)]),
        ("year(name)", [("RL008", 1, 6, None)]),
        ("coalesce(name, 1)", [("RL008", 1, 1, None)]),
        ("min(close_date, 1)", [("RL008", 1, 1, None)]),
        ("amount == null", [("RL007", 1, 8, None)]),
        ("empty != name", [("RL007", 1, 7, None)]),
        ("amount < empty", [("RL007", 1, 8, None)]),
        ("amount in (1, null)", [("RL007", 1, 8, None)]),
        ("name.first", [("RL009", 1, 6, None)]),
        ("owner_id.name", [("RL009", 1, 10, None)]),
        ('stage == "proposl"', [("RL010", 1, 10, "proposal")]),
        ('stage in ("new", "wonn")', [("RL010", 1, 18, "won")]),
        ('date("2026-02-30")', [("RL011", 1, 6, None)]),
        ('datetime("tomorrow")', [("RL011", 1, 10, None)]),
        ("date(name)", [("RL011", 1, 6, None)]),
        ("round(price, qty)", [("RL011", 1, 14, None)]),
        ("99999999999999999999", [("RL011", 1, 1, None)]),
    ],
)
def test_errors_have_codes_positions_and_suggestions(
    source: str, expected: list[tuple[str, int, int, str | None]]
) -> None:
    assert _errors(source) == expected


def test_every_problem_is_reported_at_once() -> None:
    assert _errors('amout > 1 and stage == "neww" or lenn(name)') == [
        ("RL002", 1, 1, "amount"),
        ("RL010", 1, 24, "new"),
        ("RL004", 1, 34, "len"),
    ]


def test_a_bad_operand_does_not_cause_follow_up_errors() -> None:
    assert _errors("amout + 1 > 2 and lower(amout) == 1") == [
        ("RL002", 1, 1, "amount"),
        ("RL002", 1, 25, "amount"),
    ]


def test_expected_result_type() -> None:
    assert compile_deal("amount > 1", expected=DslType.BOOLEAN).result_type is DslType.BOOLEAN
    assert compile_deal("account", expected=DslType.NUMBER).result_type is DslType.REFERENCE
    assert compile_deal("null", expected=DslType.DATE).result_type is DslType.NULL
    assert _errors("amount * 2", expected=DslType.BOOLEAN) == [("RL006", 1, 1, None)]


def test_wrong_result_type_message() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_deal("today() + 30", expected=DslType.TEXT)
    assert info.value.diagnostics[0].message == (
        "The expression gives date, but text is expected here"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("amout", "Unknown field 'amout' on entity 'deal'"),
        (
            'amount + "x"',
            "'+' cannot combine 'amount' (number) and \"x\" (text); join text with concat()",
        ),
        (
            'close_date > "2026-01-01"',
            "Cannot compare 'close_date' (date) with \"2026-01-01\" (text) using '>'",
        ),
        ("amount == null", "Write 'amount is empty' to test for an empty value, not '== empty'"),
        ("name != empty", "Write 'name is not empty' to test for an empty value, not '!= empty'"),
        (
            "days_between(close_date)",
            "days_between() takes 2 arguments (days_between(date, date)), got 1",
        ),
        (
            "lower(amount)",
            "Argument 1 of lower() must be text, got 'amount' (number) (lower(text))",
        ),
        (
            "name.first",
            "'name' is a string field, not a reference, so 'first' cannot be read through it",
        ),
        (
            'stage == "x"',
            "'x' is not an option of field 'stage' (options: new, proposal, negotiation, won)",
        ),
        ("amount and active", "'and' needs true/false values, but 'amount' (number) is not"),
    ],
)
def test_messages_name_the_operands(source: str, message: str) -> None:
    assert _message(source) == message


def test_diagnostics_are_placed_in_the_yaml_file() -> None:
    span = SourceSpan("entities/deal.yaml", 9, 12)
    with pytest.raises(ExpressionError) as info:
        compile_deal("amount > 1 and\n  amout < 5", span=span)
    (diag,) = info.value.diagnostics
    assert str(diag) == (
        "entities/deal.yaml:10:3: error RL002: Unknown field 'amout' on entity 'deal' "
        "(did you mean 'amount'?)"
    )
    assert diag.context == "  amout < 5\n  ^"


def test_date_and_datetime_literals_are_checked_and_folded() -> None:
    tree = compile_deal('date("2026-01-31")').tree
    assert tree == t.Const(DslType.DATE, 1, 1, date(2026, 1, 31))
    tree = compile_deal('datetime("2026-01-31T11:00:00+01:00")').tree
    assert isinstance(tree, t.Const)
    assert tree.value == datetime(2026, 1, 31, 10, tzinfo=UTC)


def test_date_compared_with_datetime_is_promoted() -> None:
    tree = compile_deal("seen_at >= close_date").tree
    assert isinstance(tree, t.Compare)
    assert isinstance(tree.right, t.ToDatetime)


def test_every_code_is_documented() -> None:
    assert sorted(CODES) == [f"RL0{n:02d}" for n in range(1, 18)] + ["RL099"]


class TestRuleExpressionChecker:
    span = SourceSpan("entities/deal.yaml", 4, 10)

    def test_valid_expression_gives_no_diagnostics(self) -> None:
        checker = RuleExpressionChecker()
        assert (
            checker.check("amount > 1", DEAL, MODEL, expected=DslType.BOOLEAN, span=self.span) == []
        )

    def test_problems_become_diagnostics(self) -> None:
        diags = RuleExpressionChecker().check(
            "amout > 1 and", DEAL, MODEL, expected=DslType.BOOLEAN, span=self.span
        )
        assert [(d.code, str(d.span)) for d in diags] == [("RL001", "entities/deal.yaml:4:23")]
        diags = RuleExpressionChecker().check(
            "amount * 2", DEAL, MODEL, expected=DslType.BOOLEAN, span=self.span
        )
        assert [d.code for d in diags] == ["RL006"]

    @pytest.mark.parametrize(
        "source", ["", "((((", "\x00", "'", "a" * 5000, "(" * 500 + "1" + ")" * 500]
    )
    def test_never_raises(self, source: str) -> None:
        diags = RuleExpressionChecker().check(source, DEAL, MODEL, expected=None, span=self.span)
        assert all(d.code.startswith("RL") for d in diags)


def test_long_chains_compile_and_very_deep_nesting_is_refused() -> None:
    chain = " or ".join(f"amount == {i}" for i in range(150))
    assert compile_deal(chain).evaluate({"amount": 149}, make_ctx()) is True
    assert _errors("not " * 300 + "active") == [("RL012", 1, 1, None)]
