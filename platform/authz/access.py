"""What a set of roles may do with each entity, compiled once per (app, roles).

Record scope is compiled to a SQL predicate: ``all`` -> no condition, ``own`` ->
``owner_id = <user>``, ``none`` -> nothing, ``team`` -> ``owner_id IN (<the user's
team>)`` (the user, members of the user's teams and everyone reporting to the user),
each AND-ed with the role's ``where`` (rule language; ``current_user()`` is the caller
and ``user.<name>`` the caller's attribute, bound when the role set is compiled for
that user's attribute values). Several roles combine with OR. A field is hidden only
when every role that lists the entity hides it, and read-only when none of them may
write it. Rollups the roles' scope on the children does not wholly reach (and formulas
reading them) are *restricted* (:mod:`trellis.platform.authz.aggregates`): hidden too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import ADMIN_ROLE, AppModel, DslType, EntityDef
from trellis.platform.authz.aggregates import ScopeReach, restricted_fields
from trellis.platform.authz.directory import Subject
from trellis.platform.records.compiled import CompiledApp
from trellis.rules.expr import CompiledExpression, EvalContext, compile_expression


@dataclass(frozen=True, slots=True)
class Grant:
    """One role's reach into an entity: a scope and an optional compiled ``where``."""

    scope: str
    where: CompiledExpression | None


@dataclass(frozen=True, slots=True)
class EntityAccess:
    """A role set's access to one entity (actions are decided by Casbin)."""

    name: str
    unrestricted: bool
    grants: tuple[Grant, ...]
    hidden: frozenset[str]
    read_only: frozenset[str]
    #: Output columns the roles may see (standard columns, then visible fields).
    columns: tuple[str, ...]
    #: Whether some role may read the entity (else its fields are unknown in filters).
    readable: bool = True
    #: Rollups (and formulas reading them) hidden because the scope does not reach
    #: every child; also in ``hidden``. Screens show them as restricted.
    restricted: frozenset[str] = frozenset()

    def predicate(
        self,
        tables: Callable[[str], sa.Table],
        table: sa.FromClause,
        ectx: EvalContext,
        subject: Subject | None = None,
    ) -> sa.ColumnElement[Any] | None:
        """The SQL condition a record of ``table`` must meet to be reachable; None: all are.

        ``table`` is the entity's table or an alias of it (a reference being followed);
        ``subject`` gives the ``team`` scope its members (default: the user alone).
        """
        if self.unrestricted:
            return None
        own_table = table

        def rooted(name: str) -> Any:
            return own_table if name == self.name else tables(name)

        options: list[sa.ColumnElement[Any]] = []
        for grant in self.grants:
            if grant.scope == "none":
                continue
            parts: list[sa.ColumnElement[Any]] = []
            if grant.scope == "own" or (grant.scope == "team" and subject is None):
                parts.append(table.c.owner_id == ectx.user_id)
            elif grant.scope == "team" and subject is not None:
                team = sorted(subject.team)
                parts.append(
                    table.c.owner_id == team[0] if len(team) == 1 else table.c.owner_id.in_(team)
                )
            if grant.where is not None:
                parts.append(grant.where.to_sql(rooted, ectx))
            options.append(sa.and_(*parts) if parts else sa.true())
        return sa.or_(*options) if options else sa.false()


@dataclass(frozen=True, slots=True)
class RoleSet:
    """Compiled access of one set of roles to every entity of one app."""

    roles: tuple[str, ...]
    admin: bool
    entities: Mapping[str, EntityAccess]
    #: The model as these roles may see it (hidden fields removed), for filters.
    visible_model: AppModel


def _visible_model(model: AppModel, entities: Mapping[str, EntityAccess]) -> AppModel:
    """``model`` without hidden fields; entities the roles cannot reach have no fields."""
    trimmed: dict[str, EntityDef] = {}
    for name, entity in model.entities.items():
        access = entities.get(name)
        keep = {
            n: f
            for n, f in entity.fields.items()
            if access is not None and access.readable and access.grants and n not in access.hidden
        }
        trimmed[name] = replace(entity, fields=MappingProxyType(keep))
    return replace(model, entities=MappingProxyType(trimmed))


_USER_PATH = re.compile(r"\buser\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")


def condition_attributes(model: AppModel) -> frozenset[str]:
    """Names of the user attributes that any role condition of ``model`` may read."""
    names: set[str] = set()
    for role in model.roles.values():
        for access in role.entities.values():
            if access.where:
                names.update(_USER_PATH.findall(access.where))
    return frozenset(names)


def _entity_access(
    app: CompiledApp, name: str, roles: tuple[str, ...], attributes: Mapping[str, str]
) -> EntityAccess:
    compiled = app.entities[name]
    listed = [
        app.model.roles[r].entities[name]
        for r in roles
        if r in app.model.roles and name in app.model.roles[r].entities
    ]
    grants = tuple(
        Grant(
            a.scope,
            compile_expression(
                a.where, compiled.entity, app.model, expected=DslType.BOOLEAN, user=attributes
            )
            if a.where
            else None,
        )
        for a in listed
    )
    hidden = (
        frozenset.intersection(
            *(frozenset(f for f, lvl in a.fields.items() if lvl == "hidden") for a in listed)
        )
        if listed
        else frozenset()
    )
    not_writable = (
        frozenset.intersection(*(frozenset(a.fields) for a in listed)) if listed else (frozenset())
    )
    unrestricted = any(g.scope == "all" and g.where is None for g in grants)
    return EntityAccess(
        name=name,
        unrestricted=unrestricted,
        grants=grants,
        hidden=hidden,
        read_only=not_writable - hidden,
        columns=tuple(c for c in compiled.columns if c not in hidden),
        readable=any("read" in a.actions for a in listed),
    )


def _restrict(app: CompiledApp, built: dict[str, EntityAccess]) -> dict[str, EntityAccess]:
    """``built`` with the rollups the roles may not read (and their formulas) hidden."""
    reach = {
        name: ScopeReach(access.readable and access.unrestricted, access.hidden)
        for name, access in built.items()
    }
    out = dict(built)
    for name, names in restricted_fields(app, reach).items():
        access = built[name]
        hidden = access.hidden | names
        out[name] = replace(
            access,
            hidden=hidden,
            read_only=access.read_only - hidden,
            columns=tuple(c for c in access.columns if c not in hidden),
            restricted=names - access.hidden,
        )
    return out


def compile_role_set(
    app: CompiledApp, roles: tuple[str, ...], attributes: Mapping[str, str] | None = None
) -> RoleSet:
    """Compile the access of ``roles`` to every entity of ``app``.

    ``attributes`` are the user's values of ``user.<name>`` in role conditions.
    """
    if ADMIN_ROLE in roles:
        entities = {
            name: EntityAccess(
                name, True, (Grant("all", None),), frozenset(), frozenset(), e.columns
            )
            for name, e in app.entities.items()
        }
        return RoleSet(roles, True, MappingProxyType(entities), app.model)
    values = attributes or {}
    built = _restrict(
        app, {name: _entity_access(app, name, roles, values) for name in app.entities}
    )
    return RoleSet(roles, False, MappingProxyType(built), _visible_model(app.model, built))


__all__ = ["EntityAccess", "Grant", "RoleSet", "compile_role_set", "condition_attributes"]
