"""Edit the text the rules editor changes: an entity's ``validations:`` and rule blocks.

``validations:`` is rewritten as a whole (one flow mapping per line) where it stands in
the entity file; every other line of the file stays as written. Trigger rules live in
``rules/*.rules`` files as ``rule "name" … end`` blocks: a block is found by its first
line and its closing ``end`` line, so a file with an error elsewhere can still be
edited, and comments between blocks stay where they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from trellis.platform.designers.field_yaml import EntityFileError, FastLoader, flow, node_end

_RULE_START = re.compile(r'^[ \t]*rule[ \t]+"((?:[^"\\\n]|\\.)*)"', re.MULTILINE)
_RULE_END = re.compile(r"^[ \t]*end[ \t]*(?:#.*)?$", re.MULTILINE)
_ON = re.compile(r"\bon[ \t]+([a-z][a-z0-9_]*)")
RULES_FOLDER = "rules"


@dataclass(frozen=True, slots=True)
class RuleBlock:
    """One ``rule "name" … end`` block of a rule file."""

    path: str
    name: str
    #: The entity after ``on`` ("" for ``every`` rules without one).
    entity: str
    start: int
    end: int
    text: str
    #: 1-based line of the block's first line in its file.
    line: int


def _validations_node(text: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    try:
        root = yaml.compose(text, Loader=FastLoader)
    except yaml.YAMLError as exc:
        raise EntityFileError(f"The entity file is not valid YAML: {exc}") from None
    if not isinstance(root, yaml.MappingNode):
        raise EntityFileError("The entity file is not a YAML mapping.")
    for key, value in root.value:
        if key.value == "validations":
            return key, value
    return None, None


def _block(items: list[dict[str, Any]]) -> str:
    return "validations:\n" + "".join(f"  - {flow(item)}\n" for item in items)


def set_validations(text: str, items: list[dict[str, Any]]) -> str:
    """``text`` with ``validations:`` holding ``items`` (the key removed when empty).

    Raises:
        EntityFileError: the file is not a YAML mapping.
    """
    key, value = _validations_node(text)
    if key is None or value is None:
        if not items:
            return text
        body = text if text.endswith("\n") or not text else text + "\n"
        return body + _block(items)
    start, end = int(key.start_mark.index), node_end(value)
    if end < len(text) and text[end] == "\n":
        end += 1
    return text[:start] + _block(items) + text[end:] if items else text[:start] + text[end:]


def rule_blocks(path: str, text: str) -> list[RuleBlock]:
    """The rule blocks of one rule file, in order."""
    starts = list(_RULE_START.finditer(text))
    found: list[RuleBlock] = []
    for i, match in enumerate(starts):
        limit = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        closing = _RULE_END.search(text, match.end(), limit)
        end = closing.end() if closing else limit
        if end < len(text) and text[end] == "\n":
            end += 1
        body = text[match.start() : end]
        on = _ON.search(body, match.end() - match.start())
        name = match.group(1).replace('\\"', '"').replace("\\\\", "\\")
        line = text.count("\n", 0, match.start()) + 1
        found.append(
            RuleBlock(path, name, on.group(1) if on else "", match.start(), end, body, line)
        )
    return found


def package_rules(files: dict[str, str]) -> list[RuleBlock]:
    """Every rule block of the package's rule files, by path then position."""
    return [
        block
        for path, text in sorted(files.items())
        if path.startswith(f"{RULES_FOLDER}/") and path.endswith(".rules")
        for block in rule_blocks(path, text)
    ]


def replace_block(text: str, block: RuleBlock | None, new: str | None) -> str:
    """``text`` with ``block`` replaced by ``new`` (None: removed; no block: appended)."""
    body = "" if new is None else new.strip("\n") + "\n"
    if block is None:
        glue = (
            "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        )
        return text + glue + body
    return text[: block.start] + body + text[block.end :]


__all__ = [
    "RULES_FOLDER",
    "RuleBlock",
    "package_rules",
    "replace_block",
    "rule_blocks",
    "set_validations",
]
