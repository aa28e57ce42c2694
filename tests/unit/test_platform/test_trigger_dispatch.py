"""The trigger dispatchers match every action kind and let no other type through."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import pytest

from trellis.platform.triggers.actions import AfterActions
from trellis.platform.triggers.changes import RecordChanger
from trellis.rules.triggers import Action, CompiledRule, Phase

RULE = CompiledRule(
    name="r",
    path="rules/a.rules",
    line=1,
    kind="events",
    entity="deal",
    events=("created",),
    field=None,
    phase=Phase.AFTER,
    when=None,
    actions=(),
)


@dataclasses.dataclass(frozen=True, slots=True)
class _UnknownAction:
    """Not a member of ``Action``: mypy refuses it (see test_triggers_typed_actions);
    at run time the dispatchers' ``assert_never`` does."""

    url: str = "https://example.com/x"


def test_an_unknown_action_never_passes_the_after_save_dispatcher() -> None:
    dispatch = AfterActions(cast(Any, None), cast(Any, None))
    changes: dict[str, Any] = {}
    with pytest.raises(AssertionError, match="Expected code to be unreachable"):
        dispatch.run(cast(Any, None), RULE, cast(Action, _UnknownAction()), changes)
    assert changes == {}


def test_an_unknown_action_never_passes_the_record_changer() -> None:
    changer = RecordChanger.__new__(RecordChanger)  # no store needed: it never gets that far
    with pytest.raises(AssertionError, match="Expected code to be unreachable"):
        changer.value(
            cast(Any, None), RULE, cast(Any, _UnknownAction()), cast(Any, None), {}, None, None
        )
