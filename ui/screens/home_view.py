"""The home page ("my work"): panels declared by ``home:`` in app.yaml, or derived.

Every panel reads through the services with the member's call, so record scope and
hidden fields apply as on every list: activities owned by me and not done (overdue ones
flagged), my open records by pipeline stage, records assigned to me with their SLA
state, records I changed lately, and my unread notifications.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from trellis.metadata.model import AppModel
from trellis.metadata.model.home import HomePanelDef
from trellis.metadata.model.local_text import label_for
from trellis.platform.notifications import list_for_user
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.services import ListArgs
from trellis.ui.screens.home_panels import (
    MINE,
    assigned_filter,
    open_stages,
    pipeline_field,
    quoted,
)
from trellis.ui.screens.layouts import title_field
from trellis.ui.screens.present import Presenter
from trellis.ui.screens.web import UiCall, UiServices


@dataclass(slots=True)
class HomeRow:
    """One line of a panel: a linked title and a few short facts (badges)."""

    title: str
    href: str | None
    facts: list[tuple[str, str | None]] = field(default_factory=list)
    overdue: bool = False


@dataclass(slots=True)
class HomePanel:
    """One panel as the template shows it."""

    kind: str
    title: str
    rows: list[HomeRow] = field(default_factory=list)
    empty: str = ""
    action: tuple[str, str] | None = None
    more: tuple[str, str] | None = None
    stages: list[tuple[str, int, str | None, str]] = field(default_factory=list)


def default_panels(model: AppModel) -> tuple[HomePanelDef, ...]:
    """The panels of an app that declares no ``home:``, derived from what it declares."""
    panels: list[HomePanelDef] = []
    for name, entity in model.entities.items():
        if entity.activity is not None and (entity.activity.done or entity.activity.date):
            panels.append(HomePanelDef("activities", name))
    for name, entity in model.entities.items():
        if any(f.pipeline for f in entity.fields.values()):
            panels.append(HomePanelDef("pipeline", name))
    panels.extend(HomePanelDef("assigned", name) for name in model.slas)
    panels.append(HomePanelDef("recent"))
    panels.append(HomePanelDef("notifications"))
    return tuple(panels)


class HomeBuilder:
    """Builds the panels of one member's home page."""

    def __init__(self, services: UiServices, ui: UiCall, presenter: Presenter) -> None:
        self.services = services
        self.ui = ui
        self.shown = presenter
        self.t = ui.translator
        self.base = f"/t/{ui.tenant}"

    def build(self) -> list[HomePanel]:
        """Every panel the member may see, in declared order."""
        model = self.ui.call.app.model
        declared = model.home if model.home is not None else default_panels(model)
        panels: list[HomePanel] = []
        for spec in declared:
            panel = self._panel(spec)
            if panel is not None:
                panels.append(panel)
        return panels

    def _panel(self, spec: HomePanelDef) -> HomePanel | None:
        if spec.kind == "recent":
            return self._recent(spec)
        if spec.kind == "notifications":
            return self._notifications(spec)
        entity = self.ui.call.app.entities.get(spec.entity or "")
        if entity is None or not self.ui.call.access.can(entity.name, "read"):
            return None  # a panel over records the member may not read is not shown
        try:
            if spec.kind == "activities":
                return self._activities(spec, entity)
            if spec.kind == "pipeline":
                return self._pipeline(spec, entity)
            return self._assigned(spec, entity)
        except RecordError:  # e.g. a field the filter needs is hidden from the member
            return None

    def _title(self, spec: HomePanelDef, fallback: str) -> str:
        return label_for(spec.title, self.t.locale) if spec.title else fallback

    def _items(self, entity: CompiledEntity) -> str:
        return self.t.label(entity.entity.plural_label).lower()

    def _frame(self, spec: HomePanelDef, entity: CompiledEntity, title: str) -> HomePanel:
        items = self._items(entity)
        panel = HomePanel(spec.kind, self._title(spec, title))
        if self.ui.call.access.can(entity.name, "create"):
            panel.empty = self.t.gettext("No open %(items)s — create one.", items=items)
            panel.action = (f"{self.base}/e/{entity.name}/new", self.t.gettext("Create"))
        else:
            panel.empty = self.t.gettext("No open %(items)s.", items=items)
        panel.more = (f"{self.base}/e/{entity.name}", self.t.gettext("See all"))
        return panel

    def _page(self, entity: CompiledEntity, where: str, sort: str | None, limit: int) -> Any:
        args = ListArgs(filter=where, sort=sort, limit=str(limit))
        return self.services.records.page(self.ui.call, entity, args, count=False).items

    def _rows(
        self, entity: CompiledEntity, records: list[dict[str, Any]], facts: list[str]
    ) -> list[HomeRow]:
        model = entity.entity
        title = title_field(model)
        hidden = self.ui.call.access.entity(entity.name).hidden
        shown = [n for n in facts if n and n not in hidden]
        self.shown.load_titles(model, records, shown)
        rows = []
        for record in records:
            href = f"{self.base}/e/{entity.name}/{record['id']}"
            text = record.get(title) if title and title not in hidden else None
            row = HomeRow(str(text or f"#{record['id']}"), href)
            for name in shown:
                cell = self.shown.cell(model, record, name)
                if cell.text:
                    row.facts.append((cell.text, cell.colour))
            rows.append(row)
        return rows

    def _activities(self, spec: HomePanelDef, entity: CompiledEntity) -> HomePanel:
        act = entity.entity.activity
        assert act is not None
        hidden = self.ui.call.access.entity(entity.name).hidden
        done = act.done if act.done and act.done not in hidden else None
        date = act.date if act.date and act.date not in hidden else None
        where = MINE + (f" and ({done} == false or {done} is empty)" if done else "")
        records = self._page(entity, where, date, spec.limit)
        title = self.t.gettext("My open %(items)s", items=self._items(entity))
        panel = self._frame(spec, entity, title)
        panel.rows = self._rows(entity, records, [date or "", act.kind or ""])
        now = self.services.runtime.clock.now()
        for row, record in zip(panel.rows, records, strict=True):
            row.overdue = bool(date) and _before(record.get(date or ""), now)
            if row.overdue:
                row.facts.insert(0, (self.t.gettext("Overdue"), "red"))
        return panel

    def _pipeline(self, spec: HomePanelDef, entity: CompiledEntity) -> HomePanel:
        f = pipeline_field(entity.entity)
        stages = open_stages(self.ui.call.app.model, f)
        title = self.t.gettext("My open %(items)s by stage", items=self._items(entity))
        panel = self._frame(spec, entity, title)
        if not stages:
            return panel
        names = ", ".join(quoted(s.name) for s in stages)
        where = f"{MINE} and {f.name} in ({names})"
        for stage in stages:
            where_stage = f"{MINE} and {f.name} == {quoted(stage.name)}"
            page = self.services.records.page(
                self.ui.call, entity, ListArgs(where_stage, limit="1")
            )
            shown = self.t.value_label(self.ui.call.app.model, f, stage.name)
            link = f"{self.base}/e/{entity.name}?filter={quote(where_stage, safe='')}"
            panel.stages.append((shown, int(page.count or 0), stage.colour, link))
        records = self._page(entity, where, "-updated_at", spec.limit)
        panel.rows = self._rows(entity, records, [f.name, *_money(entity.entity)])
        return panel

    def _assigned(self, spec: HomePanelDef, entity: CompiledEntity) -> HomePanel:
        model = self.ui.call.app.model
        sla = model.slas[entity.name]
        hidden = self.ui.call.access.entity(entity.name).hidden
        breach = sla.breach_field if sla.breach_field and sla.breach_field not in hidden else None
        start = sla.start_field if sla.start_field not in hidden else ""
        sort = ",".join(x for x in (f"-{breach}" if breach else "", start) if x) or None
        where = assigned_filter(model, entity.entity, hidden)
        records = self._page(entity, where, sort, spec.limit)
        title = self.t.gettext(
            "%(items)s assigned to me", items=self.t.label(entity.entity.plural_label)
        )
        panel = self._frame(spec, entity, title)
        panel.rows = self._rows(entity, records, [sla.priority_field])
        for row, record in zip(panel.rows, records, strict=True):
            if breach and record.get(breach):
                row.facts.insert(0, (self.t.gettext("SLA breached"), "red"))
            elif breach:
                row.facts.insert(0, (self.t.gettext("SLA on track"), "green"))
        return panel

    def _recent(self, spec: HomePanelDef) -> HomePanel:
        call = self.ui.call
        panel = HomePanel("recent", self._title(spec, self.t.gettext("Recent items")))
        panel.empty = self.t.gettext("Nothing yet — records you create or change show here.")
        touched = self.services.app.history.recent(call, spec.limit)
        by_entity: dict[str, set[int]] = {}
        for item in touched:
            by_entity.setdefault(item.entity, set()).add(item.record_id)
        titles: dict[tuple[str, int], str] = {}
        for name, ids in by_entity.items():
            entity = call.app.entities[name]
            named = self.services.records.titles(call, entity, ids, title_field(entity.entity))
            titles.update({(name, i): text for i, text in named.items()})
        for item in touched:
            text = titles.get((item.entity, item.record_id))
            if text is None:  # deleted since, or out of the member's scope
                continue
            label = self.t.label(call.app.entities[item.entity].entity.label)
            href = f"{self.base}/e/{item.entity}/{item.record_id}"
            panel.rows.append(HomeRow(text, href, [(label, None)]))
        return panel

    def _notifications(self, spec: HomePanelDef) -> HomePanel:
        ui = self.ui
        title = self._title(spec, self.t.gettext("Unread notifications"))
        panel = HomePanel("notifications", title)
        panel.empty = self.t.gettext("You are all caught up.")
        panel.more = (f"{self.base}/notifications", self.t.gettext("See all"))
        notes = list_for_user(
            self.services.runtime, ui.tenant, ui.session.user_id, unread=True, limit=spec.limit
        )
        for note in notes:
            entity, ident = note.get("entity"), note.get("record_id")
            href = None
            if isinstance(entity, str) and entity in ui.call.app.entities and ident is not None:
                href = (
                    f"{self.base}/e/{entity}/{ident}"
                    if ui.call.access.can(entity, "read")
                    else None
                )
            at = (note.get("at") or "").replace("T", " ")[:16]
            panel.rows.append(HomeRow(str(note.get("text") or ""), href, [(at, None)]))
        return panel


def _money(entity: Any) -> list[str]:
    return [n for n, f in entity.fields.items() if str(f.type) == "money"][:1]


def _before(value: Any, now: dt.datetime) -> bool:
    """Whether a date or datetime value (as the API gives it) is in the past."""
    if not isinstance(value, str) or not value:
        return False
    try:
        if "T" in value:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) < now
        return dt.date.fromisoformat(value) < now.date()
    except ValueError:
        return False


__all__ = ["HomeBuilder", "HomePanel", "HomeRow", "default_panels"]
