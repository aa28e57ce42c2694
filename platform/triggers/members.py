"""Who can be assigned: members of the tenant by role, for ``round_robin("role")``.

The tenant API binds each compiled app to its tenant's registry on first use, so
the trigger hook (built from the app alone) can ask for the members of a role.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from weakref import WeakKeyDictionary

from trellis.platform.records.compiled import CompiledApp
from trellis.tenants.registry import TenantRegistry

#: ``lookup(role)`` -> ids of the tenant's members having that role, ascending.
MemberLookup = Callable[[str], Sequence[int]]

_LOOKUPS: WeakKeyDictionary[CompiledApp, MemberLookup] = WeakKeyDictionary()


def bind_members(app: CompiledApp, registry: TenantRegistry, tenant_id: int) -> None:
    """Let the rules of ``app`` look up members of tenant ``tenant_id`` (idempotent)."""
    if app not in _LOOKUPS:
        _LOOKUPS[app] = partial(registry.members_with_role, tenant_id)


def set_member_lookup(app: CompiledApp, lookup: MemberLookup) -> None:
    """Use ``lookup`` for the members of ``app``'s tenant (jobs, tests)."""
    _LOOKUPS[app] = lookup


def member_lookup(app: CompiledApp) -> MemberLookup | None:
    """The member lookup bound to ``app``, if any."""
    return _LOOKUPS.get(app)


__all__ = ["MemberLookup", "bind_members", "member_lookup", "set_member_lookup"]
