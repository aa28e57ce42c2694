"""Labels (per locale) and badge colours of an enum field's options, from the field form.

The stored values (``options:``) never change here: the form shows one row per option
with its label in English and Spanish and its colour, and writes ``option_labels`` and
``option_colours`` back (a key without any label or colour left is removed). A form
without these rows (``option_rows`` absent) keeps what the definition had.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Field types whose options take labels and colours.
ENUM_TYPES = ("enum", "multi_enum")
#: The hidden input saying the form carried the option rows.
MARKER = "option_rows"


def _options(definition: Mapping[str, Any]) -> list[str]:
    found = definition.get("options")
    return [str(o) for o in found] if isinstance(found, list) else []


def option_form_values(definition: Mapping[str, Any]) -> dict[str, str]:
    """The form values of each option's label and colour (``optlabel_en__hot``, …)."""
    labels = definition.get("option_labels")
    colours = definition.get("option_colours")
    labels = labels if isinstance(labels, Mapping) else {}
    colours = colours if isinstance(colours, Mapping) else {}
    values: dict[str, str] = {}
    for option in _options(definition):
        label = labels.get(option)
        if isinstance(label, Mapping):
            values[f"optlabel_en__{option}"] = str(label.get("en") or "")
            values[f"optlabel_es__{option}"] = str(label.get("es") or "")
        elif label is not None:
            values[f"optlabel_en__{option}"] = str(label)
        if colours.get(option):
            values[f"optcolour__{option}"] = str(colours[option])
    return values


def _label(en: str, es: str) -> Any:
    if en and es:
        return {"en": en, "es": es}
    return en or ({"es": es} if es else None)


def apply_option_labels(definition: dict[str, Any], form: Mapping[str, str]) -> None:
    """Set ``option_labels``/``option_colours`` of ``definition`` from the form's rows."""
    if definition.get("type") not in ENUM_TYPES or MARKER not in form:
        return
    labels: dict[str, Any] = {}
    colours: dict[str, str] = {}
    for option in _options(definition):
        en = form.get(f"optlabel_en__{option}", "").strip()
        es = form.get(f"optlabel_es__{option}", "").strip()
        label = _label(en, es)
        if label is not None:
            labels[option] = label
        colour = form.get(f"optcolour__{option}", "").strip()
        if colour:
            colours[option] = colour
    for key, found in (("option_labels", labels), ("option_colours", colours)):
        if found:
            definition[key] = found
        else:
            definition.pop(key, None)


__all__ = ["ENUM_TYPES", "MARKER", "apply_option_labels", "option_form_values"]
