"""The tenant-wide parts of the OpenAPI document: rates, search, metadata, imports,
exports, backups.

Entity paths are built per entity in :mod:`openapi`; these paths and schemas exist once
per tenant and each comes from its own module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.api.openapi_backups import backup_schemas, backups_paths
from trellis.platform.api.openapi_exports import export_schemas, exports_paths
from trellis.platform.api.openapi_imports import import_schemas, imports_paths
from trellis.platform.api.openapi_merge import merge_schemas
from trellis.platform.api.openapi_meta import meta_paths, meta_schemas
from trellis.platform.api.openapi_privacy import privacy_paths, privacy_schemas
from trellis.platform.api.openapi_rates import rate_schemas, rates_paths
from trellis.platform.api.openapi_search import search_paths, search_schemas
from trellis.platform.records.compiled import CompiledApp

Errors = Callable[[Collection[str]], dict[str, Any]]
_READ = ("400", "401", "403", "404", "414", "429", "503")
_RATE_WRITE = ("400", "401", "403", "404", "413", "414", "415", "422", "429", "503", "507")
_SEARCH = ("400", "401", "414", "429", "503")


def platform_schemas(app: CompiledApp) -> dict[str, Any]:
    """Schemas of the tenant-wide operations."""
    schemas = {**rate_schemas(), **meta_schemas(), **import_schemas(), **search_schemas(app)}
    schemas |= backup_schemas()
    return {**schemas, **merge_schemas(), **export_schemas(), **privacy_schemas()}


def platform_paths(base: str, errors: Errors) -> dict[str, Any]:
    """Path items of the tenant-wide operations under ``base``."""
    return {
        **rates_paths(base, errors(_READ), errors(_RATE_WRITE)),
        **privacy_paths(base, errors(_READ), errors(_RATE_WRITE)),
        **search_paths(base, errors(_SEARCH)),
        **meta_paths(base, errors),
        **imports_paths(base, errors),
        **exports_paths(base, errors),
        **backups_paths(base, errors),
    }


__all__ = ["platform_paths", "platform_schemas"]
