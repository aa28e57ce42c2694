"""The save hook of duplicate rules: looks for live look-alikes before the write."""

from __future__ import annotations

from trellis.metadata.model.duplicates import DuplicateAction, DuplicateRuleDef
from trellis.platform.duplicates.candidates import Match, find_matches
from trellis.platform.duplicates.errors import DuplicateBlockedError, DuplicatesFoundError
from trellis.platform.i18n import N_
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.hooks import SaveEvent

#: Saves whose warnings are not asked about (they only move what a person decided).
_QUIET_SOURCES = frozenset({"merge", "restore"})


def _watched(rule: DuplicateRuleDef) -> tuple[str, ...]:
    return (*rule.fields, *(k.field for k in rule.blocking))


class DuplicateHook:
    """Refuses a save under a ``block`` rule; asks to confirm one under a ``warn`` rule."""

    def before_write(self, event: SaveEvent) -> None:
        """Find the record's duplicates; raise when a rule says so."""
        rules = event.entity.entity.duplicates
        if event.op not in ("create", "update") or not rules:
            return
        if event.old is not None:
            rules = tuple(r for r in rules if any(event.changed(f) for f in _watched(r)))
            if not rules:
                return
        own = event.record.get("id") if event.old is not None else None
        matches = find_matches(event.ctx.conn, event.entity, event.record, exclude=own, rules=rules)
        if not matches:
            event.explain("duplicates", "duplicates", "none found")
            return
        blocking = [m for m in matches if m.action is DuplicateAction.BLOCK]
        if blocking:
            event.explain("duplicates", "duplicates", "blocked")
            raise DuplicateBlockedError(_errors(event, blocking), blocking)
        ctx = event.ctx
        if ctx.allow_duplicate or ctx.depth > 0 or ctx.source in _QUIET_SOURCES:
            event.explain("duplicates", "duplicates", "allowed")
            return
        event.explain("duplicates", "duplicates", "warned")
        message = N_("This record looks like records that already exist.")
        raise DuplicatesFoundError(message, matches)

    def after_write(self, event: SaveEvent) -> None:
        """Nothing to do after the write."""


def _errors(event: SaveEvent, matches: list[Match]) -> dict[str, list[str]]:
    """A message on each field of the rules that refused the save."""
    names = {m.rule for m in matches}
    label = event.entity.entity.label
    message = N_("A %(entity)s with this value already exists.") % {"entity": label}
    errors: dict[str, list[str]] = {}
    for rule in event.entity.entity.duplicates:
        if rule.name in names:
            for field in rule.fields:
                errors.setdefault(field, [message])
    return errors


def duplicate_hook(app: CompiledApp) -> DuplicateHook | None:
    """The hook when some entity of ``app`` declares duplicate rules."""
    if any(e.entity.duplicates for e in app.entities.values()):
        return DuplicateHook()
    return None


__all__ = ["DuplicateHook", "duplicate_hook"]
