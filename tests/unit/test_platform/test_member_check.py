"""The owner check's answers: a member is remembered briefly, a non-member never."""

from __future__ import annotations

from typing import Any, cast

from trellis.platform.config import FakeClock
from trellis.platform.runtime.member_check import MemberCheck
from trellis.tenants.registry import TenantRegistry


class _Registry:
    """Answers ``member_identity`` from a set and counts the questions."""

    def __init__(self) -> None:
        self.members = {("acme", 1)}
        self.asked = 0

    def member_identity(self, tenant: str, user_id: int) -> Any:
        self.asked += 1
        return object() if (tenant, user_id) in self.members else None


def _check() -> tuple[MemberCheck, _Registry, FakeClock]:
    registry, clock = _Registry(), FakeClock()
    return MemberCheck(cast(TenantRegistry, registry), clock, ttl=2.0), registry, clock


def test_a_member_is_remembered_until_the_answer_is_old() -> None:
    check, registry, clock = _check()
    assert check("acme", 1) and check("acme", 1)
    assert registry.asked == 1
    registry.members.clear()
    clock.advance(2.5)
    assert not check("acme", 1) and registry.asked == 2


def test_a_non_member_is_asked_again_and_accepted_once_added() -> None:
    check, registry, _ = _check()
    assert not check("acme", 2)
    registry.members.add(("acme", 2))
    assert check("acme", 2) and registry.asked == 2
    assert not check("other", 1)  # answers are per tenant


def test_forgetting_the_tenant_drops_its_answers() -> None:
    check, registry, _ = _check()
    assert check("acme", 1)
    registry.members.clear()
    check.forget("acme")
    assert not check("acme", 1)
