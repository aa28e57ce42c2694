"""What every public page needs: its policy, the posted body, the origin check, errors."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.di import NamedDependency, Provide

from trellis.platform.public import origin_allowed

_BASE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'"
)


def page_policy(*, frame_ancestors: Sequence[str] = (), form_action: Sequence[str] = ()) -> str:
    """The Content-Security-Policy of a public page: no script, our stylesheet only."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    actions = " ".join(["'self'", *form_action])
    return f"{_BASE_POLICY}; form-action {actions}; frame-ancestors {ancestors}"


@dataclass(frozen=True, slots=True)
class Submission:
    """A posted body: JSON (an object) or a form (name -> every value)."""

    json: bool
    values: Mapping[str, Any] = field(default_factory=dict)
    posted: Mapping[str, list[str]] = field(default_factory=dict)
    malformed: bool = False

    def filled(self, name: str) -> bool:
        """Whether field ``name`` holds something."""
        if self.json:
            return self.values.get(name) not in (None, "")
        return any(v.strip() for v in self.posted.get(name, []))


async def read_submission(request: Request[Any, Any, Any]) -> Submission:
    """The posted body, read on the event loop before the handler's thread work."""
    content_type, _ = request.content_type
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = json.loads(await request.body() or b"null")
        except (ValueError, RecursionError):
            return Submission(json=True, malformed=True)
        if not isinstance(data, dict):
            return Submission(json=True, malformed=True)
        return Submission(json=True, values=data)
    form = await request.form()
    return Submission(json=False, posted={k: form.getall(k) for k in form})


SUBMISSION = {"submission": Provide(read_submission)}
Posted = NamedDependency[Submission]


def own_origin(request: Request[Any, Any, Any]) -> str:
    """This server's origin as the request reached it (scheme and ``Host``)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def origin_ok(request: Request[Any, Any, Any], allowed: Sequence[str]) -> bool:
    """Whether the post comes from this server or an allowed site.

    This host counts over either scheme: behind a TLS-terminating proxy the browser says
    ``https://`` while the request reached us over ``http://``.
    """
    headers = request.headers
    own = own_origin(request)
    other = "https://" + own[len("http://") :] if own.startswith("http://") else own
    return origin_allowed(headers.get("origin"), headers.get("referer"), own, [*allowed, other])


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def placed(errors: Mapping[str, list[str]], shown: Sequence[str]) -> dict[str, list[str]]:
    """Errors beside the fields shown; the others (hidden values, rules) above the form."""
    placed: dict[str, list[str]] = {}
    for name, messages in errors.items():
        key = name if name in shown else "__all__"
        placed.setdefault(key, []).extend(messages)
    return placed


__all__ = [
    "SUBMISSION",
    "Posted",
    "Submission",
    "origin_of",
    "origin_ok",
    "own_origin",
    "page_policy",
    "placed",
    "read_submission",
]
