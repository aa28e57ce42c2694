"""Teams from member profiles: shared teams, the transitive manager chain, no loops."""

from __future__ import annotations

from types import MappingProxyType

from trellis.platform.authz.directory import Subject, TenantMembers
from trellis.tenants.registry.members import MemberProfile


def _members(*rows: tuple[int, tuple[str, ...], int | None]) -> TenantMembers:
    profiles = {
        uid: MemberProfile(uid, f"u{uid}@x.test", ("rep",), teams, manager)
        for uid, teams, manager in rows
    }
    return TenantMembers(MappingProxyType(profiles))


def test_team_is_self_teammates_and_every_report() -> None:
    members = _members(
        (1, ("north",), None),
        (2, (), 1),  # reports to 1
        (3, (), 2),  # reports to 2: transitively to 1
        (4, ("north", "south"), None),  # shares north with 1
        (5, ("south",), None),  # shares south with 4 only
        (6, (), None),
    )
    assert members.subject(1).team == frozenset({1, 2, 3, 4})
    assert members.subject(2).team == frozenset({2, 3})
    assert members.subject(4).team == frozenset({1, 4, 5})
    assert members.subject(6).team == frozenset({6})


def test_a_loop_in_stored_data_does_not_hang() -> None:
    members = _members((1, (), 2), (2, (), 1))
    assert members.subject(1).team == frozenset({1, 2})


def test_non_member_stands_alone() -> None:
    assert _members().subject(9) == Subject.alone(9)
