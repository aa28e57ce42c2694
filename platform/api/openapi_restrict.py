"""The per-tenant OpenAPI document as one member sees it (see :mod:`.openapi`)."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Any

from trellis.platform.api.openapi import entity_components, entity_file_paths
from trellis.platform.api.openapi_lines import add_line_schemas
from trellis.platform.api.openapi_public import LINKS_PATH
from trellis.platform.api.openapi_schemas import class_name
from trellis.platform.api.openapi_search import search_schemas
from trellis.platform.authz import Access
from trellis.platform.authz.restrict import assignable_owners
from trellis.platform.search.query import targets

#: System paths only tenant admins may call: left out of other members' documents.
ADMIN_PATHS = frozenset({"_rates", "_meta", "_gdpr", "_backups"})
#: Tenant-wide record paths, shown to members who may do the action on some entity.
RECORD_PATHS = {
    "_search": "read",
    "_exports": "read",
    "_imports": "import",
    "_stages": "read",
    "_forecast": "read",
    "_dashboards": "read",
}


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
        if first == LINKS_PATH or first in ADMIN_PATHS:  # admins only
            continue
        if first in RECORD_PATHS and not _may(access, RECORD_PATHS[first]):
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
        for path in [p for p in paths if p.startswith(f"{base}/{name}/{{id}}/_files/")]:
            del paths[path]
        paths.update(entity_file_paths(entity, base, hidden))
        for document in access.app.model.documents_of(name):  # saved on a hidden field
            if document.store_in in hidden:
                paths.pop(f"{base}/{name}/{{id}}/_documents/{document.name}", None)
        read_only = access.entity(entity.name).read_only
        owners = assignable_owners(access, name)
        lines = entity.entity.lines
        if hidden or read_only or owners is not None or lines:
            flows = access.app.model.workflows_of(entity.name)
            rebuilt = entity_components(entity, hidden, read_only, flows)
            restricted = partial(_restricted, access)
            add_line_schemas(rebuilt["schemas"], access.app, entity, restricted)
            for part in ("Create", "Update"):
                props = rebuilt["schemas"][f"{class_name(name)}_{part}"]["properties"]
                if owners is not None and "owner_id" in props:
                    props["owner_id"] = {**props["owner_id"], "enum": [*owners, None]}
            schemas.update(rebuilt["schemas"])
            parameters.update(rebuilt["parameters"])
    schemas.update(search_schemas(access.app, {t.entity.name: t.visible for t in targets(access)}))
    components = {**doc["components"], "schemas": schemas, "parameters": parameters}
    return {**doc, "paths": paths, "components": components}


def _may(access: Access, action: str) -> bool:
    """Whether the member may do ``action`` on at least one entity."""
    return any(access.can(name, action) for name in access.app.entities)


def _restricted(access: Access, name: str) -> tuple[Collection[str], Collection[str]]:
    """The hidden and read-only columns of entity ``name`` for the reader."""
    roles = access.roles.entities
    return (roles[name].hidden, roles[name].read_only) if name in roles else ((), ())


__all__ = ["restrict_openapi"]
