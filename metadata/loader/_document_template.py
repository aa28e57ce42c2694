"""Static checks of a document template: syntax, record fields, related lists, ``_`` names.

Jinja2 reports only a line; the column given is the place of the name on that line
(``record.amout`` points at ``amout``) or, for a syntax error, the first tag
(``{{``, ``{%``, ``{#``) on the line.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

#: Parses only; rendering happens in the platform's stricter sandbox.
_PARSER = SandboxedEnvironment(autoescape=True)
_TAG = re.compile(r"\{[{%#]")


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One problem found in a template: code, message, place and suggestion candidates."""

    code: str
    message: str
    line: int
    col: int
    name: str | None = None
    candidates: tuple[str, ...] = ()


@dataclass
class TemplateScan:
    """What a template reads: problems, related keys, and whether ``related`` is used whole."""

    problems: list[TemplateProblem] = field(default_factory=list)
    related: set[str] = field(default_factory=set)
    related_whole: bool = False


def _col(lines: list[str], line: int, pattern: re.Pattern[str] | None) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if pattern is not None and (found := pattern.search(text)):
        return found.start("name") + 1
    if found := _TAG.search(text):
        return found.start() + 1
    return len(text) - len(text.lstrip()) + 1


def _place(lines: list[str], line: int, owner: str | None, name: str) -> int:
    """The column of ``owner.name`` / ``owner['name']`` (or ``.name``) on ``line``."""
    prefix = rf"\b{re.escape(owner)}\s*" if owner else ""
    pattern = re.compile(
        rf"{prefix}(?:\.\s*|\[\s*['\"])(?P<name>{re.escape(name)})(?![A-Za-z0-9_])"
    )
    return _col(lines, line, pattern)


def _attribute(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return str(node.attr)
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        return node.arg.value
    return None


def _owner(node: nodes.Node) -> str | None:
    owner = getattr(node, "node", None)
    return str(owner.name) if isinstance(owner, nodes.Name) else None


def scan_template(
    source: str, *, fields: Collection[str], related: Collection[str]
) -> TemplateScan:
    """Parse ``source`` and check what it reads.

    ``fields`` are the names ``record.<name>`` may use, ``related`` the keys
    ``related.<key>`` may use. A syntax error stops the scan (MD230).
    """
    lines = source.splitlines()
    scan = TemplateScan()
    try:
        tree = _PARSER.parse(source)
    except TemplateSyntaxError as exc:
        line = exc.lineno or 1
        scan.problems.append(
            TemplateProblem(
                "MD230", f"template syntax error: {exc.message}", line, _col(lines, line, None)
            )
        )
        return scan
    scan.problems.extend(_private_names(tree, lines))
    uses = 0
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        owner, name = _owner(node), _attribute(node)
        if owner == "related":
            uses += 1
            if name is None:
                scan.related_whole = True
            elif name in related:
                scan.related.add(name)
            elif not name.startswith("_"):
                col = _place(lines, node.lineno, owner, name)
                message = f"unknown related list 'related.{name}'"
                scan.problems.append(
                    TemplateProblem("MD233", message, node.lineno, col, name, tuple(related))
                )
        elif owner == "record" and name and name not in fields and not name.startswith("_"):
            col = _place(lines, node.lineno, owner, name)  # '_' names are MD234
            message = f"unknown field 'record.{name}'"
            scan.problems.append(
                TemplateProblem("MD232", message, node.lineno, col, name, tuple(fields))
            )
    named = sum(1 for n in tree.find_all(nodes.Name) if n.name == "related" and n.ctx == "load")
    if named > uses:  # ``related`` passed around whole: every list is read
        scan.related_whole = True
    return scan


def _private_names(tree: nodes.Template, lines: list[str]) -> Iterator[TemplateProblem]:
    """``x._name`` / ``x['_name']``: names starting with '_' reach Python internals."""
    seen: set[tuple[int, str]] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = _attribute(node)
        if name is None or not name.startswith("_") or (node.lineno, name) in seen:
            continue
        seen.add((node.lineno, name))
        col = _place(lines, node.lineno, None, name)
        message = f"'{name}': names starting with '_' are not allowed in templates"
        yield TemplateProblem("MD234", message, node.lineno, col)


__all__ = ["TemplateProblem", "TemplateScan", "scan_template"]
