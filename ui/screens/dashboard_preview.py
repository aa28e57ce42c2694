"""The dashboards designer's live preview of one drafted tile.

The tile is loaded with the draft (the loader's positioned errors, placed on their
inputs); each filter is checked as the rules editor checks a condition (the draft's
model, ``_check``'s checker), its errors underlined at their line and column. A tile
without errors is computed on the tenant's data through the admin's access, as the
published dashboard will compute it; a tile naming what is not published yet says so.
"""

from __future__ import annotations

from typing import Any

from trellis.metadata.model import RATIO_PARTS, TileDef
from trellis.platform.dashboards import compute_tile
from trellis.platform.designers.dashboard_service import TileCheck, TileEditError, preview_check
from trellis.platform.designers.rules_service import check_condition
from trellis.platform.designers.tile_options import HAVING_ROWS
from trellis.platform.drafts.errors import DraftFileNotFoundError
from trellis.rules.expr import EvalContext
from trellis.ui.screens.dashboard_view import TileView, tile_view
from trellis.ui.screens.rule_check_view import underlined
from trellis.ui.screens.web import UiCall, UiServices


def _filters(values: dict[str, str]) -> list[tuple[str, str, str]]:
    """(input, entity, source) of every filter the form has."""
    if values.get("kind") != "ratio":
        found = [("where", values.get("entity", ""), values.get("where", ""))]
        found += [
            (f"having_{n}_where", values.get(f"having_{n}_entity", ""), values.get(k, ""))
            for n in range(1, HAVING_ROWS + 1)
            if (k := f"having_{n}_where") in values
        ]
        compare = ("compare_where", values.get("compare_entity", ""))
        return [*found, (*compare, values.get("compare_where", ""))]
    return [
        (f"{p}_where", values.get(f"{p}_entity", ""), values.get(f"{p}_where", ""))
        for p in RATIO_PARTS
    ]


def _underlines(services: UiServices, ui: UiCall, values: dict[str, str]) -> dict[str, Any]:
    """Each filter with rule-checker errors: its pieces and problems."""
    found: dict[str, Any] = {}
    for key, entity, source in _filters(values):
        if not source.strip() or not entity.strip():
            continue
        try:
            report = check_condition(services.runtime, ui.tenant, entity.strip(), source)
        except DraftFileNotFoundError:
            continue
        if report.errors:
            found[key] = {"pieces": underlined(source, report.errors), "problems": report.errors}
    return found


def _unpublished(ui: UiCall, tile: TileDef) -> str | None:
    """What the tile names that the published application lacks, or None."""
    parts = [m for _, m in tile.ratio.parts] if tile.ratio else [tile]
    for part in parts:
        entity = ui.call.app.entities.get(part.entity)
        if entity is None:
            return part.entity
        names = [getattr(part, "field", None), getattr(part, "group_by", None)]
        for name in names:
            if name and name not in entity.table.c:
                return f"{part.entity}.{name}"
    return None


def _computed(services: UiServices, ui: UiCall, tile: TileDef) -> TileView:
    rt = services.runtime
    ectx = EvalContext(now=rt.clock.now(), user_id=ui.call.identity.user_id)
    names = services.members.names(ui.tenant)
    with rt.engines.tenant_connection(ui.tenant) as conn:
        data = compute_tile(conn, ui.call.access, tile, ectx, user_names=names)
    return tile_view(ui.call.app.model, data, 0, ui.translator)


def preview_context(
    services: UiServices,
    ui: UiCall,
    name: str,
    index: int | None,
    values: dict[str, str],
    check: TileCheck | None,
) -> dict[str, Any]:
    """What ``_tile_preview.html`` shows for the tile the form describes.

    Raises:
        DraftFileNotFoundError: no such dashboard in the draft.
    """
    t = ui.translator
    ctx: dict[str, Any] = {
        "inline": {},
        "general": [],
        "underlines": _underlines(services, ui, values),
        "view": None,
        "hint": None,
    }
    try:
        check = check or preview_check(services.runtime, ui.tenant, name, index, values)
    except TileEditError as exc:
        ctx["hint"] = t.message(exc.message)
        if exc.input_name:
            ctx["inline"] = {exc.input_name: [ctx["hint"]]}
        return ctx
    ctx["inline"] = {k: [str(e["text"]) for e in v] for k, v in check.inline.items()}
    ctx["general"] = [str(e["text"]) for e in check.general]
    if check.inline or check.general or check.tile is None:
        return ctx
    missing = _unpublished(ui, check.tile)
    if missing is not None:
        ctx["hint"] = t.gettext(
            "%(name)s is not published yet: publish the draft to see this tile's figure.",
            name=missing,
        )
        return ctx
    ctx["view"] = _computed(services, ui, check.tile)
    return ctx


__all__ = ["preview_context"]
