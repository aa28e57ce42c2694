"""Comments on records over the JSON API (the screens use the same functions).

``GET /t/{t}/api/{entity}/{id}/_comments?limit=&before=`` answers ``{"items", "count"}``
newest first; ``POST /t/{t}/api/{entity}/{id}/_comments`` with ``{"body": "..."}``
answers 201 ``{"comment", "notified", "cannot_read", "unresolved"}`` (user ids, and
mention tokens that named nobody). The caller must be able to read the record: 403
for an entity the role cannot read, 404 outside the scope; bad text is 422.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.activity import CommentError, post_comment
from trellis.platform.activity.comments import comment_json, list_comments
from trellis.platform.activity.service import require_record
from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.api.requests import parse_object
from trellis.platform.records.errors import BadRequestError, ValidationFailedError
from trellis.platform.records.ids import parse_id

MAX_LIMIT = 500


def _int_param(name: str, raw: str | None, default: int | None, top: int) -> int | None:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise BadRequestError(
            Translatable(
                "Parameter '%(name)s' has value '%(value)s'. Use 1 to %(top)s.",
                name=name,
                value=raw[:20],
                top=top,
            )
        )
    return int(raw)


class CommentsController(Controller):
    """``/t/{t}/api/{entity}/{id}/_comments``."""

    path = "/{entity:str}/{record_id:str}/_comments"

    @get("/", sync_to_thread=True)
    def list_record_comments(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
    ) -> dict[str, Any]:
        ident = parse_id(target.name, record_id)
        params = request.query_params
        limit = _int_param("limit", params.get("limit"), 50, MAX_LIMIT) or 50
        before = _int_param("before", params.get("before"), None, 2**63 - 1)
        with services.runtime.engines.tenant_connection(call.tenant) as conn:
            require_record(call, conn, target, ident)
            found = list_comments(
                conn, call.app.metadata, target.name, ident, limit=limit, before_id=before
            )
        items = [comment_json(c) for c in found]
        return {"items": items, "count": len(items)}

    @post("/", status_code=201, sync_to_thread=True)
    def create_comment(
        self,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        body: RawBody,
    ) -> dict[str, Any]:
        ident = parse_id(target.name, record_id)
        data = parse_object(body)
        text = data.get("body")
        if not isinstance(text, str):
            raise ValidationFailedError({"body": ["Send the comment text as a string."]})
        try:
            posted = post_comment(services, call, target, ident, text)
        except CommentError as exc:
            raise ValidationFailedError({"body": [str(exc)]}) from None
        with services.runtime.engines.tenant_connection(call.tenant) as conn:
            stored = list_comments(
                conn, call.app.metadata, target.name, ident, limit=1, before_id=posted.id + 1
            )
        return {
            "comment": comment_json(stored[0]),
            "notified": [m.user_id for m in posted.notified],
            "cannot_read": [m.user_id for m in posted.cannot_read],
            "unresolved": posted.unresolved,
        }


__all__ = ["CommentsController"]
