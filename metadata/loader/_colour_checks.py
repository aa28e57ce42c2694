"""Badge colours: ``option_colours`` on enum fields and ``colour`` on pipeline stages.

Unknown colours are MD350; an ``option_colours`` key that is not an option is MD351.
"""

from __future__ import annotations

from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model.badges import BADGE_COLOURS

_CHOICES = ", ".join(BADGE_COLOURS)


def _colour(value: Any, where: str, path: NodePath, positions: PositionMap, report: Report) -> None:
    if isinstance(value, str) and value in BADGE_COLOURS:
        return
    shown = value if isinstance(value, str) else repr(value)
    report.error(
        "MD350",
        f"{where}: colour '{shown}' is not a badge colour; use one of {_CHOICES}",
        positions.value(path),
        did_you_mean(str(shown), list(BADGE_COLOURS)),
    )


def check_option_colours(data: Any, positions: PositionMap, report: Report) -> None:
    """Report unknown colours (MD350) and keys that are not options (MD351)."""
    fields = data.get("fields") if isinstance(data, dict) else None
    for name, spec in (fields if isinstance(fields, dict) else {}).items():
        colours = spec.get("option_colours") if isinstance(spec, dict) else None
        if not isinstance(colours, dict):
            continue
        options = spec.get("options")
        known = [str(o) for o in options] if isinstance(options, list) else None
        for key, value in colours.items():
            path = ("fields", str(name), "option_colours", str(key))
            if known is not None and str(key) not in known:
                report.error(
                    "MD351",
                    f"field '{name}': option_colours names '{key}', which is not an option",
                    positions.anchor(path),
                    did_you_mean(str(key), known),
                )
                continue
            _colour(value, f"field '{name}' option '{key}'", path, positions, report)


def check_stage_colours(data: Any, positions: PositionMap, report: Report) -> None:
    """Report a pipeline stage whose ``colour`` is not a badge colour (MD350)."""
    stages = data.get("stages") if isinstance(data, dict) else None
    for index, stage in enumerate(stages if isinstance(stages, list) else []):
        if isinstance(stage, dict) and "colour" in stage:
            where = f"stage '{stage.get('name', index)}'"
            _colour(stage["colour"], where, ("stages", index, "colour"), positions, report)


def option_colours(spec: Any) -> dict[str, str]:
    """The valid ``option_colours`` of a field spec (invalid ones are reported apart)."""
    colours = spec.get("option_colours") if isinstance(spec, dict) else None
    if not isinstance(colours, dict):
        return {}
    return {str(k): v for k, v in colours.items() if isinstance(v, str) and v in BADGE_COLOURS}


__all__ = ["check_option_colours", "check_stage_colours", "option_colours"]
