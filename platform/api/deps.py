"""What API handlers receive by injection: the services, the caller, the entity.

The caller (``call: Call``) is authenticated once per request from the path's tenant and
the ``Authorization`` header, in the thread pool (the token lookup may touch the
database), and kept on the connection's state: the admin guard and the handler's
``call`` dependency share it. 401 comes before 404 (``ApiGate.call``); an entity
dependency comes after the caller, so a bad token never learns which entities exist.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, SkipValidation  # type: ignore[attr-defined]

from trellis.platform.api.gate import ApiGate
from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.services import Services
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.workflows import WorkflowsService

#: Where ``create_app`` keeps the application's ``ApiGate`` (``app.state``).
API_STATE = "api_gate"
_CALL = "trellis.call"
#: Handler parameter types of the injected values (``services: AppServices``,
#: ``call: Caller``, ...). (Injected by name; values are ours, so Litestar does not
#: validate them.)
AppServices = NamedDependency[SkipValidation[Services]]
Caller = NamedDependency[SkipValidation[Call]]
TenantApp = NamedDependency[SkipValidation[CompiledApp]]
Target = NamedDependency[SkipValidation[CompiledEntity]]
Workflows = NamedDependency[SkipValidation[WorkflowsService]]
#: ``opt`` key naming what an admin-only handler does ("Only tenant admins may <it>.").
ADMIN_PURPOSE = "admin_purpose"


def provide_services(state: State) -> Services:
    """The application's typed services (platform/services)."""
    api: ApiGate = state[API_STATE]
    return api.services


def provide_workflows(services: AppServices) -> WorkflowsService:
    """The application's workflow service."""
    return services.workflows


async def caller(connection: ASGIConnection[Any, Any, Any, Any]) -> Call:
    """The authenticated call of this request (computed once, off the event loop)."""
    found: Call | None = connection.state.get(_CALL)
    if found is None:
        api: ApiGate = connection.app.state[API_STATE]
        tenant = connection.path_params["tenant"]
        authorization = connection.headers.get("authorization")
        found = api.recent.get(tenant, authorization)
        if found is None:  # authenticating may touch the database: off the event loop
            found = await sync_to_thread(api.call, tenant, authorization)
        connection.state[_CALL] = found
    return found


async def provide_call(request: Request[Any, Any, Any], services: AppServices) -> Call:
    """The ``call`` dependency: see :func:`caller`.

    It names ``services`` (unused) so that Litestar resolves the two one after the other:
    dependencies of one level are resolved concurrently in an anyio task group, two tasks
    per request that cost more than both providers together.
    """
    del services
    return await caller(request)


def provide_app(call: Caller) -> CompiledApp:
    """The tenant's current compiled app (the caller's)."""
    return call.app


def provide_target(call: Caller, entity: FromPath[str]) -> CompiledEntity:
    """The path's entity: 404 when unknown, 403 when the caller may not read it."""
    return readable_entity(call, entity)


async def admin_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: 403 unless the caller is a tenant admin (after 401 and 404, as before)."""
    call = await caller(connection)
    call.access.require_admin(str(handler.opt.get(ADMIN_PURPOSE, "use this endpoint")))


def api_dependencies() -> dict[str, Provide]:
    """The API router's ``dependencies``: services, call, app, target and workflows."""
    return {
        "services": Provide(provide_services, sync_to_thread=False),
        "call": Provide(provide_call),
        "app": Provide(provide_app, sync_to_thread=False),
        "target": Provide(provide_target, sync_to_thread=False),
        "workflows": Provide(provide_workflows, sync_to_thread=False),
    }


__all__ = [
    "ADMIN_PURPOSE",
    "API_STATE",
    "AppServices",
    "Caller",
    "Target",
    "TenantApp",
    "Workflows",
    "admin_only",
    "api_dependencies",
    "caller",
    "provide_app",
    "provide_call",
    "provide_services",
    "provide_target",
    "provide_workflows",
]
