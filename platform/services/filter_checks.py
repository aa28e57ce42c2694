"""Filters checked against a role set's visible model, remembered per app version.

A restricted caller's filter is compiled against the model as their roles see it, so
naming a hidden field is an unknown field. The check's outcome depends only on the
visible model (one per role set and user attributes), the entity and the text, so a
success is remembered (bounded, oldest out). Each entry keeps its model alive, so the
model's ``id`` in the key cannot be reused by another while the entry exists.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from trellis.metadata.model import AppModel
from trellis.platform.authz.access import RoleSet
from trellis.platform.records.query import FILTER_CACHE_SIZE, compile_filter


class FilterChecks:
    """Which (visible model, entity, filter text) compiled."""

    def __init__(self, size: int = FILTER_CACHE_SIZE) -> None:
        self._size = size
        self._seen: OrderedDict[tuple[int, str, str], AppModel] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, roles: RoleSet, entity: str, text: str) -> None:
        """Raise ``BadRequestError`` unless ``text`` compiles for what ``roles`` see."""
        visible = roles.visible_model
        key = (id(visible), entity, text)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return
        compile_filter(text, visible.entities[entity], visible)
        with self._lock:
            self._seen[key] = visible
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)


__all__ = ["FilterChecks"]
