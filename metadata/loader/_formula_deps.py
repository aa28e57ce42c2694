"""Which fields an expression mentions, and cycles among formula fields.

The rule checker does not tell dependencies, so a lexical scan is used: identifier
tokens outside string literals, not after a ``.`` (member access) and not before a
``(`` (function call), that are field names of the same entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from trellis.metadata.model import EntityDef

_TOKENS = re.compile(
    r'"(?:[^"\\\n]|\\.)*"'  # double-quoted text literal
    r"|'(?:[^'\\\n]|\\.)*'"  # single-quoted text literal
    r"|(?<![\w.])([A-Za-z_]\w*)\b(?!\s*\()"  # a name, not a member, not a call
)


def identifiers(source: str) -> list[str]:
    """Names used in ``source`` (in order, repeated ones once)."""
    names = (m.group(1) for m in _TOKENS.finditer(source) if m.group(1))
    return list(dict.fromkeys(names))


def mentions(source: str, names: Iterable[str]) -> bool:
    """Whether ``source`` uses any of ``names`` as an identifier."""
    wanted = set(names)
    return any(name in wanted for name in identifiers(source))


def formula_graph(entity: EntityDef) -> dict[str, list[str]]:
    """Formula field -> the fields of the same entity its formula mentions."""
    return {
        f.name: [n for n in identifiers(f.formula) if n in entity.fields]
        for f in entity.fields.values()
        if f.formula is not None
    }


def formula_cycles(entity: EntityDef) -> list[list[str]]:
    """One cycle per strongly connected group of formula fields, e.g. ``[a, b, a]``.

    Each cycle starts at its group's first field in declaration order.
    """
    graph = formula_graph(entity)
    order = {name: i for i, name in enumerate(entity.fields)}
    cycles: list[list[str]] = []
    for group in _components(graph):
        start = min(group, key=order.__getitem__)
        if len(group) == 1 and start not in graph.get(start, []):
            continue
        cycles.append(_cycle_from(start, group, graph))
    return sorted(cycles, key=lambda c: order[c[0]])


def _components(graph: Mapping[str, list[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components over the formula fields."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue  # a plain field: never part of a cycle
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            found.append(group)

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _cycle_from(start: str, group: set[str], graph: Mapping[str, list[str]]) -> list[str]:
    """A path ``start -> … -> start`` inside ``group`` (breadth first: a shortest one)."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in graph.get(node, []):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if nxt in group and nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start, start]
