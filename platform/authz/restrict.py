"""Requests and documents as a role sees them: hidden fields are unknown names."""

from __future__ import annotations

from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.platform.api.openapi import entity_components
from trellis.platform.api.openapi_schemas import class_name
from trellis.platform.authz.authorizer import Access
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError


def _unknown(key: str, name: str, visible: tuple[str, ...], message: str) -> BadRequestError:
    hint = did_you_mean(name, visible)
    suffix = f" (did you mean '{hint}'?)" if hint else ""
    return BadRequestError(
        message.format(name=name, suffix=suffix), {key: [f"Unknown field '{name}'{suffix}."]}
    )


def check_list_names(
    access: Access, entity: CompiledEntity, sort: str | None, fields: str | None
) -> None:
    """Refuse ``sort=`` and ``fields=`` naming a hidden field, exactly as an unknown one."""
    visible = access.entity(entity.name).columns
    hidden = access.entity(entity.name).hidden
    if not hidden:
        return
    for part in (sort or "").split(","):
        name = part.strip().lstrip("+-").strip()
        if name in hidden:
            raise _unknown("sort", name, visible, "Cannot sort by unknown field '{name}'{suffix}.")
    for part in (fields or "").split(","):
        name = part.strip()
        if name in hidden:
            raise _unknown("fields", name, visible, "Unknown field in fields=.")


def assignable_owners(access: Access, entity: str) -> list[int] | None:
    """The owners the user may give a record of ``entity`` (None: anyone).

    A role without ``all`` scope assigns records to its own user, and with ``team``
    scope also to the team (as :meth:`Access.check_write` checks).
    """
    grants = access.entity(entity)
    if access.admin or grants.unrestricted:
        return None
    owners = {access.user_id}
    if access.subject is not None and any(g.scope == "team" for g in grants.grants):
        owners.update(access.subject.team)
    return sorted(owners)


def restrict_openapi(access: Access, doc: dict[str, Any], base: str) -> dict[str, Any]:
    """``doc`` without entities the user cannot read, without hidden fields, and
    without read-only fields in what a client writes."""
    if access.admin:
        return doc
    schemas: dict[str, Any] = dict(doc["components"]["schemas"])
    paths: dict[str, Any] = {}
    readable = {n for n in access.app.entities if access.can(n, "read")}
    for path, item in doc["paths"].items():
        first = path[len(base) + 1 :].split("/", 1)[0]
        if first in access.app.entities and first not in readable:
            continue
        paths[path] = item
    parameters: dict[str, Any] = dict(doc["components"]["parameters"])
    for name, entity in access.app.entities.items():
        if name not in readable:
            for section, parts in entity_components(entity).items():
                kept = schemas if section == "schemas" else parameters
                for key in parts:
                    kept.pop(key, None)
            continue
        hidden = access.entity(entity.name).hidden
        read_only = access.entity(entity.name).read_only
        owners = assignable_owners(access, name)
        if hidden or read_only or owners is not None:
            flows = access.app.model.workflows_of(entity.name)
            rebuilt = entity_components(entity, hidden, read_only, flows)
            for part in ("Create", "Update"):
                props = rebuilt["schemas"][f"{class_name(name)}_{part}"]["properties"]
                if owners is not None and "owner_id" in props:
                    props["owner_id"] = {**props["owner_id"], "enum": [*owners, None]}
            schemas.update(rebuilt["schemas"])
            parameters.update(rebuilt["parameters"])
    components = {**doc["components"], "schemas": schemas, "parameters": parameters}
    return {**doc, "paths": paths, "components": components}


__all__ = ["assignable_owners", "check_list_names", "restrict_openapi"]
