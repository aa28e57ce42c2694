"""Requests and documents as a role sees them: hidden fields are unknown names."""

from __future__ import annotations

from typing import Any

from trellis.metadata.diagnostics import did_you_mean
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


def restrict_openapi(access: Access, doc: dict[str, Any], base: str) -> dict[str, Any]:
    """``doc`` without entities the user cannot read and without hidden fields."""
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
    for name, entity in access.app.entities.items():
        key = "".join(part.capitalize() for part in name.split("_"))
        if name not in readable:
            schemas.pop(key, None)
            continue
        hidden = access.entity(entity.name).hidden
        if hidden and key in schemas:
            schema = dict(schemas[key])
            schema["properties"] = {
                k: v for k, v in schema["properties"].items() if k not in hidden
            }
            schema["required"] = [k for k in schema.get("required", []) if k not in hidden]
            schemas[key] = schema
    components = {**doc["components"], "schemas": schemas}
    return {**doc, "paths": paths, "components": components}


__all__ = ["check_list_names", "restrict_openapi"]
