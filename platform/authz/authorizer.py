"""Per-call access decisions: Casbin for role x entity x action, compiled scopes for rows."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from trellis.platform.authz.access import EntityAccess, RoleSet, compile_role_set
from trellis.platform.authz.enforcers import EnforcerCache, TenantEnforcer
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ForbiddenError, ValidationFailedError
from trellis.rules.expr import EvalContext
from trellis.tenants.registry import utcnow

#: Role sets compiled per app (distinct role combinations are few).
MAX_ROLE_SETS = 64


@dataclass(frozen=True, slots=True)
class Access:
    """What one user (with the roles of the current call) may do in one tenant."""

    user_id: int
    roles: RoleSet
    enforcer: TenantEnforcer
    app: CompiledApp

    @property
    def admin(self) -> bool:
        """Whether the user has the built-in ``admin`` role."""
        return self.roles.admin

    def can(self, entity: str, action: str) -> bool:
        """Whether ``action`` on ``entity`` is granted (``admin``: always)."""
        return self.admin or self.enforcer.allowed(self.user_id, entity, action)

    def require(self, entity: str, action: str) -> None:
        """Raise ``ForbiddenError`` (403) unless ``action`` on ``entity`` is granted."""
        if not self.can(entity, action):
            if not self.roles.roles:
                raise ForbiddenError("You have no role in this tenant; ask an admin for one.")
            raise ForbiddenError(f"Your role may not {action} {entity} records.")

    def entity(self, name: str) -> EntityAccess:
        """The compiled access to entity ``name``."""
        return self.roles.entities[name]

    def scope(self, entity: CompiledEntity, ectx: EvalContext) -> sa.ColumnElement[Any] | None:
        """SQL condition of the records the user reaches; None when every record."""
        return self.entity(entity.name).predicate(self.app.table, entity.table, ectx)

    def reachable(self, conn: sa.Connection, entity: CompiledEntity, record_id: int) -> bool:
        """Whether live record ``record_id`` is inside the user's scope."""
        ectx = EvalContext(now=utcnow(), user_id=self.user_id)
        condition = self.scope(entity, ectx)
        if condition is None:
            return True
        t = entity.table
        query = sa.select(t.c.id).where(t.c.id == record_id, t.c.deleted_at.is_(None), condition)
        return conn.execute(query).first() is not None

    def check_write(self, entity: CompiledEntity, data: Mapping[str, Any]) -> None:
        """Refuse (422, naming each field) writes of hidden or read-only fields.

        A role without ``all`` scope may only assign records to its own user.
        """
        access = self.entity(entity.name)
        errors: dict[str, list[str]] = {}
        for name in data:
            if name in access.hidden or name in access.read_only:
                errors[name] = ["Your role may not change this field."]
        owner = data.get("owner_id")
        if not access.unrestricted and owner is not None and owner != self.user_id:
            errors["owner_id"] = ["Your role may only assign records to yourself."]
        if errors:
            raise ValidationFailedError(errors)

    def visible(self, entity: CompiledEntity, record: Mapping[str, Any]) -> dict[str, Any]:
        """``record`` without the fields hidden from the user."""
        hidden = self.entity(entity.name).hidden
        return {k: v for k, v in record.items() if k not in hidden}


class Authorizer:
    """Builds :class:`Access` objects; keeps enforcers and compiled role sets."""

    def __init__(self, enforcers: EnforcerCache | None = None) -> None:
        self.enforcers = enforcers or EnforcerCache()
        self._role_sets: WeakKeyDictionary[CompiledApp, dict[tuple[str, ...], RoleSet]] = (
            WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def access(self, tenant: str, app: CompiledApp, user_id: int, roles: tuple[str, ...]) -> Access:
        """The access of ``user_id`` with ``roles`` (as the token lookup read them)."""
        enforcer = self.enforcers.get(tenant, app.version_no, app.model)
        enforcer.sync_user(user_id, roles)
        return Access(user_id, self._role_set(app, tuple(sorted(set(roles)))), enforcer, app)

    def role_set(self, app: CompiledApp, roles: tuple[str, ...]) -> RoleSet:
        """The compiled access of ``roles`` (cached), e.g. of one role for explanations."""
        return self._role_set(app, tuple(sorted(set(roles))))

    def _role_set(self, app: CompiledApp, roles: tuple[str, ...]) -> RoleSet:
        with self._lock:
            sets = self._role_sets.setdefault(app, {})
            found = sets.get(roles)
        if found is None:
            found = compile_role_set(app, roles)
            with self._lock:
                if len(sets) >= MAX_ROLE_SETS:
                    sets.pop(next(iter(sets)))
                sets[roles] = found
        return found


__all__ = ["Access", "Authorizer"]
