"""Rename a field inside the e-mail templates that render a record of its entity.

A template's entity comes from what sends it: ``send email "t" to …`` in a rule on
the entity, or ``email: t`` in ``reminders/<entity>.yaml`` / ``sla/<entity>.yaml``.
The template is split with Jinja's own lexer; only names read as values — in
``{{ … }}`` and in ``{% if %}`` / ``{% elif %}`` conditions, not filters, calls or
attributes of something else — are rewritten, through the path resolution the
expressions use. Text, tags and block names stay as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import yaml
from jinja2 import Environment

from trellis.metadata.model import AppModel
from trellis.platform.drafts.refs_expr import Edit, Rename, path_hits
from trellis.rules.triggers import parse_rules

#: Statements whose expression reads record values.
_CONDITIONS = frozenset({"if", "elif"})


def _emails(data: Any) -> list[str]:
    if isinstance(data, dict):
        found = [v for k, v in data.items() if k == "email" and isinstance(v, str)]
        return found + [e for v in data.values() for e in _emails(v)]
    return []


def template_entities(files: Mapping[str, str]) -> dict[str, set[str]]:
    """Template name -> the entities whose records it renders."""
    out: dict[str, set[str]] = {}
    for path, text in files.items():
        pure = PurePosixPath(path)
        if path.endswith(".rules"):
            for rule in parse_rules(text):
                entity = rule.trigger.entity.text if rule.trigger.entity else None
                for action in rule.actions:
                    if action.kind.value == "email" and entity:
                        out.setdefault(action.text, set()).add(entity)
        elif pure.parts[0] in ("reminders", "sla") and pure.suffix == ".yaml":
            for name in _emails(yaml.safe_load(text)):
                out.setdefault(name, set()).add(pure.stem)
    return out


def template_name(path: str) -> str | None:
    """``email_templates/deal_won.es.j2`` -> ``deal_won``."""
    pure = PurePosixPath(path)
    if len(pure.parts) != 2 or pure.parts[0] != "email_templates" or pure.suffix != ".j2":
        return None
    return pure.name.split(".", 1)[0]


def template_edits(model: AppModel, entity: str, text: str, rename: Rename) -> list[Edit]:
    """Edits renaming the field in one template rendered on ``entity``."""
    tokens = [
        (kind, value)
        for _, kind, value in Environment(keep_trailing_newline=True).lexer.tokeniter(text, "t")
    ]
    if "".join(v for _, v in tokens) != text:
        return []  # the lexer did not keep every character: leave the file as written
    offsets, at = [], 0
    for _, value in tokens:
        offsets.append(at)
        at += len(value)
    edits: list[Edit] = []
    reading, first, previous = False, False, ""
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind in ("variable_begin", "block_begin"):
            reading, first = kind == "variable_begin", kind == "block_begin"
        elif kind in ("variable_end", "block_end"):
            reading = False
        elif kind == "name" and first:
            reading, first = value in _CONDITIONS, False
        elif kind == "name" and reading and previous not in (".", "|"):
            chain = [i]
            while (
                chain[-1] + 2 < len(tokens)
                and tokens[chain[-1] + 1] == ("operator", ".")
                and tokens[chain[-1] + 2][0] == "name"
            ):
                chain.append(chain[-1] + 2)
            following = tokens[chain[-1] + 1] if chain[-1] + 1 < len(tokens) else ("", "")
            if following != ("operator", "("):
                names = [tokens[j][1] for j in chain]
                for hit in path_hits(model, entity, names, rename):
                    start = offsets[chain[hit]]
                    edits.append((start, start + len(names[hit]), rename.new))
            i = chain[-1]
        if kind != "whitespace":
            previous = value if kind == "operator" else kind
        i += 1
    return edits


__all__ = ["template_edits", "template_entities", "template_name"]
