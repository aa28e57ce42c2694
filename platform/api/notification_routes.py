"""Notification and delivery-log routes.

Every member sees their own notifications:
``GET /t/{t}/api/_notifications?unread=true&limit=&before=`` answers
``{"items", "count", "unread"}`` (``unread`` is the caller's unread total);
``POST /t/{t}/api/_notifications/{id}/read`` and ``POST …/_notifications/read-all``.

Tenant admins see the delivery log: ``GET /t/{t}/api/_emails`` and
``GET /t/{t}/api/_webhooks`` (``?status=sent|failed|skipped&limit=``), one row per attempt.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.requests import parse_list_limit as _limit
from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.jobs.deliveries import STATUSES, list_deliveries
from trellis.platform.notifications import (
    list_for_user,
    mark_all_read,
    mark_read,
    unread_count,
)
from trellis.platform.records.errors import BadRequestError, ForbiddenError, NotFoundError
from trellis.platform.records.ids import parse_id
from trellis.platform.records.views import JSON, encode


def _flag(name: str, raw: str | None) -> bool:
    if raw is None or raw in ("false", "0", ""):
        return False
    if raw in ("true", "1"):
        return True
    raise BadRequestError(f"Parameter '{name}' has value '{raw}'. Use true or false.")


def _before(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise BadRequestError(f"Parameter 'before' has value '{raw}'. Use a notification id.")
    return int(raw)


def _json(body: Any) -> Response[bytes]:
    return Response(content=encode(body), status_code=200, media_type=JSON)


def notification_routes(api: TenantApi) -> list[HTTPRouteHandler]:
    """The notification and delivery-log route handlers over ``api``."""
    runtime = api.runtime

    @get("/t/{tenant:str}/api/_notifications", sync_to_thread=True)
    def list_notifications(
        request: Request[Any, Any, Any], tenant: FromPath[str]
    ) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        params = request.query_params
        before = params.get("before")
        items = list_for_user(
            runtime,
            call.tenant,
            call.identity.user_id,
            unread=_flag("unread", params.get("unread")),
            limit=_limit(params.get("limit")),
            before_id=_before(before),
        )
        unread = unread_count(runtime, call.tenant, call.identity.user_id)
        return _json({"items": items, "count": len(items), "unread": unread})

    @post("/t/{tenant:str}/api/_notifications/read-all", status_code=200, sync_to_thread=True)
    def read_all(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        marked = mark_all_read(runtime, call.tenant, call.identity.user_id)
        return _json({"marked": marked, "unread": 0})

    @post(
        "/t/{tenant:str}/api/_notifications/{note_id:str}/read",
        status_code=200,
        sync_to_thread=True,
    )
    def read_one(
        request: Request[Any, Any, Any], tenant: FromPath[str], note_id: FromPath[str]
    ) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        user = call.identity.user_id
        number = parse_id("notification", note_id)
        if not mark_read(runtime, call.tenant, user, number):
            raise NotFoundError(f"No notification with id {number}.")
        return _json({"id": number, "read": True, "unread": unread_count(runtime, tenant, user)})

    def deliveries(request: Request[Any, Any, Any], tenant: str, kind: str) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        if not call.access.admin:
            raise ForbiddenError(f"Only tenant admins may see the {kind} delivery log.")
        status = request.query_params.get("status") or None
        if status is not None and status not in STATUSES:
            raise BadRequestError(
                f"Parameter 'status' has value '{status}'. Use {', '.join(STATUSES)}."
            )
        limit = _limit(request.query_params.get("limit"))
        with runtime.engines.tenant_connection(call.tenant) as conn:
            items = list_deliveries(conn, call.app.metadata, kind, status=status, limit=limit)
        return _json({"items": items, "count": len(items)})

    @get("/t/{tenant:str}/api/_emails", sync_to_thread=True)
    def email_log(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[bytes]:
        return deliveries(request, tenant, "email")

    @get("/t/{tenant:str}/api/_webhooks", sync_to_thread=True)
    def webhook_log(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[bytes]:
        return deliveries(request, tenant, "webhook")

    return [list_notifications, read_all, read_one, email_log, webhook_log]


__all__ = ["notification_routes"]
