"""Status badges: the declared colour of an enum option, workflow state or pipeline stage."""

from __future__ import annotations

from typing import Any

from trellis.metadata.model import AppModel, FieldDef, FieldType


def badge_colour(model: AppModel, f: FieldDef | None, value: Any) -> str | None:
    """The colour ``value`` of field ``f`` is shown in, or None (no badge)."""
    if f is None or not isinstance(value, str):
        return None
    if f.type == FieldType.PIPELINE and f.pipeline:
        pipeline = model.pipelines.get(f.pipeline)
        stage = pipeline.stage(value) if pipeline is not None else None
        return stage.colour if stage is not None else None
    return f.option_colours.get(value)


__all__ = ["badge_colour"]
