"""Helpers for screen tests: create and read records directly through ``TenantApi``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.runtime import Runtime

Creator = Callable[..., dict[str, Any]]


def creator(runtime: Runtime, tenant: str, user_id: int) -> Creator:
    """A function creating records as member ``user_id`` through the save pipeline."""
    api = TenantApi(runtime)
    identity = runtime.registry.member_identity(tenant, user_id)
    if identity is None:
        raise LookupError(f"User {user_id} is not a member of {tenant}.")

    def create(entity: str, **data: Any) -> dict[str, Any]:
        call = api.call_as(tenant, identity)
        result = api.create(call, call.app.entities[entity], data, None, b"")
        body: dict[str, Any] = json.loads(result.body or b"{}")
        return body

    return create


def record(runtime: Runtime, tenant: str, entity: str, ident: int) -> dict[str, Any]:
    """Stored record ``ident``, read as the tenant's admin ``admin@<tenant>.test``."""
    api = TenantApi(runtime)
    user = runtime.registry.ensure_user(f"admin@{tenant}.test", "correct horse battery")
    identity = runtime.registry.member_identity(tenant, user)
    if identity is None:
        raise LookupError(f"admin@{tenant}.test is not a member of {tenant}.")
    call = api.call_as(tenant, identity)
    body: dict[str, Any] = json.loads(api.read(call, call.app.entities[entity], ident).body or b"")
    return body
