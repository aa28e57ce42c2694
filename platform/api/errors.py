"""Errors as answers: JSON on the API (DESIGN.md §7), an HTML page on the screens.

Litestar resolves exception handlers from the layers of the route that matched, so the
API ``Router`` and the screens ``Router`` each carry the map :func:`error_handlers`
builds: JSON without a page renderer, the renderer's page with one. A request that
matches no route (an unknown path, a method the path lacks) has no layers; the
application's own map answers it, and only there the path decides (:func:`outside_api`).

An unexpected error answers 500 with a generic message and an ``X-Request-Id`` header;
the traceback goes to the log under that id, never to the client. A refusal's platform
messages (``Translatable``) follow the caller's ``Accept-Language`` (English by default).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from trellis.metadata.model.local_text import DEFAULT_LOCALE, LocalText, Translatable
from trellis.platform.api.requests import request_locale
from trellis.platform.db.outages import classify
from trellis.platform.i18n import Translator
from trellis.platform.records.errors import RecordError
from trellis.platform.records.views import JSON, encode
from trellis.platform.sessions.store import SessionStoreUnavailableError

LOG = logging.getLogger("trellis.api")
#: Renders ``(request, status, message)`` as a page, or None to answer JSON instead.
ErrorPage = Callable[[Request[Any, Any, Any], int, str], "Response[Any] | None"]
SERVER_ERROR = "Something went wrong on the server; nothing was saved."
REQUEST_ID = "X-Request-Id"
CONFLICT = (
    "The change conflicts with another record saved at the same time (a unique value "
    "or a repeated request); nothing was saved. Try again."
)


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the JSON API (the root document and health included)."""
    return "/api/" in path or path in ("/", "/health")


def outside_api(page: ErrorPage) -> ErrorPage:
    """``page`` for paths outside the API, JSON for API paths (requests no route matched)."""

    def render(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any] | None:
        return None if is_api_path(request.url.path) else page(request, status, message)

    return render


def _json(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response[bytes]:
    return Response(content=encode(body), status_code=status, media_type=JSON, headers=headers)


def _message(message: str) -> dict[str, Any]:
    return {"errors": {"__all__": [message]}}


def localized_body(body: dict[str, Any], locale: str) -> dict[str, Any]:
    """An error body with its platform messages (Translatable) and metadata messages
    (LocalText) in ``locale``.

    English, the default, keeps the body as it is; other text is never changed.
    """
    if locale == DEFAULT_LOCALE or not isinstance(body.get("errors"), dict):
        return body
    t = Translator(locale)
    errors = {
        key: [t.message(m) if isinstance(m, Translatable | LocalText) else m for m in messages]
        for key, messages in body["errors"].items()
    }
    return {**body, "errors": errors}


def _integrity_error(_request: Request[Any, Any, Any], exc: IntegrityError) -> Response[bytes]:
    LOG.info("integrity error: %s", exc.orig)
    return _json(_message(CONFLICT), 409)


def error_handlers(page: ErrorPage | None = None) -> ExceptionHandlersMap:
    """Every exception handler of one layer: JSON answers, or ``page``'s where it renders one."""

    def shown(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any] | None:
        return page(request, status, message) if page is not None else None

    def record_error(request: Request[Any, Any, Any], exc: RecordError) -> Response[Any]:
        answer = shown(request, exc.status, exc.message)
        if answer is not None:
            return answer
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        return _json(localized_body(exc.body(), request_locale(request)), exc.status, headers)

    def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        answer = shown(request, exc.status_code, str(exc.detail))
        if answer is not None:
            return answer
        return _json(_message(str(exc.detail)), exc.status_code, exc.headers or {})

    def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        request_id = uuid.uuid4().hex
        LOG.exception("unhandled error, request id %s", request_id, exc_info=exc)
        answer = shown(request, 500, f"{SERVER_ERROR} (Request id {request_id}.)")
        if answer is None:
            answer = _json(_message(SERVER_ERROR), 500)
        answer.headers[REQUEST_ID] = request_id
        return answer

    def database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        """A locked, unreachable or full database, or no session store: 503/507, else 500.

        The table is platform/db/outages.py.
        """
        outage = classify(exc)
        if outage is None:
            return server_error(request, exc)
        LOG.warning("outage, %s (%s %s): %s", outage.kind, request.method, request.url.path, exc)
        answer = shown(request, outage.status, outage.message)
        if answer is not None:
            answer.headers.update(outage.headers())
            return answer
        return _json(outage.body(), outage.status, outage.headers())

    return {
        RecordError: record_error,
        HTTPException: http_error,
        IntegrityError: _integrity_error,
        DBAPIError: database_error,
        PoolTimeoutError: database_error,
        SessionStoreUnavailableError: database_error,
        Exception: server_error,
    }


__all__ = [
    "REQUEST_ID",
    "SERVER_ERROR",
    "ErrorPage",
    "error_handlers",
    "is_api_path",
    "outside_api",
]
