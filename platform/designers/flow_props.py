"""Set a transition's states, roles, approval, required fields, guard, message and ``on_enter``.

Also the initial state.

Pure functions over the workflow file's data (the caller passes copies). What the
admin names is written as typed: a role ``roles.yaml`` does not declare, a field the
entity lacks or an initial state that is not a state is refused by the package check
that follows, with its position in the file (MD074, MD065, MD067), like any draft edit.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.drafts.errors import DraftError
from trellis.platform.i18n.catalogue import N_

if TYPE_CHECKING:
    from trellis.platform.designers.flow_edit import FlowChange

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class FlowEditError(DraftError):
    """A workflow change that cannot be made (the message says why; nothing changed)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.message = Translatable(msgid, **params)
        super().__init__(str(self.message))


def _names(values: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def _put(item: dict[str, Any], key: str, value: Any) -> None:
    """``item[key] = value``, or no ``key`` when ``value`` is empty; an equal value stays."""
    if not value:
        item.pop(key, None)
    elif item.get(key) != value:
        item[key] = value


def on_enter_lines(text: str) -> dict[str, str]:
    """``field = expression`` lines (one per field) as a mapping.

    Raises:
        FlowEditError: a line without ``=``, a left side that is not a field name, an
            empty expression or a field given twice.
    """
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        target, sign, expression = line.partition("=")
        target, expression = target.strip(), expression.strip()
        if not sign or not NAME.fullmatch(target) or not expression:
            raise FlowEditError(
                N_("Line %(n)s of 'On entering': write one field = expression per line."),
                n=number,
            )
        if target in found:
            raise FlowEditError(
                N_("Line %(n)s of 'On entering': field '%(field)s' is set twice."),
                n=number,
                field=target,
            )
        found[target] = expression
    return found


def on_enter_text(item: dict[str, Any]) -> str:
    """A transition's ``on_enter: {set: …}`` as the form shows it (one ``field = value`` a line)."""
    on_enter = item.get("on_enter")
    sets = on_enter.get("set") if isinstance(on_enter, dict) else None
    if not isinstance(sets, dict):
        return ""
    return "\n".join(f"{k} = {_shown(v)}" for k, v in sets.items())


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _on_enter(item: dict[str, Any], text: str) -> None:
    old = item.get("on_enter")
    old_sets = old.get("set") if isinstance(old, dict) else None
    sets: dict[str, Any] = {}
    for target, expression in on_enter_lines(text).items():
        before = old_sets.get(target) if isinstance(old_sets, dict) else None
        sets[target] = before if before is not None and _shown(before) == expression else expression
    on_enter = dict(old) if isinstance(old, dict) else {}
    _put(on_enter, "set", sets)
    _put(item, "on_enter", on_enter)


def _sources_of(item: dict[str, Any]) -> list[str]:
    origin = item.get("from")
    if isinstance(origin, str):
        return [origin]
    return [str(s) for s in origin] if isinstance(origin, list) else []


def _route(item: dict[str, Any], change: FlowChange, states: list[Any]) -> None:
    """Set ``from`` and ``to`` when the change names a target (no target: both kept)."""
    target, sources = change.target.strip(), _names(change.sources)
    if not target:
        if sources:
            raise FlowEditError(N_("'To': choose the state the transition leads to."))
        return
    if not sources:
        raise FlowEditError(N_("Choose at least one state the transition starts from."))
    for source in sources:
        if source not in states:
            raise FlowEditError(N_("'From': the workflow has no state '%(state)s'."), state=source)
    if target not in states:
        raise FlowEditError(N_("'To': the workflow has no state '%(state)s'."), state=target)
    if sources != _sources_of(item):  # an equal list keeps its text (a string stays one)
        item["from"] = sources
    _put(item, "to", target)


def _message(item: dict[str, Any], change: FlowChange) -> None:
    """Set the message shown when the condition fails (both texts empty: none)."""
    en, es = change.message_en.strip(), change.message_es.strip()
    if bool(en) != bool(es):
        raise FlowEditError(N_("Give the message in English and in Spanish, or leave both empty."))
    old = item.get("message")
    if not en:
        item.pop("message", None)
    elif en == es and not isinstance(old, dict):
        _put(item, "message", en)
    else:
        _put(item, "message", {**(old if isinstance(old, dict) else {}), "en": en, "es": es})


def edit_transition(item: dict[str, Any], change: FlowChange, states: list[Any]) -> None:
    """Set transition ``item``'s states, roles, required fields, approval, guard, message
    and ``on_enter``.

    Raises:
        FlowEditError: a state that ``states`` lacks (naming 'From' or 'To'), no source
            state, an approval condition without its role, a message in one language
            only, or a bad ``on_enter`` line.
    """
    role, when = change.approval_role.strip(), change.approval_when.strip()
    if when and not role:
        raise FlowEditError(N_("An approval condition needs the role that approves."))
    _route(item, change, states)
    _put(item, "roles", _names(change.roles))
    _put(item, "required", _names(change.required))
    _put(item, "approval", {"role": role, **({"when": when} if when else {})} if role else None)
    _put(item, "guard", change.guard.strip())
    _message(item, change)
    _on_enter(item, change.on_enter)


def set_initial(data: dict[str, Any], change: FlowChange) -> None:
    """Make ``change.state`` the state a new record starts in.

    Raises:
        FlowEditError: no state was chosen.
    """
    state = change.state.strip()
    if not state:
        raise FlowEditError(N_("Choose the state a new record starts in."))
    data["initial"] = state


__all__ = [
    "NAME",
    "FlowEditError",
    "edit_transition",
    "on_enter_lines",
    "on_enter_text",
    "set_initial",
]
