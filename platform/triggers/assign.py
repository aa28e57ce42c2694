"""Who ``assign <field> round_robin("role")`` or ``load_balanced("role")`` picks.

Candidates are the active members of the tenant having the role (see ``members``);
``in team "t"`` keeps those of team ``t``, ``in team <field>`` those of the team the
record's field names (its value as text), ``matching <attr>`` those whose attribute
``attr`` equals the record's field ``attr``. A record whose team or matched field is
empty, or with no candidate left, is not assigned (logged).

- ``round_robin`` takes them in turn (ascending user id); the turn is a counter per
  rule (and team and matched value: each team has its own turn) kept in the tenant's
  sequences, so it survives restarts and is shared by every process.
- ``load_balanced`` takes the member holding the fewest *open* records of the rule's
  entity in the assigned field (``owner_id`` for ``assign owner``), ties going to the
  lowest user id. A record is open while it is live (not deleted), not in a won or
  lost stage of any pipeline field, and not in a done state of any workflow on the
  entity (its ``done:`` states, else the states no transition leaves). The record
  being assigned is not counted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, assert_never

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.triggers._store import RuleStore
from trellis.platform.triggers.members import member_lookup
from trellis.rules.triggers import AssignAction, CompiledRule, Strategy

LOG = logging.getLogger("trellis.triggers")


def closed_values(app: CompiledApp, entity: CompiledEntity) -> dict[str, tuple[str, ...]]:
    """Column -> the values that make a record of ``entity`` no longer open."""
    model = app.model
    closed: dict[str, set[str]] = {}
    for f in entity.entity.fields.values():
        pipeline = model.pipelines.get(f.pipeline or "") if f.type == FieldType.PIPELINE else None
        if pipeline is not None:
            ends = {s.name for s in pipeline.stages if s.won or s.lost}
            if ends:
                closed.setdefault(f.name, set()).update(ends)
    for flow in model.workflows_of(entity.name):
        leaving = {state for t in flow.transitions for state in t.from_states}
        finals = set(flow.done_states) or {s for s in flow.states if s not in leaving}
        if finals:
            closed.setdefault(flow.field, set()).update(finals)
    return {column: tuple(sorted(values)) for column, values in closed.items()}


class Assigner:
    """Picks the user an ``assign`` action gives a record to."""

    def __init__(self, app: CompiledApp, store: RuleStore) -> None:
        self.app = app
        self.store = store
        self._open: dict[str, sa.ColumnElement[bool] | None] = {}

    def pick(
        self,
        conn: sa.Connection,
        rule: CompiledRule,
        action: AssignAction,
        entity: CompiledEntity,
        record_id: int | None,
        record: dict[str, Any] | None = None,
    ) -> int | None:
        """The chosen member, or None (logged) when no member fits."""
        values = record or {}
        team = action.team
        if action.team_field is not None:
            team = _text(values.get(action.team_field))
        wanted: dict[str, str] = {}
        if action.matching is not None:
            matched = _text(values.get(action.matching))
            if matched is not None:
                wanted[action.matching] = matched
        if (action.team_field is not None and team is None) or (
            action.matching is not None and not wanted
        ):
            LOG.info("rule %r: the record has no team or matched value to assign by", rule.name)
            return None
        lookup = member_lookup(self.app)
        found = lookup(action.role, team=team, attributes=wanted) if lookup is not None else []
        members = sorted(set(found))
        if not members:
            LOG.info("rule %r: no member has role %r (team %r, %r)", rule.name, action.role,
                     team, wanted)  # fmt: skip
            return None
        match action.strategy:
            case Strategy.LOAD_BALANCED:
                return self.least_loaded(conn, entity, action.column, members, record_id)
            case Strategy.ROUND_ROBIN:
                turn = self.store.next_turn(conn, turn_key(rule.name, team, wanted))
                return members[turn % len(members)]
            case _:
                assert_never(action.strategy)

    def least_loaded(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        column: str,
        members: list[int],
        record_id: int | None,
    ) -> int:
        """The member holding the fewest open records of ``entity`` in ``column``
        (lowest id on ties)."""
        t = entity.table
        holder = t.c[column]
        query = (
            sa.select(holder, sa.func.count(t.c.id))
            .where(holder.in_(members), t.c.deleted_at.is_(None))
            .group_by(holder)
        )
        still_open = self._open_condition(entity)
        if still_open is not None:
            query = query.where(still_open)
        if record_id is not None:
            query = query.where(t.c.id != record_id)
        loads: dict[int, int] = dict.fromkeys(members, 0)
        for owner, count in conn.execute(query):
            loads[int(owner)] = int(count)
        return min(members, key=lambda m: (loads[m], m))

    def _open_condition(self, entity: CompiledEntity) -> sa.ColumnElement[bool] | None:
        if entity.name not in self._open:
            t = entity.table
            parts: list[Any] = [
                sa.or_(t.c[column].is_(None), t.c[column].not_in(values))
                for column, values in closed_values(self.app, entity).items()
            ]
            self._open[entity.name] = sa.and_(*parts) if parts else None
        return self._open[entity.name]


def _text(value: Any) -> str | None:
    """A record value as the text a team name or attribute is compared with."""
    if value is None or value == "":
        return None
    return str(value)


def turn_key(rule: str, team: str | None, wanted: dict[str, str]) -> str:
    """The sequence holding the turn: per rule, and per team and matched value."""
    if team is None and not wanted:
        return f"rr:{rule}"[:100]
    scope = json.dumps([team, sorted(wanted.items())])
    digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
    return f"rr:{rule}"[:83] + f":{digest}"


__all__ = ["Assigner", "closed_values", "turn_key"]
