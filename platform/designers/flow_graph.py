"""A workflow as a graph: which states the initial one reaches, which ones lead nowhere.

Read from the workflow file's data as the draft has it (it may not validate yet: a
new state is unreachable until a transition leads to it), so every input is checked
for its shape and anything malformed is left out rather than refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Edge:
    """One arrow: transition ``name`` from state ``source`` to state ``target``."""

    name: str
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class FlowGraph:
    """The states (declared order), the initial state and the arrows between them."""

    states: tuple[str, ...]
    initial: str
    edges: tuple[Edge, ...]
    #: ``done:`` as declared (empty: the states no transition leaves are final).
    done: tuple[str, ...] = ()

    def reachable(self) -> frozenset[str]:
        """The states the initial one reaches through transitions (itself included)."""
        return reachable_states(self.initial, self.edges, self.states)

    def unreachable(self) -> tuple[str, ...]:
        """States no path of transitions leads to from the initial state, in order."""
        reached = self.reachable()
        return tuple(s for s in self.states if s not in reached)

    def final(self) -> tuple[str, ...]:
        """The final states: ``done`` when declared, else the states nothing leaves."""
        if self.done:
            return tuple(s for s in self.states if s in self.done)
        leaving = {e.source for e in self.edges}
        return tuple(s for s in self.states if s not in leaving)

    def dead_ends(self) -> tuple[str, ...]:
        """States no transition leaves that are not final (records get stuck there)."""
        leaving = {e.source for e in self.edges}
        final = set(self.final())
        return tuple(s for s in self.states if s not in leaving and s not in final)


def reachable_states(
    initial: str, edges: Sequence[Edge], states: Sequence[str] = ()
) -> frozenset[str]:
    """Every state reached from ``initial`` (breadth first); ``initial`` only if a state."""
    if states and initial not in states:
        return frozenset()
    out: dict[str, list[str]] = {}
    for e in edges:
        out.setdefault(e.source, []).append(e.target)
    seen = {initial}
    frontier = [initial]
    while frontier:
        following: list[str] = []
        for state in frontier:
            for target in out.get(state, ()):
                if target not in seen:
                    seen.add(target)
                    following.append(target)
        frontier = following
    return frozenset(seen)


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []


def graph_of(data: Mapping[str, Any]) -> FlowGraph:
    """The graph of a workflow file's data; arrows to or from unknown states are left out."""
    states = tuple(dict.fromkeys(_names(data.get("states"))))
    known = set(states)
    initial = data.get("initial")
    edges: list[Edge] = []
    transitions = data.get("transitions")
    for item in transitions if isinstance(transitions, list) else []:
        if not isinstance(item, dict):
            continue
        name, target = str(item.get("name") or ""), item.get("to")
        if not isinstance(target, str) or target not in known:
            continue
        edges.extend(Edge(name, s, target) for s in _names(item.get("from")) if s in known)
    done = tuple(s for s in _names(data.get("done")) if s in known)
    return FlowGraph(states, initial if isinstance(initial, str) else "", tuple(edges), done)


__all__ = ["Edge", "FlowGraph", "graph_of", "reachable_states"]
