"""Where an after-save action runs: the saved record, its transaction, the rule's bindings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.hooks import Saver
from trellis.platform.records.save_context import SaveContext
from trellis.platform.records.values import to_json
from trellis.rules.expr import EvalContext


@dataclass(slots=True)
class Scene:
    """Where an action runs: the saved record, its transaction and why the rule fired."""

    ctx: SaveContext
    saver: Saver | None
    entity: CompiledEntity
    #: The record as saved; a transition updates it in place.
    record: dict[str, Any]
    ev: EvalContext
    #: ``created``, ``updated``, ``deleted`` or ``timer`` (webhook payloads).
    event: str
    #: ``create … as <name>`` ids of the rule running now (the hook clears it per rule).
    bound: dict[str, int] = field(default_factory=dict)

    @property
    def record_id(self) -> int:
        """The record's id."""
        return int(self.record["id"])

    def json_record(self) -> dict[str, Any]:
        """The record as JSON values (payloads, templates)."""
        fields = self.entity.entity.fields
        return {k: to_json(v, fields.get(k)) for k, v in self.record.items()}


def iso(value: datetime | None) -> str | None:
    """A datetime as the API writes it, or None."""
    return None if value is None else to_json(value, None)


__all__ = ["Scene", "iso"]
