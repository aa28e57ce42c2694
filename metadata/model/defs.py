"""Frozen definitions of an app package: entities, fields, indexes, validations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One declared field of an entity.

    ``formula`` and ``default`` hold rule-language source text; the source spans
    point at the YAML scalar so expression errors can be placed exactly.
    """

    name: str
    type: str
    label: str
    required: bool = False
    unique: bool = False
    indexed: bool = False
    max_length: int | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    scale: int | None = None
    options: tuple[str, ...] = ()
    to: str | None = None
    on_delete: str = "restrict"
    default: str | None = None
    formula: str | None = None
    autonumber_format: str | None = None
    renamed_from: str | None = None
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    default_source: SourceSpan | None = None
    formula_source: SourceSpan | None = None
    #: For money fields: the enum/string field holding the currency code.
    currency_field: str | None = None

    @property
    def computed(self) -> bool:
        """True when the platform, not the client, writes this field."""
        return self.formula is not None or self.type == "autonumber"


@dataclass(frozen=True, slots=True)
class ValidationDef:
    """A rule that marks a record invalid when ``when`` is true."""

    when: str
    message: str
    field: str | None
    source: SourceSpan = UNKNOWN_SOURCE
    when_source: SourceSpan | None = None


@dataclass(frozen=True, slots=True)
class IndexDef:
    """A declared index over one or more fields."""

    fields: tuple[str, ...]
    unique: bool = False
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class EntityDef:
    """One entity: a table, an API resource and (later) a set of screens."""

    name: str
    label: str
    plural_label: str
    fields: Mapping[str, FieldDef]
    title: str | None = None
    search: tuple[str, ...] = ()
    validations: tuple[ValidationDef, ...] = ()
    indexes: tuple[IndexDef, ...] = ()
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is a declared field (standard columns excluded)."""
        return name in self.fields

    def field(self, name: str) -> FieldDef:
        """Return the declared field ``name``; raises ``KeyError`` if unknown."""
        return self.fields[name]


@dataclass(frozen=True, slots=True)
class AppModel:
    """A whole compiled app package, immutable and safe to share between threads."""

    name: str
    version: str
    label: str
    entities: Mapping[str, EntityDef]
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    digest: str = ""
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    #: Packages this one needs: package name -> version constraint (e.g. ``">=0.1"``).
    requires: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def entity(self, name: str) -> EntityDef:
        """Return entity ``name``; raises ``KeyError`` if unknown."""
        return self.entities[name]

    def has_entity(self, name: str) -> bool:
        """Whether the package declares entity ``name``."""
        return name in self.entities
