"""``user.<attribute>`` in role conditions: checked at publish, bound per user to SQL."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from trellis.metadata.loader import validate_package
from trellis.metadata.model import DslType
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.expr import EvalContext, ExpressionError, compile_expression

DEAL = """
    fields:
      name: {type: string}
      region: {type: string}
      amount: {type: integer}
"""


def _package(root: Path, where: str) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: t\nversion: 1.0.0\nlabel: T\n", encoding="utf-8")
    (root / "entities" / "deal.yaml").write_text(textwrap.dedent(DEAL), encoding="utf-8")
    roles = (
        "roles:\n  rep:\n    entities:\n      deal:\n        actions: [read]\n"
        f"        where: '{where}'\n"
    )
    (root / "roles.yaml").write_text(roles, encoding="utf-8")
    return root


def _diagnostics(tmp_path: Path, where: str) -> list[str]:
    report = validate_package(_package(tmp_path, where), checker=RuleExpressionChecker())
    return [f"{d.span.line}:{d.span.col} {d.code} {d.message}" for d in report.diagnostics]


def test_any_user_attribute_is_accepted_as_text(tmp_path: Path) -> None:
    assert _diagnostics(tmp_path, 'region == user.region and user.tier != "x"') == []


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("region == user.region and", "6:16 MD073"),  # syntax: positioned in the file
        ("amount > user.limit", "6:16 MD073"),  # text compared with a number
        ("region == user.a.b", "6:16 MD073"),  # nothing can be read through an attribute
        ("regoin == user.region", "6:16 MD073"),  # an unknown field is still an error
    ],
)
def test_bad_conditions_are_positioned_errors(tmp_path: Path, where: str, expected: str) -> None:
    found = _diagnostics(tmp_path, where)
    assert len(found) == 1, found
    line_col, code = expected.split()
    assert found[0].split()[1] == code
    line, col = (int(x) for x in line_col.split(":"))
    reported = tuple(int(x) for x in found[0].split()[0].split(":"))
    assert reported[0] == line and reported[1] >= col


def test_user_attribute_binds_the_value_into_sql(tmp_path: Path) -> None:
    report = validate_package(_package(tmp_path, "true"), checker=RuleExpressionChecker())
    model = report.model
    assert model is not None
    deal = model.entities["deal"]
    md = sa.MetaData()
    table = sa.Table("deal", md, sa.Column("id", sa.Integer), sa.Column("region", sa.String))
    ctx = EvalContext(now=datetime(2026, 1, 1, tzinfo=UTC))
    eu = compile_expression("region == user.region", deal, model, user={"region": "EU"})
    assert eu.result_type is DslType.BOOLEAN
    sql = str(eu.to_sql(lambda _n: table, ctx).compile(compile_kwargs={"literal_binds": True}))
    assert sql == "deal.region = 'EU'"
    missing = compile_expression("region == user.region", deal, model, user={})
    sql = str(missing.to_sql(lambda _n: table, ctx).compile())
    assert sql == "deal.region IS NULL"
    assert eu.evaluate({"region": "EU"}, ctx) is True
    assert eu.evaluate({"region": "US"}, ctx) is False
    # Without user attributes, ``user`` is an ordinary (here unknown) field name.
    with pytest.raises(ExpressionError):
        compile_expression("region == user.region", deal, model)
