"""Everything the runtime derives once per (tenant, metadata version)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

import sqlalchemy as sa

from trellis.metadata.model import FIELD_TYPES, AppModel, DslType, EntityDef, FieldDef, FieldType
from trellis.platform.db.encrypted import FieldCipher
from trellis.platform.db.tables import (
    CHANGES_TABLE,
    IDEMPOTENCY_TABLE,
    LINK_PREFIX,
    SEQUENCES_TABLE,
    build_metadata,
    link_table_name,
)
from trellis.platform.records.validation import RecordValidator
from trellis.rules.expr import CompiledExpression, compile_expression


class MemberLookup(Protocol):
    """``lookup(role, team=…, attributes=…)`` -> ids of the tenant's active members
    having the role (and in the team, with those attribute values), ascending."""

    def __call__(
        self,
        role: str,
        *,
        team: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> Sequence[int]: ...


@dataclass(frozen=True, slots=True)
class CompiledValidation:
    """A validation rule ready to run."""

    field: str | None
    message: str
    when: CompiledExpression


@dataclass(frozen=True, slots=True)
class LinkField:
    """A ``many_to_many`` field: its link table and the entity it links to."""

    field: str
    target: str
    table: sa.Table


@dataclass(frozen=True, slots=True)
class CompiledEntity:
    """One entity with its table, validator and compiled expressions."""

    entity: EntityDef
    table: sa.Table
    validator: RecordValidator
    #: Formula fields in dependency order (a formula reading another comes after it).
    formulas: tuple[tuple[FieldDef, CompiledExpression], ...]
    defaults: Mapping[str, CompiledExpression]
    validations: tuple[CompiledValidation, ...]
    #: Output columns: standard columns then fields.
    columns: tuple[str, ...]
    references: Mapping[str, str]
    #: Conditional rules per field: ``{"amount": {"required_when": <compiled>}}``.
    conditions: Mapping[str, Mapping[str, CompiledExpression]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: ``many_to_many`` fields by name.
    links: Mapping[str, LinkField] = field(default_factory=lambda: MappingProxyType({}))

    def condition(self, field: str, kind: str) -> CompiledExpression | None:
        """The compiled ``kind`` rule (``required_when`` …) of ``field``, if declared."""
        rules = self.conditions.get(field)
        return rules.get(kind) if rules else None

    @property
    def name(self) -> str:
        """The entity name."""
        return self.entity.name


def _formula_order(entity: EntityDef, compiled: dict[str, CompiledExpression]) -> list[str]:
    """Topological order of formula fields (cycles were refused when the package loaded)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in seen or name in stack:
            return
        for path in compiled[name].field_paths:
            if len(path) == 1 and path[0] in compiled:
                visit(path[0], (*stack, name))
        seen.add(name)
        order.append(name)

    for name in compiled:
        visit(name, ())
    return order


def _links(entity: EntityDef, metadata: sa.MetaData) -> Mapping[str, LinkField]:
    return MappingProxyType(
        {
            f.name: LinkField(f.name, f.to, metadata.tables[link_table_name(entity.name, f.name)])
            for f in entity.fields.values()
            if f.type == FieldType.MANY_TO_MANY and f.to
        }
    )


def _compile_entity(model: AppModel, entity: EntityDef, table: sa.Table) -> CompiledEntity:
    formulas: dict[str, CompiledExpression] = {}
    defaults: dict[str, CompiledExpression] = {}
    for f in entity.fields.values():
        dsl = FIELD_TYPES[f.type].dsl_type
        expected = DslType.NUMBER if dsl is DslType.REFERENCE else dsl
        if f.formula:
            formulas[f.name] = compile_expression(
                f.formula, entity, model, expected=expected, span=f.formula_source
            )
        if f.default:
            defaults[f.name] = compile_expression(
                f.default, entity, model, expected=expected, span=f.default_source
            )
    ordered = tuple((entity.fields[n], formulas[n]) for n in _formula_order(entity, formulas))
    conditions = {
        f.name: MappingProxyType(
            {
                kind: compile_expression(
                    text,
                    entity,
                    model,
                    expected=DslType.BOOLEAN,
                    span=f.condition_sources.get(kind),
                )
                for kind, text in f.conditions().items()
            }
        )
        for f in entity.fields.values()
        if f.conditions()
    }
    validations = tuple(
        CompiledValidation(
            v.field,
            v.message,
            compile_expression(v.when, entity, model, expected=DslType.BOOLEAN, span=v.when_source),
        )
        for v in entity.validations
    )
    return CompiledEntity(
        entity=entity,
        table=table,
        validator=RecordValidator(entity, model),
        formulas=ordered,
        defaults=MappingProxyType(defaults),
        validations=validations,
        conditions=MappingProxyType(conditions),
        # plain str, not quoted_name; hidden columns (rich text's plain text) left out
        columns=tuple(str(c.name) for c in table.columns if not str(c.name).startswith("_")),
        references=MappingProxyType(
            {f.name: f.to for f in entity.fields.values() if f.type == FieldType.REFERENCE and f.to}
        ),
        links=_links(entity, table.metadata),
    )


class CompiledApp:
    """A tenant's published app: model, schema-less tables and compiled entities."""

    def __init__(
        self,
        model: AppModel,
        version_no: int,
        *,
        members: MemberLookup | None = None,
        cipher: FieldCipher | None = None,
        is_member: Callable[[int], bool] | None = None,
    ) -> None:
        self.model = model
        self.version_no = version_no
        #: ``members(role)``: ids of the tenant's members with that role (None outside
        #: a tenant, e.g. a package checked on its own).
        self.members = members
        #: ``is_member(user_id)``: whether the user is an active member of the tenant
        #: (None outside a tenant: user fields are not checked).
        self.is_member = is_member
        #: The tenant's keyring for ``encrypted: true`` fields (None: ciphertext as stored).
        self.cipher = cipher
        self.metadata = build_metadata(model, cipher=cipher)
        self.changes = self.metadata.tables[CHANGES_TABLE]
        self.sequences = self.metadata.tables[SEQUENCES_TABLE]
        self.idempotency = self.metadata.tables[IDEMPOTENCY_TABLE]
        self.entities: Mapping[str, CompiledEntity] = MappingProxyType(
            {
                name: _compile_entity(model, entity, self.metadata.tables[name])
                for name, entity in model.entities.items()
            }
        )

    def table(self, entity: str) -> sa.Table:
        """The table of ``entity``, or a link table by name (``KeyError`` when unknown)."""
        if entity.startswith(LINK_PREFIX):
            return self.metadata.tables[entity]
        return self.entities[entity].table


__all__ = ["CompiledApp", "CompiledEntity", "CompiledValidation", "LinkField", "MemberLookup"]
