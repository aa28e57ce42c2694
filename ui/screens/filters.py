"""Jinja filters and globals of the screens."""

from __future__ import annotations

from typing import Any

from trellis.platform.api.security_headers import CONTENT_SECURITY_POLICY

HTMX_VERSION = "2.0.11"


def register_filters(engine: Any) -> None:
    """Add the screens' globals to the Jinja environment of ``engine``."""
    env = engine.engine
    env.globals["htmx_version"] = HTMX_VERSION
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    env.trim_blocks = True
    env.lstrip_blocks = True


__all__ = ["register_filters"]
