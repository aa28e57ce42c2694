"""The badge colours enum options, workflow states and pipeline stages may declare."""

from __future__ import annotations

#: Named colours of status badges; the stylesheet gives each an accessible pair of
#: background and text colours in light and dark mode.
BADGE_COLOURS = ("gray", "blue", "green", "yellow", "orange", "red", "purple", "teal")

__all__ = ["BADGE_COLOURS"]
