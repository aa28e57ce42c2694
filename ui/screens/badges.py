"""Status badges: the declared colour of an enum option, workflow state or pipeline stage,
and the state of a record's SLA clock (breached, paused, or the time left)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trellis.metadata.model import AppModel, FieldDef, FieldType
from trellis.platform.authz.call import Call
from trellis.platform.i18n import Translator
from trellis.platform.runtime import Runtime
from trellis.platform.schedules.sla_clock import SlaClock, sla_clocks

#: Hours left under which a running SLA clock is shown in orange.
SLA_SOON_HOURS = 4


@dataclass(frozen=True, slots=True)
class SlaBadge:
    """An SLA badge's text and colour; ``state`` is breached, paused, due or running."""

    text: str
    colour: str
    state: str


def badge_colour(model: AppModel, f: FieldDef | None, value: Any) -> str | None:
    """The colour ``value`` of field ``f`` is shown in, or None (no badge)."""
    if f is None or not isinstance(value, str):
        return None
    if f.type == FieldType.PIPELINE and f.pipeline:
        pipeline = model.pipelines.get(f.pipeline)
        stage = pipeline.stage(value) if pipeline is not None else None
        return stage.colour if stage is not None else None
    return f.option_colours.get(value)


def sla_badge(
    t: Translator, clock: SlaClock | None, breached: bool, now: dt.datetime
) -> SlaBadge | None:
    """The badge of a record's SLA: breached (red), paused (grey: the clock is stopped,
    no countdown), overdue, or the hours left (orange when few); None without a clock."""
    if breached:
        return SlaBadge(t.gettext("SLA breached"), "red", "breached")
    if clock is None:
        return None
    if clock.paused:
        return SlaBadge(t.gettext("SLA paused"), "gray", "paused")
    if clock.due_at is None:
        return None
    hours = (clock.due_at - now).total_seconds() / 3600
    if hours <= 0:
        return SlaBadge(t.gettext("SLA due now"), "red", "due")
    left = t.number(round(hours, 1))
    colour = "orange" if hours < SLA_SOON_HOURS else "green"
    return SlaBadge(t.gettext("SLA: %(hours)s h left", hours=left), colour, "running")


def sla_badges(
    runtime: Runtime, call: Call, t: Translator, entity: str, records: Sequence[Mapping[str, Any]]
) -> dict[int, SlaBadge]:
    """The SLA badges of ``records`` of ``entity`` (none when it has no SLA); the breach
    flag counts only when the caller may read it."""
    sla = call.app.model.slas.get(entity)
    ids = [int(r["id"]) for r in records if isinstance(r.get("id"), int)]
    if sla is None or not ids:
        return {}
    hidden = call.access.entity(entity).hidden
    breach = sla.breach_field if sla.breach_field and sla.breach_field not in hidden else None
    with runtime.engines.tenant_connection(call.tenant) as conn:
        clocks = sla_clocks(conn, call.app.metadata, entity, ids)
    now = runtime.clock.now()
    badges = {}
    for record in records:
        rid = record.get("id")
        if isinstance(rid, int):
            breached = bool(breach and record.get(breach))
            badge = sla_badge(t, clocks.get(rid), breached, now)
            if badge is not None:
                badges[rid] = badge
    return badges


__all__ = ["SLA_SOON_HOURS", "SlaBadge", "badge_colour", "sla_badge", "sla_badges"]
