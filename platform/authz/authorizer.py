"""Per-call access decisions: Casbin for role x entity x action, compiled scopes for rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.authz.access import EntityAccess, RoleSet
from trellis.platform.authz.directory import MemberDirectory, Subject
from trellis.platform.authz.enforcers import EnforcerCache, TenantEnforcer
from trellis.platform.authz.role_sets import role_sets
from trellis.platform.config import Clock, SystemClock
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ForbiddenError, ValidationFailedError
from trellis.rules.expr import EvalContext, HopScope

if TYPE_CHECKING:
    from trellis.platform.runtime.app_runtime import AppRuntime


@dataclass(frozen=True, slots=True)
class Access:
    """What one user (with the roles of the current call) may do in one tenant."""

    user_id: int
    roles: RoleSet
    enforcer: TenantEnforcer
    app: CompiledApp
    #: The user's team (for ``team`` scope) and attributes.
    subject: Subject | None = None
    #: The runtime's clock (``now`` of scope conditions in :meth:`reachable`).
    clock: Clock = field(default_factory=SystemClock)

    @property
    def subject_attributes(self) -> Mapping[str, str]:
        """The user's attributes (``user.<name>`` in role conditions)."""
        return self.subject.attributes if self.subject is not None else {}

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

    def require_admin(self, purpose: str) -> None:
        """Raise ``ForbiddenError`` (403) unless the user is a tenant admin."""
        if not self.admin:
            raise ForbiddenError(f"Only tenant admins may {purpose}.")

    def entity(self, name: str) -> EntityAccess:
        """The compiled access to entity ``name``."""
        return self.roles.entities[name]

    def scope(self, entity: CompiledEntity, ectx: EvalContext) -> sa.ColumnElement[Any] | None:
        """SQL condition of the records the user reaches; None when every record."""
        return self.entity(entity.name).predicate(self.app.table, entity.table, ectx, self.subject)

    def scope_of(
        self, name: str, table: sa.FromClause, ectx: EvalContext
    ) -> sa.ColumnElement[Any] | None:
        """The scope of entity ``name`` over ``table`` (an alias, e.g. in a join)."""
        return self.entity(name).predicate(self.app.table, table, ectx, self.subject)

    def hop_scope(self, ectx: EvalContext) -> HopScope | None:
        """Scopes of referenced entities, for filters that read through references."""
        if self.admin:
            return None
        return lambda name, table: self.scope_of(name, table, ectx)

    def reachable(
        self, conn: sa.Connection, entity: CompiledEntity, record_id: int, *, deleted: bool = False
    ) -> bool:
        """Whether live (``deleted``: soft-deleted) record ``record_id`` is in the user's scope."""
        ectx = EvalContext(now=self.clock.now(), user_id=self.user_id)
        condition = self.scope(entity, ectx)
        if condition is None and not deleted:
            return True
        t = entity.table
        state = t.c.deleted_at.is_not(None) if deleted else t.c.deleted_at.is_(None)
        query = sa.select(t.c.id).where(t.c.id == record_id, state)
        if condition is not None:
            query = query.where(condition)
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
            subject = self.subject
            team = subject is not None and any(g.scope == "team" for g in access.grants)
            if not (team and subject is not None and owner in subject.team):
                errors["owner_id"] = [
                    "Your role may only assign records to yourself or your team."
                    if team
                    else "Your role may only assign records to yourself."
                ]
        if errors:
            raise ValidationFailedError(errors)

    def visible(self, entity: CompiledEntity, record: Mapping[str, Any]) -> dict[str, Any]:
        """``record`` without the fields hidden from the user."""
        hidden = self.entity(entity.name).hidden
        return {k: v for k, v in record.items() if k not in hidden}


class Authorizer:
    """Builds :class:`Access` objects; keeps enforcers and compiled role sets."""

    def __init__(
        self,
        enforcers: EnforcerCache | None = None,
        directory: MemberDirectory | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        # Not ``enforcers or ...``: an empty cache is falsy (it has a length).
        self.enforcers = enforcers if enforcers is not None else EnforcerCache()
        #: Teams, managers and attributes of members (None: every user stands alone).
        self.directory = directory
        self.clock: Clock = clock or SystemClock()

    def forget(self, tenant: str) -> None:
        """Drop the enforcers and member profiles cached for ``tenant``."""
        self.enforcers.evict(tenant)
        if self.directory is not None:
            self.directory.forget(tenant)

    def subject(self, tenant: str, user_id: int) -> Subject:
        """The user's team and attributes in ``tenant`` (alone without a directory)."""
        if self.directory is None:
            return Subject.alone(user_id)
        return self.directory.subject(tenant, user_id)

    def access(self, tenant: str, rt: AppRuntime, user_id: int, roles: tuple[str, ...]) -> Access:
        """The access of ``user_id`` with ``roles`` (as the token lookup read them) in the
        app version ``rt``."""
        app = rt.app
        enforcer = self.enforcers.get(tenant, app.version_no, app.model)
        enforcer.sync_user(user_id, roles)
        subject = self.subject(tenant, user_id)
        role_set = role_sets(rt).get(roles, subject.attributes)
        return Access(user_id, role_set, enforcer, app, subject, self.clock)

    @staticmethod
    def role_set(
        rt: AppRuntime, roles: tuple[str, ...], attributes: Mapping[str, str] | None = None
    ) -> RoleSet:
        """The compiled access of ``roles`` in the app version ``rt`` (cached on it),
        e.g. of one role for explanations."""
        return role_sets(rt).get(roles, attributes)


__all__ = ["Access", "Authorizer"]
