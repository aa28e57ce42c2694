"""The activity panel of a record: its timeline page and comment rendering for screens.

Changes, comments and e-mails come from :mod:`trellis.platform.activity`; related
activities (tasks, calls, meetings of the ``activity`` entity that reference the
record) come through the API, so the viewer's scope and hidden fields apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from trellis.metadata.model import EntityDef, FieldType
from trellis.platform.activity.mentions import MENTION
from trellis.platform.activity.timeline import (
    RANKS,
    Entry,
    Page,
    Position,
    change_entries,
    comment_entries,
    email_entries,
    merge,
    older_expression,
)
from trellis.platform.i18n import N_
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.records.values import as_utc
from trellis.platform.services import ListArgs
from trellis.ui.screens.layouts import title_field
from trellis.ui.screens.present import Presenter, label_of
from trellis.ui.screens.web import UiCall, UiServices

#: The entity whose records are tasks, calls and meetings about other records.
ACTIVITY_ENTITY = "activity"


@dataclass(slots=True)
class Item:
    """One timeline entry ready for the template."""

    kind: str
    at: str
    at_text: str
    who: str
    title: str
    body: Markup | None = None
    href: str | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    status: str | None = None


@dataclass(slots=True)
class TimelineView:
    """A page of timeline items and the URL of the next page (or None)."""

    items: list[Item]
    more_url: str | None


def render_comment(
    body: str, mentions: Sequence[Sequence[Any]], names: Mapping[int, str]
) -> Markup:
    """Comment text as safe HTML: everything escaped, line breaks and mentions marked."""
    known = {str(pair[0]): int(pair[1]) for pair in mentions if len(pair) == 2}
    parts: list[str] = []
    last = 0
    for match in MENTION.finditer(body):
        token = match.group(1).rstrip(".-")
        user = known.get(token.lower())
        if user is None:
            continue
        end = match.start() + 1 + len(token)
        parts.append(str(escape(body[last : match.start()])))
        who = escape(names.get(user, f"user {user}"))
        parts.append(f'<span class="mention" title="{who}">@{escape(token)}</span>')
        last = end
    parts.append(str(escape(body[last:])))
    return Markup("".join(parts).replace("\n", "<br>\n"))


def _when(entry: Entry) -> tuple[str, str]:
    at = as_utc(entry.at)
    return at.isoformat().replace("+00:00", "Z"), at.strftime("%Y-%m-%d %H:%M")


def _activity_fields(ui: UiCall, target: CompiledEntity) -> tuple[CompiledEntity, list[str]] | None:
    activity = ui.call.app.entities.get(ACTIVITY_ENTITY)
    if activity is None or not ui.call.access.can(ACTIVITY_ENTITY, "read"):
        return None
    hidden = ui.call.access.entity(ACTIVITY_ENTITY).hidden
    names = [
        n
        for n, f in activity.entity.fields.items()
        if f.type == FieldType.REFERENCE and f.to == target.name and n not in hidden
    ]
    return (activity, names) if names else None


def activity_entries(
    services: UiServices,
    ui: UiCall,
    target: CompiledEntity,
    record_id: int,
    before: Position | None,
    limit: int,
) -> tuple[list[Entry], list[dict[str, Any]]]:
    """Related activity records (through the API) as entries, and the records."""
    found = _activity_fields(ui, target)
    if found is None:
        return [], []
    activity, names = found
    expression = "(" + " or ".join(f"{n} == {record_id}" for n in names) + ")"
    extra = older_expression(before, RANKS["activity"])
    if extra:
        expression += f" and {extra}"
    params = {"filter": expression, "sort": "-created_at,-id", "limit": str(limit)}
    try:
        items = services.records.page(ui.call, activity, ListArgs.of(params)).items
    except RecordError:
        return [], []
    entries = []
    for item in items:
        at = datetime.fromisoformat(str(item["created_at"]).replace("Z", "+00:00"))
        entries.append(Entry("activity", at, int(item["id"]), item.get("created_by"), {}))
    return entries, items


def build_timeline(
    services: UiServices,
    ui: UiCall,
    target: CompiledEntity,
    record_id: int,
    *,
    before: Position | None = None,
    limit: int = 20,
) -> TimelineView:
    """One page of the record's timeline for the viewer, newest first."""
    app = ui.call.app
    hidden = ui.call.access.entity(target.name).hidden
    fields = target.entity.fields

    def visible(name: str) -> bool:
        return name in fields and name not in hidden

    ask = limit + 1
    with services.runtime.engines.tenant_connection(ui.tenant) as conn:
        changes = change_entries(conn, app.metadata, target.name, record_id, visible, before, ask)
        comments = comment_entries(conn, app.metadata, target.name, record_id, before, ask)
        emails = email_entries(conn, app.metadata, target.name, record_id, before, ask)
    activities, records = activity_entries(services, ui, target, record_id, before, ask)
    page = merge([changes, comments, emails, activities], limit)
    names = services.members.names(ui.tenant)
    items = _items(services, ui, target, page, names, {int(r["id"]): r for r in records})
    base = f"/t/{ui.tenant}/e/{target.name}/{record_id}/activity"
    cursor = quote(page.next_cursor, safe="") if page.next_cursor else None
    more = f"{base}?cursor={cursor}&limit={limit}" if cursor else None
    return TimelineView(items, more)


def _items(
    services: UiServices,
    ui: UiCall,
    target: CompiledEntity,
    page: Page,
    names: Mapping[int, str],
    activities: Mapping[int, dict[str, Any]],
) -> list[Item]:
    shown = Presenter(services.records, ui.call, names, ui.translator)
    entity = target.entity
    values = [
        {name: pair[i]}
        for e in page.entries
        if e.kind == "change"
        for name, pair in e.data["changes"].items()
        for i in (0, 1)
    ]
    shown.load_titles(entity, values, list(entity.fields))
    out = []
    for entry in page.entries:
        at, at_text = _when(entry)
        t = ui.translator
        automation = t.gettext(N_("Automation"))
        who = automation
        if entry.user_id is not None:
            who = names.get(entry.user_id, t.gettext(N_("Someone")))
        item = Item(entry.kind, at, at_text, who, "")
        if entry.kind == "change":
            _change_item(item, entry, entity, shown)
            item.title = t.gettext(item.title)
        elif entry.kind == "comment":
            item.title = t.gettext(N_("commented"))
            item.body = render_comment(entry.data["body"], entry.data["mentions"], names)
        elif entry.kind == "email":
            item.who = automation
            to = entry.data["to"] or t.gettext(N_("nobody"))
            item.title = t.gettext(N_("e-mail to %(to)s"), to=to)
            item.body = Markup(escape(entry.data["subject"] or ""))
            item.status = entry.data["status"]
        else:
            _activity_item(item, entry, ui, activities.get(entry.id, {}))
        out.append(item)
    return out


def _change_item(item: Item, entry: Entry, entity: EntityDef, shown: Presenter) -> None:
    """A change row: created/changed/deleted with each visible field's old and new value."""
    op = entry.data["op"]
    item.title = {"create": N_("created"), "delete": N_("deleted")}.get(op, N_("changed"))
    if op == "delete":
        return
    item.changes = [
        (
            label_of(entity, name),
            "" if op == "create" else shown.cell(entity, {name: pair[0]}, name).text,
            shown.cell(entity, {name: pair[1]}, name).text,
        )
        for name, pair in entry.data["changes"].items()
    ]


def _activity_item(item: Item, entry: Entry, ui: UiCall, record: Mapping[str, Any]) -> None:
    """A related task, call or meeting, linked to its own page."""
    activity = ui.call.app.entities[ACTIVITY_ENTITY].entity
    title = title_field(activity)
    item.title = f"added a {record.get('kind') or 'activity'}"
    item.body = Markup(escape(str(record.get(title) or f"#{entry.id}") if title else ""))
    item.href = f"/t/{ui.tenant}/e/{ACTIVITY_ENTITY}/{entry.id}"
    if "done" in record:
        item.status = "done" if record.get("done") else "open"


__all__ = ["ACTIVITY_ENTITY", "Item", "TimelineView", "build_timeline", "render_comment"]
