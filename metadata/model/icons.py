"""The named icons a record page's header may show (``layouts: detail: icon:``)."""

from __future__ import annotations

#: Icon names; the screens draw each as an SVG symbol of their own.
ICON_NAMES = (
    "building",
    "person",
    "people",
    "briefcase",
    "target",
    "lifebuoy",
    "document",
    "calendar",
    "mail",
    "phone",
    "cart",
    "box",
    "star",
    "flag",
    "chat",
    "chart",
)

__all__ = ["ICON_NAMES"]
