"""An LRU of per-tenant Casbin enforcers, loaded with the tenant's filtered policy.

Policy rows are stored by a small Core adapter (:mod:`.policy_store`). ``p``
rows are derived from ``roles.yaml`` of the published version: a publish writes them,
and building an enforcer for (tenant, version) loads the tenant's ``p`` and ``g`` rows
(one filtered SELECT) and, when the ``p`` rows differ from that version's roles (first
use, a publish that crashed before writing them, a hand edit), replaces them in one
transaction and loads again. A publish changes the version and so the cache key;
``evict(tenant)`` drops a tenant's enforcers (the runtime's forget hooks call it when
another process changed the tenant).

``g`` rows (``user:<id>``, role, tenant) mirror the membership table, which stays the
source of role assignment: the CLI and the ``_users`` API write them when they change
roles, and ``sync_user`` (run with the roles the token lookup read, on each request)
writes a user's rows whenever they differ from what the enforcer loaded, which catches
every other path. Without a store the enforcer is built in memory, as before.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from importlib.resources import files

import casbin
import sqlalchemy as sa

from trellis.metadata.model import ADMIN_ROLE, AppModel
from trellis.platform.authz.policy_store import PolicyStore

LOG = logging.getLogger("trellis.authz")

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


def store_published(store: PolicyStore, tenant: str, model: AppModel) -> None:
    """Store the ``p`` rows of ``tenant``'s just published ``model``.

    Called after the publish committed: a failure is logged, not raised, since the
    first enforcer built for the new version re-writes the rows anyway.
    """
    try:
        store.replace_policies(tenant, policy_rules(model, tenant))
    except sa.exc.SQLAlchemyError:
        LOG.warning("Could not store the policies of %s.", tenant, exc_info=True)


def subject(user_id: int) -> str:
    """The Casbin subject of a user."""
    return f"user:{user_id}"


def store_roles(store: PolicyStore, tenant: str, user_id: int, roles: Sequence[str]) -> None:
    """Store the ``g`` rows of ``user_id`` in ``tenant``: one per role (after a change)."""
    store.replace_user(tenant, subject(user_id), sorted(set(roles)))


def _user_id(sub: str) -> int | None:
    """The user id of subject ``sub`` (None for another shape)."""
    prefix, _, rest = sub.partition(":")
    return int(rest) if prefix == "user" and rest.isdigit() else None


def _same(a: list[list[str]], b: list[list[str]]) -> bool:
    return sorted(map(tuple, a)) == sorted(map(tuple, b))


class TenantEnforcer:
    """One tenant's enforcer: role policies of one version plus users' role rows."""

    def __init__(self, model: AppModel, domain: str, store: PolicyStore | None = None) -> None:
        self.domain = domain
        self._store = store
        #: Each user's roles as this enforcer holds them (and, with a store, as stored).
        self._users: dict[int, tuple[str, ...]] = {}
        # Never empty: the admin row is always there (pitfall 2 concerns eval() only).
        rules = policy_rules(model, domain)
        casbin_model = casbin.Enforcer.new_model(text=model_text())
        if store is None:
            self._enforcer = casbin.Enforcer(casbin_model)
            self._enforcer.add_policies(rules)
        else:
            self._enforcer = casbin.Enforcer(casbin_model, store)
            # Writes go through the store's transactions, not one auto-save per row.
            self._enforcer.enable_auto_save(False)
            self._load(store, rules)
        #: Decisions per (roles, entity, action): a pure function of the role set,
        #: since this enforcer's ``p`` rows never change (a publish builds a new one).
        self._decisions: dict[tuple[tuple[str, ...], str, str], bool] = {}
        self._lock = threading.Lock()

    def _load(self, store: PolicyStore, rules: list[list[str]]) -> None:
        """Load the stored rows; re-write the ``p`` rows first when they are stale."""
        store.load(self._enforcer, self.domain)
        if not _same(self._enforcer.get_policy(), rules):
            store.replace_policies(self.domain, rules)
            store.load(self._enforcer, self.domain)
        roles: dict[int, set[str]] = {}
        for sub, role, _domain in self._enforcer.get_grouping_policy():
            user_id = _user_id(sub)
            if user_id is not None:
                roles.setdefault(user_id, set()).add(role)
        self._users = {user_id: tuple(sorted(found)) for user_id, found in roles.items()}

    def sync_user(self, user_id: int, roles: tuple[str, ...]) -> None:
        """Make the user's grouping rows equal ``roles`` (no-op when unchanged).

        With a store, the stored rows are replaced too when they differ.
        """
        roles = tuple(sorted(set(roles)))
        if self._users.get(user_id) == roles:
            return
        with self._lock:
            sub = subject(user_id)
            if self._store is not None and self._users.get(user_id, ()) != roles:
                self._persist(self._store, sub, roles)
            self._enforcer.remove_filtered_grouping_policy(0, sub)
            if roles:
                self._enforcer.add_grouping_policies([[sub, r, self.domain] for r in roles])
            self._users[user_id] = roles

    def _persist(self, store: PolicyStore, sub: str, roles: tuple[str, ...]) -> None:
        try:
            store.replace_user(self.domain, sub, roles)
        except sa.exc.SQLAlchemyError:
            # The decision follows the membership (the source), not the mirrored rows:
            # a failed write is logged and the request goes on.
            LOG.warning("Could not store the roles of %s in %s.", sub, self.domain, exc_info=True)

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

    def __init__(
        self, max_entries: int = DEFAULT_CACHE_SIZE, *, store: PolicyStore | None = None
    ) -> None:
        self._max = max_entries
        #: Where policies are stored (None: built in memory from the roles).
        self.store = store
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
        built = TenantEnforcer(model, tenant, self.store)
        with self._lock:
            for old in [k for k in self._items if k[0] == tenant]:
                del self._items[old]
            self._items[key] = built
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return built

    def evict(self, tenant: str) -> None:
        """Forget every enforcer of ``tenant`` (e.g. its policy changed in another process)."""
        with self._lock:
            for key in [k for k in self._items if k[0] == tenant]:
                del self._items[key]

    def __len__(self) -> int:
        return len(self._items)


__all__ = [
    "EnforcerCache",
    "TenantEnforcer",
    "model_text",
    "policy_rules",
    "store_published",
    "store_roles",
    "subject",
]
