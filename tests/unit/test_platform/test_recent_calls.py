"""Recently authenticated calls: fresh for the version-check interval, forgotten at once."""

from __future__ import annotations

from typing import Any, cast

from trellis.platform.api.recent_calls import RecentCalls
from trellis.platform.authz.call import Call
from trellis.platform.config import FakeClock


def a_call(name: str) -> Call:
    return cast(Call, name)  # the cache never looks inside a call


def test_a_call_is_kept_for_the_interval_then_dropped() -> None:
    clock = FakeClock()
    recent = RecentCalls(clock, seconds=1.0)
    recent.keep("acme", "Bearer t1", a_call("first"))

    assert recent.get("acme", "Bearer t1") == "first"
    assert recent.get("acme", "Bearer t2") is None
    assert recent.get("globex", "Bearer t1") is None
    clock.advance(0.99)
    assert recent.get("acme", "Bearer t1") == "first"
    clock.advance(0.02)
    assert recent.get("acme", "Bearer t1") is None


def test_forgetting_a_tenant_drops_its_calls_only() -> None:
    recent = RecentCalls(FakeClock(), seconds=60.0)
    recent.keep("acme", "Bearer a", a_call("a"))
    recent.keep("globex", "Bearer g", a_call("g"))

    recent.forget("acme")

    assert recent.get("acme", "Bearer a") is None
    assert recent.get("globex", "Bearer g") == "g"


def test_no_header_is_never_answered_and_the_cache_is_bounded() -> None:
    recent = RecentCalls(FakeClock(), seconds=60.0, size=2)
    for n in range(3):
        recent.keep("acme", f"Bearer {n}", a_call(str(n)))
    found: list[Any] = [recent.get("acme", f"Bearer {n}") for n in range(3)]

    assert found == [None, "1", "2"]
    assert recent.get("acme", None) is None
    assert recent.get("acme", "") is None
