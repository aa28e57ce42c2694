"""Who a user's ``team`` is, and the user's attributes, read from the tenant's members.

Each tenant's member profiles are read in one query and kept for at most
``DIRECTORY_SECONDS``, so a change of teams, manager or attributes (from the CLI, the
admin API or another process) takes effect within that time. A user's team is the
user, every member sharing one of the user's teams, and everyone who reports to the
user directly or through other managers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from trellis.platform.config import Clock, SystemClock
from trellis.tenants.registry import TenantRegistry
from trellis.tenants.registry.members import MemberProfile, list_members

#: Seconds a tenant's member profiles are trusted before they are read again.
DIRECTORY_SECONDS = 1.0
#: Tenants whose profiles are kept.
MAX_TENANTS = 2048
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Subject:
    """The calling user as record scopes and ``user.<name>`` conditions see them."""

    user_id: int
    #: Owners whose records the ``team`` scope reaches (always includes the user).
    team: frozenset[int]
    attributes: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def alone(cls, user_id: int) -> Subject:
        """A user without teams, reports or attributes."""
        return cls(user_id, frozenset({user_id}))


@dataclass(slots=True)
class TenantMembers:
    """One tenant's member profiles at one moment, with derived teams cached."""

    profiles: Mapping[int, MemberProfile]
    _subjects: dict[int, Subject] = field(default_factory=dict)

    def subject(self, user_id: int) -> Subject:
        """The subject of ``user_id`` (a non-member has no team and no attributes)."""
        found = self._subjects.get(user_id)
        if found is None:
            found = self._build(user_id)
            self._subjects[user_id] = found
        return found

    def _build(self, user_id: int) -> Subject:
        me = self.profiles.get(user_id)
        if me is None:
            return Subject.alone(user_id)
        team = {user_id}
        mine = set(me.teams)
        if mine:
            team.update(p.user_id for p in self.profiles.values() if mine & set(p.teams))
        reports: dict[int, list[int]] = {}
        for p in self.profiles.values():
            if p.manager_id is not None:
                reports.setdefault(p.manager_id, []).append(p.user_id)
        below = {user_id}
        stack = [user_id]
        while stack:
            for report in reports.get(stack.pop(), ()):
                if report not in below:
                    below.add(report)
                    stack.append(report)
        team.update(below)
        return Subject(user_id, frozenset(team), me.attributes)


class MemberDirectory:
    """Member profiles per tenant, re-read at most every ``DIRECTORY_SECONDS``."""

    def __init__(
        self,
        registry: TenantRegistry,
        *,
        ttl: float = DIRECTORY_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self._registry = registry
        self._ttl = ttl
        self._clock: Clock = clock or SystemClock()
        self._items: OrderedDict[str, tuple[TenantMembers, float]] = OrderedDict()
        self._lock = threading.Lock()

    def members(self, tenant: str) -> TenantMembers:
        """The current profiles of tenant ``tenant`` (none for an unknown tenant)."""
        now = self._clock.monotonic()
        with self._lock:
            hit = self._items.get(tenant)
            if hit is not None and now - hit[1] < self._ttl:
                self._items.move_to_end(tenant)
                return hit[0]
        info = self._registry.get_tenant(tenant)
        found = list_members(self._registry, info.id) if info is not None else []
        fresh = TenantMembers(MappingProxyType({p.user_id: p for p in found}))
        with self._lock:
            self._items[tenant] = (fresh, now)
            self._items.move_to_end(tenant)
            while len(self._items) > MAX_TENANTS:
                self._items.popitem(last=False)
        return fresh

    def subject(self, tenant: str, user_id: int) -> Subject:
        """The subject of ``user_id`` in tenant ``tenant``."""
        return self.members(tenant).subject(user_id)

    def forget(self, tenant: str) -> None:
        """Drop the cached profiles of a tenant (this process changed them)."""
        with self._lock:
            self._items.pop(tenant, None)


__all__ = ["DIRECTORY_SECONDS", "MemberDirectory", "Subject", "TenantMembers"]
