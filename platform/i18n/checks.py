"""Checks that keep the catalogues complete: every message id translated, placeholders kept.

``message_ids`` extracts the ids from a source checkout the way ``pybabel extract -F
babel.cfg`` does (Python with ``gettext``/``N_``/``Translatable``, Jinja2 templates with
``_()`` and ``{% trans %}``); ``catalogue_problems`` lists what a catalogue lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

#: Marker functions of our own, besides gettext's usual names.
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "Translatable": None}
#: ``%(name)s`` (gettext, Python) and ``{name}`` (str.format) placeholders.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifeEgGr%]|\{(\w*)\}")


@dataclass(frozen=True, slots=True)
class InContext:
    """A message id marked with a context (``pgettext(context, message)``: a ``msgctxt``)."""

    context: str
    message: str | tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.message!r} (msgctxt {self.context!r})"


MessageId = str | tuple[str, ...] | InContext


def message_ids(root: Path) -> set[MessageId]:
    """Every message id marked in the sources under ``root`` (a checkout with babel.cfg);
    an id marked with a context (``pgettext``) is an :class:`InContext`."""
    with (root / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    )
    return {
        InContext(context, message) if context else message
        for _file, _line, message, _comments, context in found
        if message
    }


def placeholders(text: str) -> list[str]:
    """The placeholder names of ``text``, sorted, repeats kept once."""
    return sorted({a or b for a, b in PLACEHOLDER.findall(text)})


def catalogue_problems(catalogue: Catalog, ids: Iterable[MessageId]) -> list[str]:
    """What keeps ``catalogue`` from translating ``ids``: missing, empty, fuzzy, placeholders.

    An id in a context must have its own entry with that ``msgctxt``.
    """
    problems: list[str] = []
    for marked in sorted(ids, key=str):
        context = marked.context if isinstance(marked, InContext) else None
        message_id = marked.message if isinstance(marked, InContext) else marked
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = catalogue.get(key, context=context)
        shown = repr(key) if context is None else f"{key!r} in msgctxt {context!r}"
        if entry is None:
            problems.append(f"{catalogue.locale}: missing {shown}")
            continue
        raw = entry.string
        strings = [str(s) for s in raw] if isinstance(raw, list | tuple) else [str(raw or "")]
        if not all(strings) or entry.fuzzy:
            problems.append(f"{catalogue.locale}: untranslated {shown}")
            continue
        wanted = placeholders(" ".join(message_id) if isinstance(message_id, tuple) else key)
        for text in strings:
            if placeholders(text) != wanted:
                problems.append(
                    f"{catalogue.locale}: placeholders of {shown} are {placeholders(text)}, "
                    f"not {wanted}"
                )
            elif "%(" in text and _unformattable(text, wanted):
                problems.append(f"{catalogue.locale}: broken placeholder in {text!r}")
    return problems


def _unformattable(text: str, names: list[str]) -> bool:
    try:
        text % dict.fromkeys(names, "x")
    except (KeyError, ValueError, TypeError):
        return True
    return False


__all__ = ["KEYWORDS", "InContext", "catalogue_problems", "message_ids", "placeholders"]
