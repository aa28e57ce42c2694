"""What a set of roles may do with each entity, compiled once per (app, roles).

Record scope is compiled to a SQL predicate: ``all`` -> no condition, ``own`` ->
``owner_id = <user>``, ``none`` -> nothing, ``team`` -> as ``own`` (teams do not exist
yet), each AND-ed with the role's ``where`` (rule language, ``current_user()`` is the
caller). Several roles combine with OR. A field is hidden only when every role that
lists the entity hides it, and read-only when none of them may write it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import ADMIN_ROLE, AppModel, DslType, EntityDef
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

    def predicate(
        self, tables: Callable[[str], sa.Table], table: sa.Table, ectx: EvalContext
    ) -> sa.ColumnElement[Any] | None:
        """The SQL condition a record must meet to be reachable; None when all are."""
        if self.unrestricted:
            return None
        options: list[sa.ColumnElement[Any]] = []
        for grant in self.grants:
            if grant.scope == "none":
                continue
            parts: list[sa.ColumnElement[Any]] = []
            if grant.scope in ("own", "team"):
                parts.append(table.c.owner_id == ectx.user_id)
            if grant.where is not None:
                parts.append(grant.where.to_sql(tables, ectx))
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
            if access is not None and access.grants and n not in access.hidden
        }
        trimmed[name] = replace(entity, fields=MappingProxyType(keep))
    return replace(model, entities=MappingProxyType(trimmed))


def _entity_access(app: CompiledApp, name: str, roles: tuple[str, ...]) -> EntityAccess:
    compiled = app.entities[name]
    listed = [
        app.model.roles[r].entities[name]
        for r in roles
        if r in app.model.roles and name in app.model.roles[r].entities
    ]
    grants = tuple(
        Grant(
            a.scope,
            compile_expression(a.where, compiled.entity, app.model, expected=DslType.BOOLEAN)
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
    )


def compile_role_set(app: CompiledApp, roles: tuple[str, ...]) -> RoleSet:
    """Compile the access of ``roles`` to every entity of ``app``."""
    if ADMIN_ROLE in roles:
        entities = {
            name: EntityAccess(
                name, True, (Grant("all", None),), frozenset(), frozenset(), e.columns
            )
            for name, e in app.entities.items()
        }
        return RoleSet(roles, True, MappingProxyType(entities), app.model)
    built = {name: _entity_access(app, name, roles) for name in app.entities}
    return RoleSet(roles, False, MappingProxyType(built), _visible_model(app.model, built))


__all__ = ["EntityAccess", "Grant", "RoleSet", "compile_role_set"]
