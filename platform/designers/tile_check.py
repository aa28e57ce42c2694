"""The live preview's check of one drafted tile, without loading the whole package.

Loading a package costs seconds on a large application, too slow for a check as one
types. The preview instead runs the loader's own dashboard steps on the one file: the
YAML and schema check, the build of its tiles, the cross-checks against the entities
(MD111-MD115, MD420, MD421) and the rule checker on the filters (MD116), all against
the draft's model compiled once per draft revision. A save still validates the whole
package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from trellis.metadata.diagnostics import Diagnostic, Severity
from trellis.metadata.loader import load_yaml
from trellis.metadata.loader._dashboard_checks import check_dashboards, check_tile_conditions
from trellis.metadata.loader._dashboards import Dashboards, build_dashboard
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schema_check import schema_diagnostics
from trellis.metadata.model import AppModel, TileDef


@dataclass(frozen=True, slots=True)
class _Doc:
    """What the dashboard cross-checks read of an entity file: its raw ``fields``."""

    data: dict[str, Any]


def _entity_docs(model: AppModel) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    for name, entity in model.entities.items():
        fields = {
            f.name: {"type": str(getattr(f.type, "value", f.type)), "to": f.to}
            for f in entity.fields.values()
        }
        docs[name] = _Doc({"fields": fields})
    return docs


def _placed(d: Diagnostic, path: str) -> dict[str, Any]:
    text = f"{path}:{d.span.line}:{d.span.col}: error {d.code}: {d.message}"
    if d.suggestion:
        text += f" (did you mean '{d.suggestion}'?)"
    return {
        "file": path,
        "line": d.span.line,
        "column": d.span.col,
        "code": d.code,
        "message": d.message,
        "suggestion": d.suggestion,
        "text": text,
    }


def _inside(tile: TileDef, lines: tuple[int, int]) -> bool:
    return lines[0] <= tile.source.line <= lines[1]


def _unfiltered(tile: TileDef) -> TileDef:
    """``tile`` with nothing for the rule checker (no filters, parts or series)."""
    return replace(tile, where=None, ratio=None, having=(), compare=None)


def quick_check(
    model: AppModel, checker: Any, path: str, text: str, lines: tuple[int, int]
) -> tuple[list[dict[str, Any]], TileDef | None]:
    """The errors of dashboard file ``path`` written as ``text``, and the tile built from
    the lines ``lines`` (None when it has errors or could not be built)."""
    name = PurePosixPath(path).stem
    report = Report()
    doc = load_yaml(text, path)
    report.extend(doc.diagnostics)
    report.extend(schema_diagnostics("dashboard", doc.data, doc.positions))
    board = build_dashboard(name, doc.data, doc.positions)
    dashboards = Dashboards(built={name: board}, docs={name: doc})
    check_dashboards(model, dashboards, _entity_docs(model), (), report)
    if checker is not None:
        # Only the drafted tile's filters are type-checked (the errors kept are its own);
        # the other tiles stay in place, without filters, so the numbering is the file's.
        tiles = tuple(t if _inside(t, lines) else _unfiltered(t) for t in board.tiles)
        alone = replace(model, dashboards=MappingProxyType({name: replace(board, tiles=tiles)}))
        check_tile_conditions(alone, checker, {}, report)
    errors = [_placed(d, path) for d in report.items if d.severity is Severity.ERROR]
    inside = [e for e in errors if lines[0] <= int(e["line"]) <= lines[1]]
    tile = next((t for t in board.tiles if _inside(t, lines)), None)
    return errors, None if inside else tile


__all__ = ["quick_check"]
