"""SVG path data of the named header icons (``layouts: detail: icon:``), 24 by 24, stroked."""

from __future__ import annotations

from types import MappingProxyType

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

__all__ = ["ICON_PATHS"]
