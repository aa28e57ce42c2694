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

from litestar import Controller, Request, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import parse_list_limit as _limit
from trellis.platform.authz.call import Call
from trellis.platform.jobs.deliveries import STATUSES, list_deliveries
from trellis.platform.notifications import (
    list_for_user,
    mark_all_read,
    mark_read,
    unread_count,
)
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.ids import parse_id
from trellis.platform.services import Services


def _flag(name: str, raw: str | None) -> bool:
    if raw is None or raw in ("false", "0", ""):
        return False
    if raw in ("true", "1"):
        return True
    raise BadRequestError(
        Translatable(
            "Parameter '%(name)s' has value '%(value)s'. Use true or false.", name=name, value=raw
        )
    )


def _before(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise BadRequestError(
            Translatable(
                "Parameter 'before' has value '%(value)s'. Use a notification id.", value=raw
            )
        )
    return int(raw)


class NotificationsController(Controller):
    """``_notifications``: every member's own."""

    path = "/_notifications"

    @get("/", sync_to_thread=True)
    def list_notifications(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        runtime = services.runtime
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
        return {"items": items, "count": len(items), "unread": unread}

    @post("/read-all", status_code=200, sync_to_thread=True)
    def read_all(self, services: AppServices, call: Caller) -> dict[str, Any]:
        marked = mark_all_read(services.runtime, call.tenant, call.identity.user_id)
        return {"marked": marked, "unread": 0}

    @post("/{note_id:str}/read", status_code=200, sync_to_thread=True)
    def read_one(
        self, services: AppServices, call: Caller, note_id: FromPath[str]
    ) -> dict[str, Any]:
        runtime = services.runtime
        user = call.identity.user_id
        number = parse_id("notification", note_id)
        if not mark_read(runtime, call.tenant, user, number):
            raise NotFoundError(Translatable("No notification with id %(id)s.", id=number))
        unread = unread_count(runtime, call.tenant, user)
        return {"id": number, "read": True, "unread": unread}


def _deliveries(
    request: Request[Any, Any, Any], services: Services, call: Call, kind: str
) -> dict[str, Any]:
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadRequestError(
            Translatable(
                "Parameter '%(name)s' has value '%(value)s'. Use one of %(choices)s.",
                name="status",
                value=status,
                choices=", ".join(STATUSES),
            )
        )
    limit = _limit(request.query_params.get("limit"))
    with services.runtime.engines.tenant_connection(call.tenant) as conn:
        items = list_deliveries(conn, call.app.metadata, kind, status=status, limit=limit)
    return {"items": items, "count": len(items)}


class DeliveriesController(Controller):
    """``_emails`` and ``_webhooks``: the delivery log, tenant admins only."""

    path = "/"
    guards = [admin_only]

    @get("/_emails", sync_to_thread=True, opt={ADMIN_PURPOSE: "see the email delivery log"})
    def email_log(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        return _deliveries(request, services, call, "email")

    @get("/_webhooks", sync_to_thread=True, opt={ADMIN_PURPOSE: "see the webhook delivery log"})
    def webhook_log(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        return _deliveries(request, services, call, "webhook")


__all__ = ["DeliveriesController", "NotificationsController"]
