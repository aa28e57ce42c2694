"""Field history and time travel over the save pipeline's append-only change rows."""

from __future__ import annotations

from trellis.platform.history.as_of import record_as_of
from trellis.platform.history.changes import HistoryPage, history_page, parse_cursor

__all__ = ["HistoryPage", "history_page", "parse_cursor", "record_as_of"]
