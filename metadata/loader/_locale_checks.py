"""Checks of per-locale metadata text: ``label: {en: …, es: …}`` (MD200-MD202)."""

from __future__ import annotations

from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model.local_text import SUPPORTED_LOCALES

#: Keys whose value may be a plain string or one value per locale.
LOCAL_TEXT_KEYS = frozenset({"label", "plural_label", "description", "message", "tab"})
#: Mappings keyed by a declared name, where a name may equal one of LOCAL_TEXT_KEYS.
_NAMED_MAPS = frozenset({"fields", "roles", "entities", "requires"})


def _suggest_locale(key: str) -> str | None:
    base = key.lower().replace("-", "_").split("_", 1)[0]
    return base if base in SUPPORTED_LOCALES else did_you_mean(key, SUPPORTED_LOCALES)


def _is_local_text(path: NodePath) -> bool:
    if len(path) >= 2 and path[-2] == "option_labels":
        return True
    if not path or path[-1] not in LOCAL_TEXT_KEYS:
        return False
    return len(path) < 2 or path[-2] not in _NAMED_MAPS


def check_locale_keys(data: Any, positions: PositionMap, report: Report) -> None:
    """Report a locale key of a per-locale text that is not a shipped locale (MD200)."""
    _walk(data, (), positions, report)


def check_local_text(node: Any, path: NodePath, positions: PositionMap, report: Report) -> None:
    """Report each locale key of the per-locale text at ``path`` that is not shipped (MD200);
    for keys outside LOCAL_TEXT_KEYS that are per-locale in one file kind (a reminder's
    ``text``)."""
    if not isinstance(node, dict):
        return
    for key in node:
        if str(key) not in SUPPORTED_LOCALES:
            report.error(
                "MD200",
                f"'{key}' is not a supported locale; use one of {', '.join(SUPPORTED_LOCALES)}",
                positions.anchor((*path, str(key))),
                _suggest_locale(str(key)),
            )


def _walk(node: Any, path: NodePath, positions: PositionMap, report: Report) -> None:
    if isinstance(node, dict):
        if _is_local_text(path):
            check_local_text(node, path, positions, report)
            return
        for key, value in node.items():
            _walk(value, (*path, str(key)), positions, report)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, (*path, index), positions, report)


def check_app_locale(data: Any, positions: PositionMap, report: Report) -> None:
    """Report an ``app.yaml`` ``locale`` that is not a shipped locale (MD201)."""
    locale = data.get("locale") if isinstance(data, dict) else None
    if not isinstance(locale, str) or not locale or locale in SUPPORTED_LOCALES:
        return
    report.error(
        "MD201",
        f"locale '{locale}' is not a supported locale; use one of {', '.join(SUPPORTED_LOCALES)}",
        positions.value(("locale",)),
        _suggest_locale(locale),
    )


def check_option_labels(data: Any, positions: PositionMap, report: Report) -> None:
    """Report an ``option_labels`` key that is not one of the field's options (MD202)."""
    fields = data.get("fields") if isinstance(data, dict) else None
    for name, spec in (fields if isinstance(fields, dict) else {}).items():
        labels = spec.get("option_labels") if isinstance(spec, dict) else None
        if not isinstance(labels, dict):
            continue
        options = spec.get("options")
        if not isinstance(options, list):
            continue  # pipeline stages carry their own labels; workflows use enum options
        known = [str(o) for o in options]
        for key in labels:
            if str(key) not in known:
                report.error(
                    "MD202",
                    f"field '{name}': option_labels names '{key}', which is not an option",
                    positions.anchor(("fields", str(name), "option_labels", str(key))),
                    did_you_mean(str(key), known),
                )


__all__ = [
    "LOCAL_TEXT_KEYS",
    "check_app_locale",
    "check_local_text",
    "check_locale_keys",
    "check_option_labels",
]
