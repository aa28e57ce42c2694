"""The workflow diagram: reachability, dead ends and the layered layout (issue 16)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.platform.designers.flow_edit import FlowChange, apply_flow_change
from trellis.platform.designers.flow_graph import Edge, FlowGraph, graph_of, reachable_states
from trellis.platform.designers.flow_layout import BOX_H, BOX_W, layers, layout
from trellis.platform.designers.pipeline_service import StageChange, apply_stage_change

TICKET = {
    "initial": "new",
    "states": ["new", "open", "pending", "resolved", "closed", "spam"],
    "done": ["closed"],
    "transitions": [
        {"name": "open", "from": ["new"], "to": "open"},
        {"name": "wait", "from": "open", "to": "pending"},
        {"name": "resume", "from": ["pending"], "to": "open"},
        {"name": "resolve", "from": ["open", "pending"], "to": "resolved"},
        {"name": "touch", "from": ["open"], "to": "open"},
        {"name": "bad", "from": ["nowhere"], "to": "open"},
        "not a transition",
    ],
}


def test_unreachable_states_dead_ends_and_final_states() -> None:
    graph = graph_of(TICKET)
    assert graph.unreachable() == ("closed", "spam")
    # resolved: nothing leaves it and ``done`` does not name it; closed is final.
    assert graph.dead_ends() == ("resolved", "spam")
    assert graph.final() == ("closed",)
    without_done = graph_of({**TICKET, "done": None})
    assert without_done.final() == ("resolved", "closed", "spam")
    assert without_done.dead_ends() == ()
    assert [e.name for e in graph.edges] == [
        "open",
        "wait",
        "resume",
        "resolve",
        "resolve",
        "touch",
    ]


def test_an_unknown_initial_state_reaches_nothing() -> None:
    graph = graph_of({**TICKET, "initial": "gone"})
    assert graph.unreachable() == tuple(TICKET["states"])  # type: ignore[arg-type]


def test_columns_follow_the_distance_from_the_initial_state() -> None:
    graph = graph_of(TICKET)
    assert layers(graph) == {
        "new": 0,
        "open": 1,
        "pending": 2,
        "resolved": 2,
        "closed": 3,
        "spam": 3,
    }
    diagram = layout(graph, {"new": "New ticket"}, {"open": "Open it"})
    assert diagram.box("new").text == "New ticket" and diagram.box("new").initial
    assert diagram.box("spam").unreachable and diagram.box("resolved").dead_end
    kinds = {(a.source, a.target): a.kind for a in diagram.arrows}
    assert kinds[("new", "open")] == "forward"
    assert kinds[("pending", "open")] == "back"
    assert kinds[("pending", "resolved")] == "side"
    assert kinds[("open", "open")] == "loop"
    assert next(a for a in diagram.arrows if a.name == "open").text == "Open it"
    assert layout(graph, {"new": "New ticket"}, {"open": "Open it"}) == diagram  # deterministic


STATE = st.text(alphabet="abcdefgh", min_size=1, max_size=3)


@st.composite
def graphs(draw: st.DrawFn) -> FlowGraph:
    """Any workflow graph: some states, arrows between them, one of them initial."""
    states = draw(st.lists(STATE, min_size=1, max_size=12, unique=True))
    pairs = st.tuples(st.sampled_from(states), st.sampled_from(states))
    edges = draw(st.lists(pairs, max_size=30))
    initial = draw(st.sampled_from(states))
    return FlowGraph(
        tuple(states), initial, tuple(Edge(f"t{i}", a, b) for i, (a, b) in enumerate(edges))
    )


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_every_state_gets_its_own_box_inside_the_drawing(graph: FlowGraph) -> None:
    diagram = layout(graph)
    assert [b.state for b in diagram.boxes] == list(graph.states)
    places = {(b.x, b.y) for b in diagram.boxes}
    assert len(places) == len(graph.states)
    for a in diagram.boxes:
        assert a.x >= 0 and a.x + BOX_W <= diagram.width
        assert a.y >= 0 and a.y + BOX_H <= diagram.height
        for b in diagram.boxes:
            if a is not b:  # no two boxes overlap
                assert (
                    a.x + BOX_W <= b.x
                    or b.x + BOX_W <= a.x
                    or a.y + BOX_H <= b.y
                    or (b.y + BOX_H <= a.y)
                )
    assert len(diagram.arrows) == len(graph.edges)
    for arrow in diagram.arrows:
        numbers = [float(n) for n in arrow.path.replace(",", " ").split() if n not in "MC"]
        xs, ys = numbers[0::2], numbers[1::2]
        assert min(xs) >= 0 and max(xs) <= diagram.width
        assert min(ys) >= 0 and max(ys) <= diagram.height


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_reachable_states_are_exactly_those_a_path_leads_to(graph: FlowGraph) -> None:
    reached = graph.reachable()
    assert graph.initial in reached
    # Closed under the arrows: every arrow out of a reached state ends in one.
    assert all(e.target in reached for e in graph.edges if e.source in reached)
    # Every reached state has an arrow into it from an earlier column (a path back home).
    columns = layers(graph)
    for state in reached - {graph.initial}:
        assert any(
            e.target == state and e.source in reached and columns[e.source] == columns[state] - 1
            for e in graph.edges
        )
    unreachable = set(graph.unreachable())
    assert unreachable == set(graph.states) - reached
    last = max(columns.values())
    assert all(columns[s] == last for s in unreachable)
    assert reachable_states(graph.initial, graph.edges) == reached


def test_stage_changes_move_add_edit_and_refuse() -> None:
    stages = [{"name": "a", "probability": 10}, {"name": "b", "probability": 50}]
    moved = apply_stage_change(stages, StageChange("down", "a"))
    assert [s["name"] for s in moved] == ["b", "a"]
    assert [s["name"] for s in stages] == ["a", "b"]  # the input is left alone
    assert apply_stage_change(stages, StageChange("up", "a")) == stages  # at the top already
    added = apply_stage_change(
        stages, StageChange("add", "c", "Closed", "Cerrado", "100", "green", "won")
    )
    assert added[-1] == {
        "name": "c",
        "label": {"en": "Closed", "es": "Cerrado"},
        "probability": 100,
        "colour": "green",
        "won": True,
    }
    edited = apply_stage_change(added, StageChange("edit", "c", "Done", "Hecho", "99.5"))
    assert edited[-1] == {"name": "c", "label": {"en": "Done", "es": "Hecho"}, "probability": 99.5}


def test_marking_a_dead_end_final_adds_it_to_done_in_state_order() -> None:
    data, options = apply_flow_change(TICKET, {}, FlowChange("final_state", state="resolved"))
    assert data["done"] == ["resolved", "closed"]
    assert graph_of(data).dead_ends() == ("spam",)
    assert TICKET["done"] == ["closed"]  # the input is left alone
    assert options == {}
    plain = {**TICKET, "done": None}
    marked, _ = apply_flow_change(plain, {}, FlowChange("final_state", state="open"))
    # Without ``done`` the states nothing leaves were final: they stay final.
    assert marked["done"] == ["open", "resolved", "closed", "spam"]
