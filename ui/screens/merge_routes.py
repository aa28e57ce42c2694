"""The merge screen of a record: pick the records to fold into it and a winner per field.

``/t/{t}/e/{entity}/{id}/merge?with=12,40`` shows this record (the survivor) beside the
others, one row per field the member may write, with a choice where values differ;
posting it calls the same merge as ``POST …/{entity}/_merge`` (docs/duplicates.md).
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.records.errors import RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.layouts import editable, title_field
from trellis.ui.screens.present import Presenter, label_of
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiServices, page, redirect, signed_in

Req = Request[Any, Any, Any]
_IDS = re.compile(r"\d{1,18}")


def _ids(text: str, survivor: int) -> list[int]:
    found: list[int] = []
    for ident in (int(t) for t in _IDS.findall(text)):
        if ident != survivor and ident not in found:
            found.append(ident)
    return found


def merge_routes(services: UiServices) -> list[Any]:
    """Route handlers of the merge screen."""
    app = services.app

    @get("/t/{tenant:str}/e/{entity:str}/{record_id:str}/merge", sync_to_thread=True)
    def merge_form(
        request: Req, tenant: FromPath[str], entity: FromPath[str], record_id: FromPath[str]
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        ui.call.access.require(entity, "update")
        ui.call.access.require(entity, "delete")
        ident = parse_id(entity, record_id)
        records = [app.records.read(ui.call, target, ident).record]
        missing: list[int] = []
        for other in _ids(request.query_params.get("with", ""), ident):
            try:
                records.append(app.records.read(ui.call, target, other).record)
            except RecordError:
                missing.append(other)
        defs, access = target.entity, ui.call.access.entity(entity)
        shown = Presenter(app.records, ui.call, services.members.names(tenant), ui.translator)
        names = [
            n
            for n, f in defs.fields.items()
            if editable(f) and n not in access.hidden and n not in access.read_only
        ]
        shown.load_titles(defs, records, names)
        rows = [
            {
                "name": n,
                "label": label_of(defs, n),
                "cells": [(r["id"], shown.cell(defs, r, n).text) for r in records],
                "differ": len({repr(r.get(n)) for r in records}) > 1,
            }
            for n in names
        ]
        title = title_field(defs)
        ctx = {
            "entity": defs,
            "record": records[0],
            "title": str(records[0].get(title) or f"#{ident}") if title else f"#{ident}",
            "others": records[1:],
            "missing": missing,
            "rows": rows,
        }
        return page(request, ui, "merge.html", ctx)

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/merge",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def merge_post(
        request: Req,
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        target = readable_entity(ui.call, entity)
        ident = parse_id(entity, record_id)
        losers = _ids(str(form.get("losers") or ""), ident)
        fields = {
            str(key)[2:]: int(str(form.get(key)))
            for key in form
            if str(key).startswith("f_") and str(form.get(key)).isdigit()
        }
        fields = {k: v for k, v in fields.items() if v != ident}
        back = f"/t/{tenant}/e/{entity}/{ident}"
        body = {"survivor": ident, "losers": losers, "fields": fields}
        try:
            app.merges.merge(ui.call, target, body)
        except RecordError as exc:
            t = ui.translator
            shown = (t.message(x) for m in exc.errors.values() for x in m)
            reasons = " ".join(shown) or t.message(exc.message)
            text = ui.translator.gettext("Nothing was merged: %(reasons)s", reasons=reasons)
            return redirect(request, f"{back}/merge?with={','.join(map(str, losers))}", flash=text)
        done = ui.translator.gettext("%(count)s records merged into this one.", count=len(losers))
        return redirect(request, back, flash=done)

    return [merge_form, merge_post]


__all__ = ["merge_routes"]
