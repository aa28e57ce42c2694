"""The assignment save hook: a record's new owner gets a notification.

It runs after the trigger-rule hook, so an owner set by a rule's ``assign`` counts
as an assignment like one made through the API. The notification is written in the
save's transaction. People assigning a record to themselves are not notified.
"""

from __future__ import annotations

from trellis.platform.notifications import add_notification
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.hooks import SaveEvent


def assignment_text(event: SaveEvent) -> str:
    """The notification text of an assignment of the saved record."""
    entity = event.entity.entity
    title = event.record.get(entity.title) if entity.title else None
    return f"Assigned to you: {entity.label} {title or '#' + str(event.record.get('id'))}"


class AssignmentHook:
    """Notifies the new owner after each write that changed ``owner_id``."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app

    def before_write(self, event: SaveEvent) -> None:
        """Nothing to do before the write."""

    def after_write(self, event: SaveEvent) -> None:
        """Notify a new owner."""
        if event.op != "delete" and event.changed("owner_id"):
            self._assigned(event)

    def _assigned(self, event: SaveEvent) -> None:
        owner = event.record.get("owner_id")
        actor = event.ctx.user_id
        if not isinstance(owner, int) or owner == actor:
            return  # nobody to tell, or people assigning themselves
        record_id = int(event.record["id"])
        add_notification(
            event.ctx.conn,
            self.app.metadata,
            user_id=owner,
            text=assignment_text(event),
            kind="assignment",
            at=event.ctx.now,
            entity=event.entity.name,
            record_id=record_id,
            actor_id=actor,
        )
        event.explain("notification", "assignment", "notified", {"owner_id": owner})


def assignment_hook(app: CompiledApp) -> AssignmentHook:
    """The assignment hook of ``app`` (every app gets one: any record can be assigned)."""
    return AssignmentHook(app)


__all__ = ["AssignmentHook", "assignment_hook", "assignment_text"]
