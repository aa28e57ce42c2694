"""Read ``roles.yaml`` into frozen role definitions and cross-check it against the entities.

Codes: MD070 (``admin`` declared), MD071 (unknown entity), MD072 (unknown field in
``fields``), MD073 (a ``where`` condition the rule checker refuses). A ``where`` is
type-checked as a boolean over the entity's fields; ``user.<attribute>`` reads an
attribute of the calling member as text (any name; empty when the member lacks it)
and ``current_user()`` is the caller's id.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from trellis.metadata.diagnostics import Diagnostic, did_you_mean
from trellis.metadata.loader._build import humanize
from trellis.metadata.loader._expressions import ExpressionChecker
from trellis.metadata.loader._files import ROLES_FILE
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schema_check import schema_diagnostics
from trellis.metadata.loader.positions import PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import (
    ACTIONS,
    ADMIN_ROLE,
    FIELD_ACCESS,
    SCOPES,
    AppModel,
    DslType,
    EntityAccessDef,
    EntityDef,
    RoleDef,
    SourceSpan,
)


@runtime_checkable
class RoleConditionChecker(Protocol):
    """Optionally implemented by a checker: a role ``where`` that may read ``user.<name>``."""

    def check_role_condition(
        self, source: str, entity: EntityDef, model: AppModel, *, span: SourceSpan
    ) -> list[Diagnostic]: ...


#: Reads one package file: (root, relative path, path as shown, report) -> document.
Reader = Callable[[Path, str, str, Report], YamlDocument | None]


def read_roles(root: Path, display: str, read: Reader, report: Report) -> YamlDocument | None:
    """Read and schema-check ``roles.yaml``; None when the package has none."""
    if not (root / ROLES_FILE).is_file():
        return None
    shown = (PurePosixPath(display) / ROLES_FILE).as_posix()
    doc = read(root, ROLES_FILE, shown, report)
    if doc is not None:
        report.extend(schema_diagnostics("roles", doc.data, doc.positions))
    return doc


def _access(entity: str, spec: Any, path: tuple[str, ...], positions: PositionMap) -> Any:
    if not isinstance(spec, dict):
        return None
    actions = spec.get("actions")
    scope = spec.get("scope", "all")
    where = spec.get("where")
    fields = spec.get("fields")
    return EntityAccessDef(
        entity=entity,
        actions=tuple(a for a in ACTIONS if isinstance(actions, list) and a in actions),
        scope=scope if scope in SCOPES else "none",
        where=where if isinstance(where, str) and where else None,
        where_source=positions.content((*path, "where")) if isinstance(where, str) else None,
        fields=MappingProxyType(
            {
                name: level
                for name, level in (fields if isinstance(fields, dict) else {}).items()
                if level in FIELD_ACCESS
            }
        ),
        source=positions.anchor(path),
    )


def build_roles(doc: YamlDocument, report: Report) -> dict[str, RoleDef]:
    """Build every role of ``doc``; ``admin`` is refused (MD070) and left out."""
    data = doc.data if isinstance(doc.data, dict) else {}
    specs = data.get("roles")
    roles: dict[str, RoleDef] = {}
    for name, spec in (specs if isinstance(specs, dict) else {}).items():
        if name == ADMIN_ROLE:
            message = "role 'admin' is built in (every action, scope all); do not declare it"
            report.error("MD070", message, doc.positions.anchor(("roles", name)))
            continue
        spec = spec if isinstance(spec, dict) else {}
        entities = spec.get("entities")
        access: dict[str, EntityAccessDef] = {}
        for entity, item in (entities if isinstance(entities, dict) else {}).items():
            built = _access(entity, item, ("roles", name, "entities", entity), doc.positions)
            if built is not None:
                access[entity] = built
        label = spec.get("label")
        description = spec.get("description")
        roles[name] = RoleDef(
            name=name,
            label=label if isinstance(label, str) and label else humanize(name),
            entities=MappingProxyType(access),
            description=description if isinstance(description, str) else None,
            source=doc.positions.anchor(("roles", name)),
        )
    return roles


def check_roles(
    model: AppModel,
    doc: YamlDocument,
    broken: Collection[str],
    checker: ExpressionChecker | None,
    report: Report,
) -> None:
    """Entities and fields named by each role must exist; ``where`` must be a boolean."""
    positions = doc.positions
    for role in model.roles.values():
        for access in role.entities.values():
            path = ("roles", role.name, "entities", access.entity)
            entity = model.entities.get(access.entity)
            if entity is None:
                if access.entity not in broken:
                    report.error(
                        "MD071",
                        f"role '{role.name}': unknown entity '{access.entity}'",
                        positions.anchor(path),
                        did_you_mean(access.entity, list(model.entities)),
                    )
                continue
            for name in access.fields:
                if name not in entity.fields:
                    report.error(
                        "MD072",
                        f"role '{role.name}': unknown field '{name}' of entity '{entity.name}'",
                        positions.anchor((*path, "fields", name)),
                        did_you_mean(name, list(entity.fields)),
                    )
            if checker is not None and access.where and access.where_source is not None:
                if isinstance(checker, RoleConditionChecker):
                    found = checker.check_role_condition(
                        access.where, entity, model, span=access.where_source
                    )
                else:
                    found = checker.check(
                        access.where,
                        entity,
                        model,
                        expected=DslType.BOOLEAN,
                        span=access.where_source,
                    )
                report.extend(_recode(role.name, access.entity, d) for d in found)


def _recode(role: str, entity: str, d: Diagnostic) -> Diagnostic:
    """A rule diagnostic on a ``where`` as MD073, keeping its own code in the message."""
    return Diagnostic(
        "MD073",
        f"role '{role}' entity '{entity}' where: {d.message} [{d.code}]",
        d.span,
        d.suggestion,
        d.severity,
        d.context,
    )


__all__ = ["build_roles", "check_roles", "read_roles"]
