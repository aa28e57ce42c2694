"""One workflow change on a workflow file's data and its state field's definition.

States are the options of an enum field of the entity (their labels are the
option labels), so a state added, renamed or removed changes both files. Pure
functions over copies; the caller writes the results back
(:func:`~trellis.platform.designers.yaml_patch.patch_yaml`, ``set_field``) and
validates the package with them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from trellis.platform.designers.flow_graph import graph_of
from trellis.platform.designers.flow_props import NAME, FlowEditError, edit_transition, set_initial
from trellis.platform.i18n.catalogue import N_

OPERATIONS = (
    "add_state",
    "label_state",
    "remove_state",
    "final_state",
    "add_transition",
    "label_transition",
    "remove_transition",
    "edit_transition",
    "set_initial",
)


@dataclass(frozen=True, slots=True)
class FlowChange:
    """What the admin asked: ``op`` on state ``state`` or transition ``name``.

    ``final_state`` adds a state to ``done`` (a dead end that is meant to be final).

    ``sources`` and ``target`` are a new transition's ``from`` and ``to``;
    ``label_en``/``label_es`` the label of a state or transition; ``guard`` an
    optional condition of a new transition (or of one edited).

    ``edit_transition`` sets a transition's ``from`` and ``to`` (when ``target`` is
    given), ``roles``, ``required`` fields, approval (``approval_role``,
    ``approval_when``), guard, the message shown when the guard fails (``message_en``,
    ``message_es``) and ``on_enter`` (``field = expression`` lines); ``set_initial``
    makes ``state`` the initial state.
    """

    op: str
    state: str = ""
    name: str = ""
    label_en: str = ""
    label_es: str = ""
    sources: tuple[str, ...] = field(default_factory=tuple)
    target: str = ""
    guard: str = ""
    roles: tuple[str, ...] = field(default_factory=tuple)
    required: tuple[str, ...] = field(default_factory=tuple)
    approval_role: str = ""
    approval_when: str = ""
    on_enter: str = ""
    message_en: str = ""
    message_es: str = ""


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _from(item: dict[str, Any]) -> list[str]:
    origin = item.get("from")
    return [origin] if isinstance(origin, str) else [str(s) for s in _list(origin)]


def _label(change: FlowChange, *, required: bool) -> dict[str, str] | None:
    label = {"en": change.label_en.strip(), "es": change.label_es.strip()}
    if label["en"] and label["es"]:
        return label
    if required or label["en"] or label["es"]:
        raise FlowEditError(N_("Give the label in English and in Spanish."))
    return None


def _known_state(states: list[Any], state: str) -> None:
    if state not in states:
        raise FlowEditError(N_("The workflow has no state '%(state)s'."), state=state)


def _transition(transitions: list[Any], name: str) -> dict[str, Any]:
    for item in transitions:
        if isinstance(item, dict) and item.get("name") == name:
            return item
    raise FlowEditError(N_("The workflow has no transition '%(name)s'."), name=name)


def _states(data: dict[str, Any], change: FlowChange, options: dict[str, Any]) -> None:
    states = _list(data.get("states"))
    data["states"] = states
    state = change.state.strip()
    if change.op == "add_state":
        if not NAME.fullmatch(state):
            raise FlowEditError(
                N_(
                    "'%(state)s' is not a state name: use lowercase letters, digits and '_', "
                    "starting with a letter."
                ),
                state=state,
            )
        if state in states:
            raise FlowEditError(N_("The workflow already has a state '%(state)s'."), state=state)
        states.append(state)
        label = _label(change, required=False)
        option_list = _list(options.get("options"))
        if state not in option_list:
            options["options"] = [*option_list, state]
        if label is not None:
            labels = options.get("option_labels")
            options["option_labels"] = {
                **(labels if isinstance(labels, dict) else {}),
                state: label,
            }
        return
    _known_state(states, state)
    if change.op == "label_state":
        labels = options.get("option_labels")
        label = _label(change, required=True)
        options["option_labels"] = {**(labels if isinstance(labels, dict) else {}), state: label}
        return
    if change.op == "final_state":
        # A dead end becomes a final state; without ``done`` the final states were
        # those nothing leaves, so they stay final.
        done = _list(data.get("done")) or list(graph_of(data).final())
        data["done"] = [s for s in states if s in (*done, state)]
        return
    if state == data.get("initial"):
        raise FlowEditError(
            N_("'%(state)s' is the initial state: a new record starts there; it stays."),
            state=state,
        )
    states.remove(state)
    if isinstance(data.get("done"), list):
        data["done"] = [s for s in data["done"] if s != state]
        if not data["done"]:
            del data["done"]
    kept = []
    for item in _list(data.get("transitions")):
        if isinstance(item, dict):
            if item.get("to") == state:
                continue
            sources = [s for s in _from(item) if s != state]
            if not sources:
                continue
            item["from"] = sources
        kept.append(item)
    data["transitions"] = kept
    options["options"] = [o for o in _list(options.get("options")) if o != state]
    for key, value in list(options.items()):
        if key.startswith("option_") and isinstance(value, dict):
            options[key] = {k: v for k, v in value.items() if k != state}
            if not options[key]:
                del options[key]
    if options.get("default") == f'"{state}"':
        del options["default"]


def _transitions(data: dict[str, Any], change: FlowChange) -> None:
    transitions = _list(data.get("transitions"))
    data["transitions"] = transitions
    name = change.name.strip()
    if change.op == "add_transition":
        if not NAME.fullmatch(name):
            raise FlowEditError(
                N_(
                    "'%(name)s' is not a transition name: use lowercase letters, digits and "
                    "'_', starting with a letter."
                ),
                name=name,
            )
        if any(isinstance(t, dict) and t.get("name") == name for t in transitions):
            raise FlowEditError(N_("The workflow already has a transition '%(name)s'."), name=name)
        states = _list(data.get("states"))
        if not change.sources:
            raise FlowEditError(N_("Choose at least one state the transition starts from."))
        for state in (*change.sources, change.target):
            _known_state(states, state)
        new: dict[str, Any] = {"name": name}
        label = _label(change, required=False)
        if label is not None:
            new["label"] = label
        new["from"] = list(dict.fromkeys(change.sources))
        new["to"] = change.target
        if change.guard.strip():
            new["guard"] = change.guard.strip()
        transitions.append(new)
        return
    item = _transition(transitions, name)
    if change.op == "edit_transition":
        edit_transition(item, change, _list(data.get("states")))
        return
    if change.op == "label_transition":
        item["label"] = _label(change, required=True)
        return
    if len(transitions) == 1:
        raise FlowEditError(N_("A workflow needs at least one transition."))
    transitions.remove(item)


def apply_flow_change(
    data: dict[str, Any], options: dict[str, Any], change: FlowChange
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``data`` (the workflow file) and ``options`` (its state field) with ``change`` made.

    Raises:
        FlowEditError: an unknown operation, state or transition; a name taken or not a
            name; a missing label; removing the initial state or the last transition.
    """
    if change.op not in OPERATIONS:
        raise FlowEditError(N_("'%(op)s' is not a workflow change."), op=change.op)
    data, options = copy.deepcopy(data), copy.deepcopy(options)
    if change.op == "set_initial":
        set_initial(data, change)
    elif change.op.endswith("_state"):
        _states(data, change, options)
    else:
        _transitions(data, change)
    return data, options


__all__ = ["OPERATIONS", "FlowChange", "FlowEditError", "apply_flow_change"]
