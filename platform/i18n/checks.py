"""Checks that keep the catalogues complete: every message id translated, placeholders kept.

``message_ids`` extracts the ids from a source checkout the way ``pybabel extract -F
babel.cfg`` does (Python with ``gettext``/``N_``/``Translatable``, Jinja2 templates with
``_()`` and ``{% trans %}``); ``catalogue_problems`` lists what a catalogue lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

#: Marker functions of our own, besides gettext's usual names.
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "Translatable": None}
#: ``%(name)s`` (gettext, Python) and ``{name}`` (str.format) placeholders.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifeEgGr%]|\{(\w*)\}")

MessageId = str | tuple[str, ...]


def message_ids(root: Path) -> set[MessageId]:
    """Every message id marked in the sources under ``root`` (a checkout with babel.cfg)."""
    with (root / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    )
    return {message for _file, _line, message, _comments, _context in found if message}


def placeholders(text: str) -> list[str]:
    """The placeholder names of ``text``, sorted, repeats kept once."""
    return sorted({a or b for a, b in PLACEHOLDER.findall(text)})


def catalogue_problems(catalogue: Catalog, ids: Iterable[MessageId]) -> list[str]:
    """What keeps ``catalogue`` from translating ``ids``: missing, empty, fuzzy, placeholders."""
    problems: list[str] = []
    for message_id in sorted(ids, key=str):
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = catalogue.get(key)
        if entry is None:
            problems.append(f"{catalogue.locale}: missing {key!r}")
            continue
        raw = entry.string
        strings = [str(s) for s in raw] if isinstance(raw, list | tuple) else [str(raw or "")]
        if not all(strings) or entry.fuzzy:
            problems.append(f"{catalogue.locale}: untranslated {key!r}")
            continue
        wanted = placeholders(" ".join(message_id) if isinstance(message_id, tuple) else key)
        for text in strings:
            if placeholders(text) != wanted:
                problems.append(
                    f"{catalogue.locale}: placeholders of {key!r} are {placeholders(text)}, "
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


__all__ = ["KEYWORDS", "catalogue_problems", "message_ids", "placeholders"]
