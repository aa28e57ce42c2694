"""A record's history screen: every write with its diffs, "view as of" and "restore this value".

``/t/{t}/e/{entity}/{id}/history`` pages the same history as ``GET …/_history`` (hidden
fields left out, scope applied); ``?as_of=`` shows the record as it was then above it.
"Restore this value" saves a field's earlier value through the save pipeline, as an
ordinary edit by the member (validations, rules, the version lock), for fields the member
may write.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model import EntityDef
from trellis.platform.i18n import Translator
from trellis.platform.records.errors import BadRequestError, RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.history import parse_as_of
from trellis.ui.screens.layouts import editable, title_field
from trellis.ui.screens.present import Presenter, localized_label, zoned
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiServices, page, redirect, signed_in

Req = Request[Any, Any, Any]


def source_labels(t: Translator) -> dict[str, str]:
    """How each write's source is shown, in the reader's language (an unknown one as stored)."""
    return {
        "api": t.pgettext("change source", "API"),
        "form": t.pgettext("change source", "form"),
        "import": t.pgettext("change source", "import"),
        "rule": t.pgettext("change source", "rule"),
        "rollup": t.pgettext("change source", "rollup"),
        "cascade": t.pgettext("change source", "cascade"),
        "restore": t.pgettext("change source", "restore"),
        "merge": t.pgettext("change source", "merge"),
    }


def _when(t: Translator, at: object) -> str:
    """A write's time in the reader's zone and language."""
    if isinstance(at, dt.datetime):
        return zoned(t, at)
    text = str(at)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text.replace("T", " ")[:19]
    return zoned(t, parsed)


def _shown(shown: Presenter, entity: EntityDef, record: dict[str, Any], name: str) -> str:
    """A value before or after a write as screens show it (an empty one as nothing)."""
    value = record.get(name)
    if value is None or value == "" or value == []:
        return ""
    return shown.cell(entity, record, name).text


def history_routes(services: UiServices) -> list[Any]:
    """Route handlers of the history screen."""
    app = services.app

    @get("/t/{tenant:str}/e/{entity:str}/{record_id:str}/history", sync_to_thread=True)
    def history(
        request: Req, tenant: FromPath[str], entity: FromPath[str], record_id: FromPath[str]
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        ident = parse_id(entity, record_id)
        params = request.query_params
        pages = app.history.history(ui.call, target, ident, None, params.get("cursor"))
        current = app.records.read(ui.call, target, ident).record
        t = ui.translator
        shown = Presenter(app.records, ui.call, services.members.names(tenant), t)
        sources = source_labels(t)
        defs, access = target.entity, ui.call.access.entity(entity)
        writable = {
            n
            for n, f in defs.fields.items()
            if editable(f) and n not in access.hidden and n not in access.read_only
        }
        records = [current]
        for item in pages.items:
            records.append({k: v[0] for k, v in item["changes"].items()})
            records.append({k: v[1] for k, v in item["changes"].items()})
        shown.load_titles(defs, records, list(defs.fields))
        writes = []
        for item in pages.items:
            # Each side read with the record's other values of then (a money's currency).
            before = {**current, **{k: v[0] for k, v in item["changes"].items()}}
            after = {**current, **{k: v[1] for k, v in item["changes"].items()}}
            changes = [
                {
                    "name": name,
                    "label": localized_label(defs, name, t),
                    "old": _shown(shown, defs, before, name),
                    "new": _shown(shown, defs, after, name),
                    "value": json.dumps(old),
                    "restorable": ui.call.access.can(entity, "update")
                    and name in writable
                    and old != current.get(name),
                }
                for name, (old, new) in item["changes"].items()
            ]
            user = item["user_id"]
            writes.append(
                {
                    "at": item["at"],
                    "at_text": _when(t, item["at"]),
                    "who": services.members.names(tenant).get(user or 0)
                    or t.gettext("the platform"),
                    "source": sources.get(item["source"] or "", item["source"] or ""),
                    "changes": changes,
                }
            )
        past = None
        as_of = params.get("as_of")
        if as_of:
            at = parse_as_of(as_of)
            then = app.history.as_of(ui.call, target, ident, at).record
            shown.load_titles(defs, [then], list(then))
            past = {
                "at": as_of,
                "cells": [shown.cell(defs, then, n) for n in defs.fields if n in then],
            }
        name = title_field(defs)
        ctx = {
            "entity": defs,
            "record": current,
            "title": str(current.get(name) or f"#{ident}") if name else f"#{ident}",
            "writes": writes,
            "next_cursor": pages.next_cursor,
            "past": past,
        }
        return page(request, ui, "history.html", ctx)

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/history/restore",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def restore_value(
        request: Req,
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        ident = parse_id(entity, record_id)
        field = str(form.get("field") or "")
        try:
            value = json.loads(str(form.get("value") or "null"))
        except ValueError:
            raise BadRequestError("value is not valid.", {"value": ["Not a value."]}) from None
        back = f"/t/{tenant}/e/{entity}/{ident}/history"
        t = ui.translator
        label = localized_label(target.entity, field, t) if field in target.entity.fields else field
        try:
            app.records.update(ui.call, target, ident, {field: value}, None)
        except RecordError as exc:
            if exc.status in (403, 404):
                raise
            reasons = " ".join(t.message(m) for ms in exc.errors.values() for m in ms)
            shown = t.gettext(
                "%(label)s was not restored: %(reasons)s",
                label=label,
                reasons=reasons or t.message(exc.message),
            )
            return redirect(request, back, flash=shown)
        done = t.gettext("%(label)s restored to its earlier value.", label=label)
        return redirect(request, back, flash=done)

    return [history, restore_value]


__all__ = ["history_routes"]
