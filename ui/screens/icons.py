"""The screens' icon set: SVG path data, 24 by 24, stroked, drawn from one static sprite.

``ICON_PATHS`` are the entity icons metadata may name (``layouts: detail: icon:``);
``UI_ICON_PATHS`` are the actions and states of the screens. ``static/icons.svg`` is
``sprite()`` written out (``python -m trellis.ui.screens.icons`` rewrites it; a unit test
keeps the two equal), and templates draw an icon with ``icon(name)``: an ``<svg><use>``
of that file, so no inline style, script or font is needed.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from types import MappingProxyType

from markupsafe import Markup

ICON_PATHS = MappingProxyType(
    {
        "building": "M4 21V3h10v18M14 9h6v12M7 7h4M7 11h4M7 15h4M3 21h18",
        "person": "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0",
        "people": (
            "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2 20a7 7 0 0 1 14 0"
            "M16 4a3.5 3.5 0 0 1 0 7M18 13.5a7 7 0 0 1 4 6.5"
        ),
        "briefcase": "M3 8h18v12H3zM9 8V5h6v3M3 13h18",
        "target": (
            "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM12 12h0"
        ),
        "lifebuoy": (
            "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8z"
            "M5.6 5.6l3.6 3.6M14.8 14.8l3.6 3.6M18.4 5.6l-3.6 3.6M9.2 14.8l-3.6 3.6"
        ),
        "document": "M6 3h8l4 4v14H6zM14 3v4h4M9 12h6M9 16h6",
        "calendar": "M4 5h16v16H4zM4 10h16M8 3v4M16 3v4",
        "mail": "M3 5h18v14H3zM3 6l9 7 9-7",
        "phone": (
            "M5 3h4l2 5-3 2a11 11 0 0 0 6 6l2-3 5 2v4a2 2 0 0 1-2 2A17 17 0 0 1 3 5a2 2 0 0 1 2-2z"
        ),
        "cart": "M3 4h2l3 11h11l2-8H6M9 20h0M18 20h0",
        "box": "M3 7l9-4 9 4v10l-9 4-9-4zM3 7l9 4 9-4M12 11v10",
        "star": "M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.2L12 17.4 6.5 20.3l1-6.2L3 9.7l6.2-.9z",
        "flag": "M5 21V4M5 4h12l-2 4 2 4H5",
        "chat": "M4 4h16v12H9l-5 4z",
        "chart": "M4 20V10M10 20V4M16 20v-7M3 20h18",
    }
)

#: Icons of actions and states (not for metadata: ``ICON_PATHS`` are those).
UI_ICON_PATHS = MappingProxyType(
    {
        "home": "M3 11l9-8 9 8M5 10v10h14V10M10 20v-6h4v6",
        "plus": "M12 5v14M5 12h14",
        "edit": "M4 20h4L19 9l-4-4L4 16zM14 6l4 4",
        "search": "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM16 16l5 5",
        "filter": "M3 5h18l-7 8v6l-4 2v-8z",
        "download": "M12 4v11M7 10l5 5 5-5M4 20h16",
        "upload": "M12 16V5M7 10l5-5 5 5M4 20h16",
        "more": "M5 12h.01M12 12h.01M19 12h.01",
        "bell": "M6 16v-5a6 6 0 0 1 12 0v5l2 2H4zM10 21h4",
        "list": "M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01",
        "columns": "M4 4h4v16H4zM10 4h4v10h-4zM16 4h4v13h-4z",
        "check": "M5 12l5 5L20 7",
        "close": "M6 6l12 12M18 6L6 18",
        "trash": "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13",
        "clock": "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2",
        "alert": "M12 3l10 18H2zM12 10v4M12 17h.01",
        "inbox": "M3 13l3-9h12l3 9v7H3zM3 13h5l1 3h6l1-3h5",
        "density": "M4 6h16M4 10h16M4 14h16M4 18h16",
        "settings": "M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1M15 4v4M9 10v4M17 16v4",
        "moon": "M20 14A8 8 0 0 1 10 4a8 8 0 1 0 10 10z",
        "link": (
            "M10 14a4 4 0 0 0 6 0l3-3a4 4 0 0 0-6-6l-1 1M14 10a4 4 0 0 0-6 0l-3 3a4 4 0 0 0 6 6l1-1"
        ),
        "paperclip": "M20 11l-8 8a5 5 0 0 1-7-7l8-8a3.5 3.5 0 0 1 5 5l-8 8a2 2 0 0 1-3-3l7-7",
    }
)
#: The icon of an entity whose detail layout names none.
DEFAULT_ENTITY_ICON = "box"
SPRITE = Path(__file__).parent / "static" / "icons.svg"
#: The sprite's address (static files are served under ``/static``).
SPRITE_URL = "/static/icons.svg"
_STROKE = (
    'fill="none" stroke="currentColor" stroke-width="1.8" '
    'stroke-linecap="round" stroke-linejoin="round"'
)


def sprite() -> str:
    """The SVG sprite: one ``<symbol id="NAME">`` per icon."""
    symbols = [
        f'<symbol id="{name}" viewBox="0 0 24 24"><path d="{d}" {_STROKE}/></symbol>'
        for name, d in sorted({**ICON_PATHS, **UI_ICON_PATHS}.items())
    ]
    return '<svg xmlns="http://www.w3.org/2000/svg">' + "".join(symbols) + "</svg>\n"


def icon(name: str, label: str | None = None, size: int = 18) -> Markup:
    """An ``<svg>`` drawing icon ``name`` of the sprite; decorative unless ``label``."""
    known = name if name in ICON_PATHS or name in UI_ICON_PATHS else DEFAULT_ENTITY_ICON
    named = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    return Markup(
        f'<svg class="icon" {named} focusable="false" width="{size}" height="{size}">'
        f'<use href="{SPRITE_URL}#{known}"/></svg>'
    )


if __name__ == "__main__":  # rewrite static/icons.svg atomically
    temporary = SPRITE.with_suffix(".svg.tmp")
    temporary.write_text(sprite(), encoding="utf-8")
    temporary.replace(SPRITE)

__all__ = ["DEFAULT_ENTITY_ICON", "ICON_PATHS", "SPRITE", "UI_ICON_PATHS", "icon", "sprite"]
