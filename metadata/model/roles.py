"""Frozen role definitions from ``roles.yaml``: actions, record scope and field access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: The built-in superuser role; packages may not declare it.
ADMIN_ROLE = "admin"
#: Every action a role may be granted on an entity.
ACTIONS = ("create", "read", "update", "delete", "export", "import", "purge")
#: Record scopes, from widest to narrowest.
SCOPES = ("all", "team", "own", "none")
#: Field access levels a role may declare.
FIELD_ACCESS = ("hidden", "read_only")

_NO_FIELDS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class EntityAccessDef:
    """What one role may do with one entity.

    ``where`` is rule-language source text (a boolean over the entity's fields); a
    record must match it, on top of ``scope``, to be visible to the role.
    """

    entity: str
    actions: tuple[str, ...]
    scope: str = "all"
    where: str | None = None
    where_source: SourceSpan | None = None
    #: field name -> ``hidden`` or ``read_only``.
    fields: Mapping[str, str] = field(default_factory=lambda: _NO_FIELDS)
    source: SourceSpan = UNKNOWN_SOURCE

    def allows(self, action: str) -> bool:
        """Whether ``action`` is granted."""
        return action in self.actions


@dataclass(frozen=True, slots=True)
class RoleDef:
    """One role of ``roles.yaml``; an entity it does not list is not accessible to it."""

    name: str
    label: str
    entities: Mapping[str, EntityAccessDef]
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = ["ACTIONS", "ADMIN_ROLE", "FIELD_ACCESS", "SCOPES", "EntityAccessDef", "RoleDef"]
