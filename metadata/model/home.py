"""The home page's panels (``home:`` in app.yaml): what "my work" shows, in order."""

from __future__ import annotations

from dataclasses import dataclass

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: Panel kinds: open and overdue activities, my open records by stage, records assigned
#: to me with their SLA state, recently changed records, unread notifications.
HOME_KINDS: tuple[str, ...] = ("activities", "pipeline", "assigned", "recent", "notifications")
#: Kinds that show records of one entity (``entity:`` required).
ENTITY_KINDS = frozenset({"activities", "pipeline", "assigned"})
#: Rows a panel shows when it declares no ``limit``.
DEFAULT_LIMIT = 8
#: The largest ``limit`` a panel may declare.
MAX_LIMIT = 50


@dataclass(frozen=True, slots=True)
class HomePanelDef:
    """One panel of the home page; ``title`` may be a LocalText (one value per locale)."""

    kind: str
    entity: str | None = None
    title: str | None = None
    limit: int = DEFAULT_LIMIT
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = ["DEFAULT_LIMIT", "ENTITY_KINDS", "HOME_KINDS", "MAX_LIMIT", "HomePanelDef"]
