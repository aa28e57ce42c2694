"""YAML to plain data plus a position table, with duplicate keys detected.

PyYAML's ``compose`` gives a node graph with marks; we build dicts, lists and
scalars from it ourselves so that every key and value keeps its 1-based line and
column, and so that duplicate keys (which loaders silently overwrite) are reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from trellis.metadata.diagnostics import Diagnostic, MetadataError
from trellis.metadata.loader.positions import NodePath, NodePosition, PositionMap
from trellis.metadata.model import SourceSpan

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
#: Scalar tags we turn into values; anything else (``!!binary``, ``!custom``) is refused.
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
#: Guards against alias bombs ("billion laughs"), huge files and stack exhaustion:
#: metadata files are small and shallow (the CRM's largest has under 200 nodes).
#: MD009 for nodes, aliases and depth; MD033 for the size of the file itself.
MAX_NODES = 50_000
#: Nodes reached a second time through an alias (``*name``).
MAX_ALIAS_NODES = 10_000
MAX_DEPTH = 64
MAX_FILE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """One parsed file: plain data, where each node is, and non-fatal problems."""

    data: Any
    positions: PositionMap
    diagnostics: tuple[Diagnostic, ...] = field(default=())


class _LimitError(Exception):
    """The document is too large or too deep to be metadata."""


def load_yaml(text: str, path: str) -> YamlDocument:
    """Parse ``text`` (the contents of file ``path``) keeping positions.

    An empty document gives ``data=None``. Duplicate keys, non-text keys, merge keys
    and unknown tags are reported in ``diagnostics`` (the last duplicate wins).

    Raises:
        MetadataError: MD001 when the text is not valid YAML, MD009 when it expands
            past the node, alias or depth limits, MD033 when it is over
            ``MAX_FILE_BYTES`` (checked before parsing).
    """
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise MetadataError([too_large(path)])
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise MetadataError([_syntax_error(exc, path)]) from exc
    except yaml.YAMLError as exc:  # reader errors carry no mark
        span = SourceSpan(path, 1, 1)
        raise MetadataError([Diagnostic("MD001", f"invalid YAML: {exc}", span)]) from exc
    builder = _Builder(path, text)
    if root is None:
        start = SourceSpan(path, 1, 1)
        return YamlDocument(None, PositionMap(path, {(): NodePosition(start, start)}))
    try:
        data = builder.build(root, (), None)
    except _LimitError as exc:
        span = SourceSpan(path, 1, 1)
        raise MetadataError([Diagnostic("MD009", str(exc), span)]) from None
    return YamlDocument(data, PositionMap(path, builder.table), tuple(builder.problems))


def too_large(path: str) -> Diagnostic:
    """The MD033 diagnostic for a file over :data:`MAX_FILE_BYTES`."""
    message = (
        f"the file is larger than {MAX_FILE_BYTES // 1024} KiB; metadata files are small "
        "(is it the right file?)"
    )
    return Diagnostic("MD033", message, SourceSpan(path, 1, 1))


def _syntax_error(exc: yaml.MarkedYAMLError, path: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    span = SourceSpan(path, mark.line + 1, mark.column + 1) if mark else SourceSpan(path, 1, 1)
    message = f"invalid YAML: {exc.problem or exc.context or 'syntax error'}"
    if exc.problem and exc.context:
        message += f" ({exc.context})"
    return Diagnostic("MD001", message, span)


def _short(tag: str) -> str:
    """``tag:yaml.org,2002:binary`` -> ``!!binary``, as written in YAML."""
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _Builder:
    """Walks a composed node graph once, filling ``table`` and ``problems``."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.table: dict[NodePath, NodePosition] = {}
        #: Every path in the order it was built, and for each mapping entry the slice
        #: of that log its value took: a duplicate key forgets exactly that slice.
        self._log: list[NodePath] = []
        self._entries: dict[NodePath, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []
        self._constructor = SafeConstructor()
        self._active: set[int] = set()
        self._seen: set[int] = set()
        self._count = 0
        self._repeats = 0

    def span(self, mark: yaml.Mark) -> SourceSpan:
        return SourceSpan(self.path, mark.line + 1, mark.column + 1)

    def build(self, node: yaml.Node, path: NodePath, key: SourceSpan | None) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            raise _LimitError(f"the document has more than {MAX_NODES} nodes")
        if len(path) > MAX_DEPTH:
            raise _LimitError(f"the document nests deeper than {MAX_DEPTH} levels")
        if id(node) in self._seen:
            # Reached again through an alias: a few are fine, a "billion laughs" is not.
            self._repeats += 1
            if self._repeats > MAX_ALIAS_NODES:
                raise _LimitError(
                    f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"
                )
        self._seen.add(id(node))
        value_span = self.span(node.start_mark)
        content = self._content_span(node) if isinstance(node, yaml.ScalarNode) else value_span
        self.table[path] = NodePosition(value_span, content, key)
        self._log.append(path)
        if id(node) in self._active:
            self._problem("MD009", "recursive alias: a node contains itself", value_span)
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            if isinstance(node, yaml.ScalarNode):
                return self._scalar(node, value_span)
            return None
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: NodePath) -> dict[str, Any]:
        self._check_tag(node, _TAG + "map")
        result: dict[str, Any] = {}
        first_seen: dict[str, SourceSpan] = {}
        for key_node, value_node in node.value:
            key_span = self.span(key_node.start_mark)
            if key_node.tag == _TAG + "merge":
                self._problem("MD009", "merge keys ('<<') are not supported", key_span)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem("MD009", "mapping keys must be plain text", key_span)
                continue
            key = str(key_node.value)
            if key in first_seen:
                line = first_seen[key].line
                self._problem("MD005", f"duplicate key '{key}' (first at line {line})", key_span)
                self._forget((*path, key))
            first_seen[key] = key_span
            start = len(self._log)
            result[key] = self.build(value_node, (*path, key), key_span)
            self._entries[(*path, key)] = (start, len(self._log))
        return result

    def _forget(self, entry: NodePath) -> None:
        # The earlier duplicate's value is dropped, and so are its positions (in time
        # proportional to that value: many duplicates must not make loading quadratic).
        start, end = self._entries.pop(entry, (0, 0))
        for stale in self._log[start:end]:
            self.table.pop(stale, None)

    def _sequence(self, node: yaml.SequenceNode, path: NodePath) -> list[Any]:
        self._check_tag(node, _TAG + "seq")
        return [self.build(item, (*path, i), None) for i, item in enumerate(node.value)]

    def _scalar(self, node: yaml.ScalarNode, span: SourceSpan) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self._problem("MD009", f"unsupported YAML tag '{_short(node.tag)}'", span)
            return node.value
        make: Callable[[SafeConstructor, yaml.Node], Any]
        make = SafeConstructor.yaml_constructors[node.tag]
        try:
            value = make(self._constructor, node)
        except (ConstructorError, ValueError, KeyError, TypeError, AttributeError, OverflowError):
            # PyYAML's constructors fail in these ways on values their tag does not fit
            # (``!!bool maybe`` is a KeyError, ``!!timestamp x`` an AttributeError).
            self._problem("MD009", f"cannot read '{node.value}' as {_short(node.tag)}", span)
            return node.value
        if isinstance(value, float) and not math.isfinite(value):
            # JSON (and so every meta-schema, the API and OpenAPI) has no infinity or NaN.
            message = f"'{node.value}' is not a finite number; write a number like 1000"
            self._problem("MD004", message, span)
        return value

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            message = f"unsupported YAML tag '{_short(node.tag)}'"
            self._problem("MD009", message, self.span(node.start_mark))

    def _content_span(self, node: yaml.ScalarNode) -> SourceSpan:
        line, col = node.start_mark.line, node.start_mark.column
        if node.style in ("'", '"'):
            return SourceSpan(self.path, line + 1, col + 2)
        if node.style in ("|", ">"):
            # The header line holds the indicator; the text starts on the next line,
            # indented as its first non-blank line. ``indent`` lets later lines of a
            # ``|`` block be mapped back (SourceSpan.shifted).
            for number in range(line + 1, len(self.lines)):
                stripped = self.lines[number].lstrip(" ")
                if stripped:
                    indent = len(self.lines[number]) - len(stripped)
                    return SourceSpan(self.path, line + 2, indent + 1, indent)
        return SourceSpan(self.path, line + 1, col + 1)

    def _problem(self, code: str, message: str, span: SourceSpan) -> None:
        self.problems.append(Diagnostic(code, message, span))
