"""Labels of an entity's fields and their option values, for API clients that draw forms."""

from __future__ import annotations

from typing import Any

from trellis.metadata.model import AppModel, EntityDef, FieldType
from trellis.platform.i18n.translator import Translator

#: Field types whose values a client shows by a label.
LABELLED_TYPES = frozenset({FieldType.ENUM, FieldType.MULTI_ENUM, FieldType.PIPELINE})


def form_labels(model: AppModel, entity: EntityDef, t: Translator) -> dict[str, dict[str, Any]]:
    """``{field: {"label": …, "options": [{"value", "label"}, …]}}`` in ``t``'s locale."""
    out: dict[str, dict[str, Any]] = {}
    for name, f in entity.fields.items():
        entry: dict[str, Any] = {"label": t.label(f.label)}
        if f.type in LABELLED_TYPES:
            labels = t.value_labels(model, f)
            entry["options"] = [{"value": v, "label": label} for v, label in labels.items()]
        out[name] = entry
    return out


__all__ = ["LABELLED_TYPES", "form_labels"]
