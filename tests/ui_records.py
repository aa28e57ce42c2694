"""Helpers for screen tests: create and read records directly through the records service."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from trellis.platform.records.views import encode
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services

Creator = Callable[..., dict[str, Any]]


def creator(runtime: Runtime, tenant: str, user_id: int) -> Creator:
    """A function creating records as member ``user_id`` through the save pipeline."""
    services = Services(runtime)
    identity = runtime.registry.member_identity(tenant, user_id)
    if identity is None:
        raise LookupError(f"User {user_id} is not a member of {tenant}.")

    def create(entity: str, **data: Any) -> dict[str, Any]:
        call = services.call_as(tenant, identity)
        result = services.records.create(call, call.app.entities[entity], data)
        body: dict[str, Any] = json.loads(encode(result.record))
        return body

    return create


def record(runtime: Runtime, tenant: str, entity: str, ident: int) -> dict[str, Any]:
    """Stored record ``ident``, read as the tenant's admin ``admin@<tenant>.test``."""
    services = Services(runtime)
    user = runtime.registry.ensure_user(f"admin@{tenant}.test", "correct horse battery")
    identity = runtime.registry.member_identity(tenant, user)
    if identity is None:
        raise LookupError(f"admin@{tenant}.test is not a member of {tenant}.")
    call = services.call_as(tenant, identity)
    found = services.records.read(call, call.app.entities[entity], ident)
    body: dict[str, Any] = json.loads(encode(found.record))
    return body
