"""An LRU of per-tenant Casbin enforcers built from the published roles.

Policy rows are derived from ``roles.yaml`` of the tenant's published version, which
the system database already stores (``metadata_versions``); the enforcer is built
from that compiled model in memory, so there is no second copy of the policy to keep
in sync. A publish changes the version and so the cache key. Grouping rows (user ->
role) come from the caller's membership, re-read with the token every 2 seconds; a
change replaces that user's rows in place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache
from importlib.resources import files

import casbin

from trellis.metadata.model import ADMIN_ROLE, AppModel

#: Enforcers kept (one per tenant and published version).
DEFAULT_CACHE_SIZE = 2048
#: Remembered decisions per enforcer (role sets x entities x actions).
MAX_DECISIONS = 4096


@cache
def model_text() -> str:
    """The Casbin model (``model.conf``, shipped as package data)."""
    return (files("trellis.platform.authz") / "model.conf").read_text(encoding="utf-8")


def policy_rules(model: AppModel, domain: str) -> list[list[str]]:
    """The ``p`` rows of ``model``'s roles in ``domain``: role, domain, entity, action."""
    rows = [[ADMIN_ROLE, domain, "*", "*"]]
    for role in model.roles.values():
        for access in role.entities.values():
            rows.extend([role.name, domain, access.entity, a] for a in access.actions)
    return rows


def subject(user_id: int) -> str:
    """The Casbin subject of a user."""
    return f"user:{user_id}"


class TenantEnforcer:
    """One tenant's enforcer: role policies of one version plus users' role rows."""

    def __init__(self, model: AppModel, domain: str) -> None:
        self.domain = domain
        self._enforcer = casbin.Enforcer(casbin.Enforcer.new_model(text=model_text()))
        # Never empty: the admin row is always there (pitfall 2 concerns eval() only).
        self._enforcer.add_policies(policy_rules(model, domain))
        self._users: dict[int, tuple[str, ...]] = {}
        #: Decisions per (roles, entity, action): a pure function of the role set,
        #: since this enforcer's ``p`` rows never change (a publish builds a new one).
        self._decisions: dict[tuple[tuple[str, ...], str, str], bool] = {}
        self._lock = threading.Lock()

    def sync_user(self, user_id: int, roles: tuple[str, ...]) -> None:
        """Make the user's grouping rows equal ``roles`` (no-op when unchanged)."""
        roles = tuple(sorted(set(roles)))
        if self._users.get(user_id) == roles:
            return
        with self._lock:
            sub = subject(user_id)
            self._enforcer.remove_filtered_grouping_policy(0, sub)
            if roles:
                self._enforcer.add_grouping_policies([[sub, r, self.domain] for r in roles])
            self._users[user_id] = roles

    def role_allows(self, role: str, entity: str, action: str) -> bool:
        """Whether role ``role`` alone grants ``action`` on ``entity`` (for explanations)."""
        return bool(self._enforcer.enforce(role, self.domain, entity, action))

    def allowed(self, user_id: int, entity: str, action: str) -> bool:
        """Whether the user's roles grant ``action`` on ``entity``.

        Decided by Casbin once per (role set, entity, action), then remembered.
        """
        roles = self._users.get(user_id)
        if roles is None:
            return bool(self._enforcer.enforce(subject(user_id), self.domain, entity, action))
        key = (roles, entity, action)
        found = self._decisions.get(key)
        if found is None:
            found = any(self.role_allows(role, entity, action) for role in roles)
            if len(self._decisions) < MAX_DECISIONS:
                self._decisions[key] = found
        return found


class EnforcerCache:
    """Least-recently-used enforcers keyed by (tenant, published version)."""

    def __init__(self, max_entries: int = DEFAULT_CACHE_SIZE) -> None:
        self._max = max_entries
        self._items: OrderedDict[tuple[str, int], TenantEnforcer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant: str, version: int, model: AppModel) -> TenantEnforcer:
        """The enforcer of ``tenant`` at ``version``, built on first use."""
        key = (tenant, version)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        built = TenantEnforcer(model, tenant)
        with self._lock:
            for old in [k for k in self._items if k[0] == tenant]:
                del self._items[old]
            self._items[key] = built
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return built

    def evict(self, tenant: str) -> None:
        """Forget every enforcer of ``tenant``."""
        with self._lock:
            for key in [k for k in self._items if k[0] == tenant]:
                del self._items[key]

    def __len__(self) -> int:
        return len(self._items)


__all__ = ["EnforcerCache", "TenantEnforcer", "model_text", "policy_rules", "subject"]
