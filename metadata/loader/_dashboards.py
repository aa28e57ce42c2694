"""Read ``dashboards/*.yaml`` into frozen dashboard definitions.

Each file is schema-checked (``dashboard.schema.json``); the ``dashboard`` key must
equal the file name and a name may be defined once (MD110). Building is lenient: a
tile the schema check already reported is left out. A ``ratio`` tile reads its parts
(``numerator``, ``minus``, ``denominator``) as aggregates of their own; a tile or part
may keep only the records ``having`` related records; a line chart may ``compare`` its
series with a second aggregate (its own entity, ``where`` and time grouping).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from trellis.metadata.loader._build import humanize
from trellis.metadata.loader._entity_checks import NAME, NAME_HINT
from trellis.metadata.loader._files import DASHBOARD_DIR, ENTITY_SUFFIXES, is_ignored
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schema_check import schema_diagnostics
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import (
    RATIO_PARTS,
    TILE_AGGREGATES,
    TILE_KINDS,
    TIME_BUCKETS,
    DashboardDef,
    MeasureDef,
    RatioDef,
    RelatedDef,
    SourceSpan,
    TileDef,
)
from trellis.metadata.model.local_text import local_text

#: Reads one package file: (root, relative path, path as shown, report) -> document.
Reader = Callable[[Path, str, str, Report], YamlDocument | None]


@dataclass
class Dashboards:
    """The dashboards read from a package, with their documents."""

    built: dict[str, DashboardDef] = field(default_factory=dict)
    docs: dict[str, YamlDocument] = field(default_factory=dict)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    # Labels, descriptions and messages may be {locale: text} (a LocalText).
    return local_text(data.get(key)) or None


def _files(root: Path, display: str, report: Report) -> list[tuple[str, str]]:
    """(relative path, stem) of the dashboard files; other items are warned about."""
    base = root / DASHBOARD_DIR
    if not base.is_dir():
        return []
    found: list[tuple[str, str]] = []
    for entry in sorted(base.iterdir()):
        if is_ignored(entry):
            continue
        relative = entry.relative_to(root).as_posix()
        if entry.is_file() and entry.suffix in ENTITY_SUFFIXES:
            found.append((relative, entry.stem))
            continue
        shown = (PurePosixPath(display) / relative).as_posix()
        message = f"'{relative}' is not a dashboard file (*.yaml); ignored"
        report.warning("MD031", message, SourceSpan(shown, 1, 1))
    return found


def read_dashboards(root: Path, display: str, read: Reader, report: Report) -> Dashboards:
    """Read, schema-check and build every dashboard file of the package."""
    out = Dashboards()
    first: dict[str, str] = {}
    for relative, stem in _files(root, display, report):
        shown = (PurePosixPath(display) / relative).as_posix()
        doc = read(root, relative, shown, report)
        if doc is None:
            continue
        report.extend(schema_diagnostics("dashboard", doc.data, doc.positions))
        if not NAME.match(stem):
            message = f"file name '{stem}' is not a valid dashboard name; expected {NAME_HINT}"
            report.error("MD006", message, doc.positions.value(()))
            continue
        declared = doc.data.get("dashboard") if isinstance(doc.data, dict) else None
        if isinstance(declared, str) and NAME.match(declared) and declared != stem:
            message = f"dashboard '{declared}' does not match its file name '{stem}'"
            report.error("MD110", message, doc.positions.value(("dashboard",)), stem)
        if stem in first:
            message = f"dashboard '{stem}' is already defined in {first[stem]}"
            report.error("MD110", message, doc.positions.value(()))
            continue
        first[stem] = shown
        out.built[stem] = build_dashboard(stem, doc.data, doc.positions)
        out.docs[stem] = doc
    return out


def _having(
    item: Mapping[str, Any], path: NodePath, positions: PositionMap
) -> tuple[RelatedDef, ...]:
    """The ``having`` items of a tile or part (those the schema check let through)."""
    items = item.get("having")
    found = []
    for index, one in enumerate(items if isinstance(items, list) else []):
        if not isinstance(one, dict):
            continue
        entity, name, where = _text(one, "entity"), _text(one, "field"), _text(one, "where")
        if entity is None or name is None:
            continue
        at: NodePath = (*path, "having", index)
        span = positions.content((*at, "where")) if where else None
        found.append(RelatedDef(entity, name, where, span, positions.value(at)))
    return tuple(found)


def _measure(item: Any, path: NodePath, positions: PositionMap) -> MeasureDef | None:
    """One aggregate of a ratio tile, or None when the schema check refused it."""
    if not isinstance(item, dict):
        return None
    entity, agg = _text(item, "entity"), _text(item, "agg")
    if entity is None or agg not in TILE_AGGREGATES:
        return None
    where = _text(item, "where")
    return MeasureDef(
        entity=entity,
        agg=str(agg),
        field=_text(item, "field"),
        where=where,
        where_source=positions.content((*path, "where")) if where else None,
        source=positions.value(path),
        having=_having(item, path, positions),
    )


def _ratio(item: Mapping[str, Any], path: NodePath, positions: PositionMap) -> RatioDef | None:
    parts = {k: _measure(item.get(k), (*path, k), positions) for k in RATIO_PARTS}
    top, bottom = parts["numerator"], parts["denominator"]
    if top is None or bottom is None or ("minus" in item and parts["minus"] is None):
        return None
    return RatioDef(top, bottom, parts["minus"], item.get("percent") is True)


def _ratio_tile(item: Mapping[str, Any], path: NodePath, positions: PositionMap) -> TileDef | None:
    label, ratio = _text(item, "label"), _ratio(item, path, positions)
    if label is None or ratio is None:
        return None
    top = ratio.numerator
    return TileDef(
        kind="ratio",
        label=label,
        entity=top.entity,
        agg=top.agg,
        field=top.field,
        description=_text(item, "description"),
        source=positions.value(path),
        ratio=ratio,
    )


def _tile(index: int, item: Any, positions: PositionMap) -> TileDef | None:
    if not isinstance(item, dict):
        return None
    path: NodePath = ("tiles", index)
    if item.get("kind") == "ratio":
        return _ratio_tile(item, path, positions)
    tile = _aggregate_tile(item, path, positions)
    other = item.get("compare")
    if tile is None or not isinstance(other, dict):
        return tile
    compare = _aggregate_tile({**other, "kind": tile.kind}, (*path, "compare"), positions)
    return replace(tile, compare=compare, series_label=_text(item, "series_label"))


def _aggregate_tile(
    item: Mapping[str, Any], path: NodePath, positions: PositionMap
) -> TileDef | None:
    kind, label, entity, agg = (_text(item, k) for k in ("kind", "label", "entity", "agg"))
    if kind not in TILE_KINDS or agg not in TILE_AGGREGATES or label is None or entity is None:
        return None
    group_by, bucket = None, None
    grouping = _text(item, "group_by")
    if grouping is not None:
        group_by, _, after = grouping.partition(":")
        bucket = after if after in TIME_BUCKETS else None
    where = _text(item, "where")
    return TileDef(
        kind=kind,
        label=label,
        entity=entity,
        agg=agg,
        field=_text(item, "field"),
        group_by=group_by,
        bucket=bucket,
        where=where,
        where_source=positions.content((*path, "where")) if where else None,
        description=_text(item, "description"),
        source=positions.value(path),
        having=_having(item, path, positions),
    )


def build_dashboard(name: str, data: Any, positions: PositionMap) -> DashboardDef:
    """Build dashboard ``name`` from its file's data; unusable tiles are left out."""
    data = data if isinstance(data, dict) else {}
    items = data.get("tiles")
    items = items if isinstance(items, list) else []
    tiles = (_tile(i, item, positions) for i, item in enumerate(items))
    return DashboardDef(
        name=name,
        label=_text(data, "label") or humanize(name),
        tiles=tuple(t for t in tiles if t is not None),
        description=_text(data, "description"),
        source=positions.anchor(("dashboard",) if "dashboard" in data else ()),
    )


__all__ = ["Dashboards", "build_dashboard", "read_dashboards"]
