"""``OPTIONS`` answers whose ``Allow`` lists every method of the path.

Litestar builds an ``OPTIONS`` handler for a path when its first handler is registered
and keeps it when further handlers of the same path (``POST`` beside ``GET``) join the
route, so its ``Allow`` header missed their methods. One explicit handler per path,
built from every handler of that path, answers instead; ``create_app`` puts them before
the handlers they describe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from litestar import Response, route
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler


def _options(path: str, allow: str) -> HTTPRouteHandler:
    @route(path, http_method=[HttpMethod.OPTIONS], include_in_schema=False, sync_to_thread=False)
    def options() -> Response[None]:
        return Response(content=None, status_code=204, headers={"Allow": allow})

    return options


def options_handlers(handlers: Iterable[Any]) -> list[HTTPRouteHandler]:
    """One ``OPTIONS`` handler per path of ``handlers`` (plain route handlers only).

    Paths that already have an ``OPTIONS`` handler are left alone.
    """
    methods: dict[str, set[str]] = {}
    for handler in handlers:
        if not isinstance(handler, HTTPRouteHandler):
            continue
        for path in handler.paths:
            methods.setdefault(path, set()).update(handler.http_methods)
    return options_for({path: sorted(found) for path, found in methods.items()})


def options_for(methods: Mapping[str, Iterable[str]]) -> list[HTTPRouteHandler]:
    """One ``OPTIONS`` handler per path of ``methods`` (path -> its methods).

    Paths that already have an ``OPTIONS`` handler are left alone.
    """
    return [
        _options(path, ", ".join(sorted({*found, "OPTIONS"})))
        for path, found in methods.items()
        if "OPTIONS" not in found
    ]


__all__ = ["options_for", "options_handlers"]
