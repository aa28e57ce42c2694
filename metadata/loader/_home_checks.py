"""The ``home:`` panels of app.yaml: checked against the app (MD360-MD363) and built.

The JSON Schema checks the shape (a list of ``{kind, entity, title, limit}``); here each
panel's entity must exist (MD360), be given exactly for the kinds that show records
(MD361) and declare what the kind needs (MD362); a panel may appear once (MD363).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import PositionMap
from trellis.metadata.model import AppModel, EntityDef
from trellis.metadata.model.home import (
    DEFAULT_LIMIT,
    ENTITY_KINDS,
    HOME_KINDS,
    HomePanelDef,
)
from trellis.metadata.model.local_text import local_text

#: What each entity kind needs, as the message says it.
NEEDS = {
    "activities": "no activity_fields block naming 'done' or 'date'",
    "pipeline": "no pipeline field",
    "assigned": "no SLA (sla/<entity>.yaml)",
}


def _fits(model: AppModel, kind: str, entity: EntityDef) -> bool:
    if kind == "activities":
        return entity.activity is not None and bool(entity.activity.done or entity.activity.date)
    if kind == "pipeline":
        return any(f.pipeline for f in entity.fields.values())
    return entity.name in model.slas


def _panel(
    model: AppModel, index: int, item: dict[str, Any], positions: PositionMap, report: Report
) -> HomePanelDef | None:
    kind = item.get("kind")
    if kind not in HOME_KINDS:
        return None  # the schema reports it
    entity = item.get("entity")
    at = ("home", index, "entity")
    if kind in ENTITY_KINDS and not isinstance(entity, str):
        report.error(
            "MD361",
            f"home panel {index + 1}: a '{kind}' panel needs an 'entity' (whose records it shows)",
            positions.anchor(("home", index)),
        )
        return None
    if kind not in ENTITY_KINDS and entity is not None:
        report.error(
            "MD361",
            f"home panel {index + 1}: a '{kind}' panel takes no 'entity'; remove it",
            positions.anchor(at),
        )
        return None
    if isinstance(entity, str):
        found = model.entities.get(entity)
        if found is None:
            report.error(
                "MD360",
                f"home panel {index + 1}: unknown entity '{entity}'",
                positions.value(at),
                did_you_mean(entity, sorted(model.entities)),
            )
            return None
        if not _fits(model, str(kind), found):
            report.error(
                "MD362",
                f"home panel {index + 1}: entity '{entity}' has {NEEDS[str(kind)]}; "
                f"declare it or choose another kind than '{kind}'",
                positions.value(at),
            )
            return None
    limit = item.get("limit")
    return HomePanelDef(
        kind=str(kind),
        entity=entity if isinstance(entity, str) else None,
        title=local_text(item.get("title")),
        limit=limit if isinstance(limit, int) and not isinstance(limit, bool) else DEFAULT_LIMIT,
        source=positions.anchor(("home", index)),
    )


def attach_home(
    model: AppModel, data: Any, positions: PositionMap | None, report: Report
) -> AppModel:
    """``model`` with its ``home:`` panels; unchanged when app.yaml declares none."""
    items = data.get("home") if isinstance(data, dict) else None
    if not isinstance(items, list) or positions is None:
        return model
    panels: list[HomePanelDef] = []
    seen: dict[tuple[str, str | None], int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        panel = _panel(model, index, item, positions, report)
        if panel is None:
            continue
        key = (panel.kind, panel.entity)
        if key in seen:
            report.error(
                "MD363",
                f"home panel {index + 1}: the same panel as panel {seen[key] + 1}; remove one",
                positions.anchor(("home", index)),
            )
            continue
        seen[key] = index
        panels.append(panel)
    return replace(model, home=tuple(panels))


__all__ = ["attach_home"]
