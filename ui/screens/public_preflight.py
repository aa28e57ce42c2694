"""CORS preflight of public forms: an allowed site's script may post JSON.

A browser asks ``OPTIONS /p/{tenant}/forms/{form}`` before a cross-site ``POST`` whose
body is ``application/json``. The answer lets exactly the form's ``allowed_origins``
post (``POST``, header ``Content-Type``), without credentials: public pages neither set
nor read cookies. Any other origin, method or header gets ``403`` with no CORS header,
so the browser never sends the post; the post itself is checked again as always.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from litestar import Request, Response

#: How long a browser may reuse a preflight answer (seconds).
MAX_AGE = 600
_SIMPLE_HEADERS = frozenset({"content-type", "accept", "accept-language", "content-language"})


def preflight(request: Request[Any, Any, Any], allowed_origins: Collection[str]) -> Response[Any]:
    """The preflight answer for a form accepting posts from ``allowed_origins``."""
    origin = request.headers.get("origin", "")
    method = request.headers.get("access-control-request-method", "")
    asked = request.headers.get("access-control-request-headers", "")
    headers = {h.strip().lower() for h in asked.split(",") if h.strip()}
    allowed = {o.lower().rstrip("/") for o in allowed_origins}
    if origin.lower() not in allowed or method.upper() != "POST" or headers - _SIMPLE_HEADERS:
        return Response(content=b"", status_code=403, headers={"Vary": "Origin"})
    return Response(
        content=b"",
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": str(MAX_AGE),
            "Vary": "Origin",
        },
    )


__all__ = ["MAX_AGE", "preflight"]
