"""The activity panel of a record: its timeline page and comment rendering for screens.

Changes, comments and e-mails come from :mod:`trellis.platform.activity`; related
activities (records of entities declaring ``activity_fields:`` that reference the record:
tasks, calls, meetings) come through the services, so the viewer's scope and hidden
fields apply.
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
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.records.values import as_utc
from trellis.platform.services import ListArgs
from trellis.ui.screens.layouts import title_field
from trellis.ui.screens.present import Presenter, label_of
from trellis.ui.screens.web import UiCall, UiServices


def activity_entities(app: CompiledApp) -> list[CompiledEntity]:
    """The entities declaring ``activity_fields:``, by name (their order sets their ranks)."""
    return [app.entities[n] for n in sorted(app.entities) if app.entities[n].entity.activity]


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


def _activity_fields(ui: UiCall, source: CompiledEntity, target: CompiledEntity) -> list[str]:
    """The reference fields of ``source`` to ``target`` the viewer may see (none: no entries)."""
    if not ui.call.access.can(source.name, "read"):
        return []
    hidden = ui.call.access.entity(source.name).hidden
    return [
        n
        for n, f in source.entity.fields.items()
        if f.type == FieldType.REFERENCE and f.to == target.name and n not in hidden
    ]


def activity_entries(
    services: UiServices,
    ui: UiCall,
    target: CompiledEntity,
    record_id: int,
    before: Position | None,
    limit: int,
) -> tuple[list[Entry], dict[tuple[str, int], dict[str, Any]]]:
    """Related activity records (through the services) as entries, and the records."""
    entries: list[Entry] = []
    records: dict[tuple[str, int], dict[str, Any]] = {}
    for offset, source in enumerate(activity_entities(ui.call.app)):
        names = _activity_fields(ui, source, target)
        if not names:
            continue
        rank = RANKS["related"] + offset
        expression = "(" + " or ".join(f"{n} == {record_id}" for n in names) + ")"
        extra = older_expression(before, rank)
        if extra:
            expression += f" and {extra}"
        params = {"filter": expression, "sort": "-created_at,-id", "limit": str(limit)}
        try:
            items = services.records.page(ui.call, source, ListArgs.of(params)).items
        except RecordError:
            continue
        for item in items:
            at = datetime.fromisoformat(str(item["created_at"]).replace("Z", "+00:00"))
            ident = int(item["id"])
            data = {"entity": source.name}
            entries.append(Entry("related", at, ident, item.get("created_by"), data, rank))
            records[(source.name, ident)] = item
    return entries, records


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
    items = _items(services, ui, target, page, names, records)
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
    activities: Mapping[tuple[str, int], dict[str, Any]],
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
            source = str(entry.data["entity"])
            _activity_item(item, entry, ui, activities.get((source, entry.id), {}))
        out.append(item)
    return out


def _change_item(item: Item, entry: Entry, entity: EntityDef, shown: Presenter) -> None:
    """A change row: created/changed/deleted with each visible field's old and new value."""
    op = entry.data["op"]
    titles = {"create": N_("created"), "delete": N_("deleted"), "restore": N_("restored")}
    item.title = titles.get(op, N_("changed"))
    if op in ("delete", "restore"):
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
    source = ui.call.app.entities[str(entry.data["entity"])].entity
    declared = source.activity
    title = title_field(source)
    kind = record.get(declared.kind) if declared and declared.kind else None
    item.title = f"added a {kind or source.label.lower()}"
    item.body = Markup(escape(str(record.get(title) or f"#{entry.id}") if title else ""))
    item.href = f"/t/{ui.tenant}/e/{source.name}/{entry.id}"
    if declared and declared.done and declared.done in record:
        item.status = "done" if record.get(declared.done) else "open"


__all__ = ["Item", "TimelineView", "activity_entities", "build_timeline", "render_comment"]
