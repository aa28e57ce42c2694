"""Helpers that replaced copies: admin-list limits, the chain-depth check, diagnostic errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from trellis.metadata.diagnostics import Diagnostic, DiagnosticError, MetadataError
from trellis.metadata.model import SourceSpan
from trellis.platform.api.requests import LIST_MAX_LIMIT, parse_list_limit
from trellis.platform.records.errors import BadRequestError, ConflictError
from trellis.platform.records.principal import SYSTEM
from trellis.platform.records.save_context import MAX_CHAIN_DEPTH, SaveContext, chained
from trellis.rules.expr import ExpressionError
from trellis.rules.triggers import RuleFileError


def test_list_limit_defaults_and_bounds() -> None:
    assert parse_list_limit(None) == 50
    assert parse_list_limit("1") == 1
    assert parse_list_limit(str(LIST_MAX_LIMIT)) == LIST_MAX_LIMIT
    for raw in ("0", str(LIST_MAX_LIMIT + 1), "-3", "ten", ""):
        with pytest.raises(BadRequestError) as caught:
            parse_list_limit(raw)
        assert caught.value.message == f"Parameter 'limit' has value '{raw}'. Use 1 to 500."


def test_chain_depth_refuses_only_past_the_limit() -> None:
    engine = sa.create_engine("sqlite://")
    built: list[str] = []

    def message() -> str:
        built.append("built")
        return "too deep"

    with engine.connect() as conn:
        ctx = SaveContext(conn, SYSTEM, datetime(2026, 1, 1, tzinfo=UTC))
        ctx.depth = MAX_CHAIN_DEPTH - 1
        with chained(ctx, "rule", message):
            assert ctx.depth == MAX_CHAIN_DEPTH
            with pytest.raises(ConflictError) as caught, chained(ctx, "rule", message):
                pass  # pragma: no cover - refused before the block runs
        assert ctx.depth == MAX_CHAIN_DEPTH - 1
    assert caught.value.message == "too deep"
    assert built == ["built"]  # the message is built only when the save is refused


@pytest.mark.parametrize("error", [MetadataError, ExpressionError, RuleFileError])
def test_diagnostic_errors_sort_and_print_every_diagnostic(error: type[DiagnosticError]) -> None:
    late = Diagnostic("RL001", "second", SourceSpan("b.rules", 3, 1))
    early = Diagnostic("RL002", "first", SourceSpan("a.rules", 9, 4))
    raised = error([late, early])
    assert isinstance(raised, DiagnosticError)
    assert raised.diagnostics == [early, late]
    assert str(raised) == f"{early}\n{late}"
