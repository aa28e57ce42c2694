"""One layout change on an entity's ``layouts:`` data: move, add or remove a field, a section.

Pure functions over a copy of the parsed ``layouts:`` mapping; the caller writes the
result back into the entity file (:func:`set_layouts`, which rewrites only the nodes
that change). Form and detail screens have
sections of fields; the list has columns, the kanban board its card fields, the
detail page its related lists. A section left without fields is removed (a section
must list at least one field).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.designers.field_yaml import parse_entity
from trellis.platform.designers.yaml_patch import patch_yaml
from trellis.platform.drafts.errors import DraftError
from trellis.platform.i18n.catalogue import N_

#: Screens with sections of fields.
SECTIONED = ("form", "detail")
#: Screens with one flat list of fields: screen -> the key holding it.
FLAT = {"list": "columns", "kanban": "card"}
SCREENS = (*SECTIONED, *FLAT)
OPERATIONS = (
    "up",
    "down",
    "to_section",
    "place",
    "add",
    "remove",
    "add_section",
    "edit_section",
    "section_up",
    "section_down",
    "related_up",
    "related_down",
)


class LayoutEditError(DraftError):
    """A layout change that cannot be made (the message says why; nothing changed)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.message = Translatable(msgid, **params)
        super().__init__(str(self.message))


@dataclass(frozen=True, slots=True)
class LayoutChange:
    """What the admin asked: ``op`` on ``field`` (or ``section``) of ``screen``.

    ``section`` is the 0-based section a field goes to (``to_section``, ``place``,
    ``add``) or the section moved; ``index`` the position within it (``place``; -1
    appends); ``label_en``/``label_es``/``tab`` name a new section.
    """

    op: str
    screen: str
    field: str = ""
    section: int = -1
    index: int = -1
    label_en: str = ""
    label_es: str = ""
    tab: str = ""


def _fields(section: Any) -> list[str]:
    found = section.get("fields") if isinstance(section, dict) else None
    return [str(f) for f in found] if isinstance(found, list) else []


def _sections(layouts: dict[str, Any], screen: str) -> list[dict[str, Any]]:
    spec = layouts.get(screen)
    found = spec.get("sections") if isinstance(spec, dict) else None
    if not isinstance(found, list):
        raise LayoutEditError(N_("The %(screen)s layout has no sections."), screen=screen)
    for section in found:
        if isinstance(section, dict):
            section["fields"] = _fields(section)
    return [s for s in found if isinstance(s, dict)]


def _flat(layouts: dict[str, Any], screen: str) -> list[str]:
    spec = layouts.get(screen)
    if not isinstance(spec, dict):
        raise LayoutEditError(N_("The entity declares no %(screen)s layout."), screen=screen)
    key = FLAT[screen]
    found = spec.get(key)
    names = [str(f) for f in found] if isinstance(found, list) else []
    spec[key] = names
    return names


def _where(sections: list[dict[str, Any]], field: str) -> tuple[int, int]:
    for i, section in enumerate(sections):
        if field in section["fields"]:
            return i, section["fields"].index(field)
    raise LayoutEditError(N_("Field '%(field)s' is not on this layout."), field=field)


def _section_at(sections: list[dict[str, Any]], index: int) -> dict[str, Any]:
    if not 0 <= index < len(sections):
        raise LayoutEditError(N_("There is no section %(n)s on this layout."), n=index + 1)
    return sections[index]


def _step(items: list[Any], at: int, direction: int) -> None:
    to = at + direction
    if 0 <= to < len(items):
        items[at], items[to] = items[to], items[at]


def _drop_empty(layouts: dict[str, Any], screen: str) -> None:
    spec = layouts[screen]
    spec["sections"] = [s for s in spec["sections"] if not isinstance(s, dict) or s["fields"]]


def _sectioned(layouts: dict[str, Any], change: LayoutChange) -> None:
    sections = _sections(layouts, change.screen)
    op, name = change.op, change.field
    if op in ("section_up", "section_down"):
        _section_at(sections, change.section)
        _step(layouts[change.screen]["sections"], change.section, -1 if op == "section_up" else 1)
        return
    label = {"en": change.label_en.strip(), "es": change.label_es.strip()}
    if op in ("add_section", "edit_section") and not (label["en"] and label["es"]):
        raise LayoutEditError(N_("Give the section a name in English and in Spanish."))
    if op == "edit_section":
        section = _section_at(sections, change.section)
        section["label"] = label
        section.pop("tab", None)
        if change.tab.strip():
            section["tab"] = change.tab.strip()
        return
    if op == "add_section":
        i, at = _where(sections, name)
        sections[i]["fields"].pop(at)
        new: dict[str, Any] = {"label": label, "fields": [name]}
        if change.tab.strip():
            new["tab"] = change.tab.strip()
        layouts[change.screen]["sections"].append(new)
    elif op == "add":
        if any(name in s["fields"] for s in sections):
            raise LayoutEditError(
                N_("Field '%(field)s' is already on the %(screen)s layout."),
                field=name,
                screen=change.screen,
            )
        _section_at(sections, change.section)["fields"].append(name)
    elif op in ("up", "down"):
        i, at = _where(sections, name)
        own = sections[i]["fields"]
        if op == "up" and at == 0 and i > 0:  # over the edge: to the previous section's end
            sections[i - 1]["fields"].append(own.pop(at))
        elif op == "down" and at == len(own) - 1 and i < len(sections) - 1:
            sections[i + 1]["fields"].insert(0, own.pop(at))
        else:
            _step(own, at, -1 if op == "up" else 1)
    else:  # remove, to_section, place
        i, at = _where(sections, name)
        target = _section_at(sections, change.section) if op != "remove" else None
        sections[i]["fields"].pop(at)
        if target is not None:
            index = change.index if op == "place" and change.index >= 0 else len(target["fields"])
            target["fields"].insert(min(index, len(target["fields"])), name)
    _drop_empty(layouts, change.screen)


def _flat_change(layouts: dict[str, Any], change: LayoutChange) -> None:
    names = _flat(layouts, change.screen)
    op, name = change.op, change.field
    if op == "add":
        if name in names:
            raise LayoutEditError(
                N_("Field '%(field)s' is already on the %(screen)s layout."),
                field=name,
                screen=change.screen,
            )
        names.append(name)
        return
    if name not in names:
        raise LayoutEditError(N_("Field '%(field)s' is not on this layout."), field=name)
    at = names.index(name)
    if op in ("up", "down"):
        _step(names, at, -1 if op == "up" else 1)
    elif op == "remove":
        if len(names) == 1 and change.screen == "list":
            raise LayoutEditError(N_("The list needs at least one column."))
        names.pop(at)
    elif op == "place":
        names.pop(at)
        names.insert(min(max(change.index, 0), len(names)), name)
    else:
        raise LayoutEditError(N_("The %(screen)s layout has no sections."), screen=change.screen)


def _related(layouts: dict[str, Any], change: LayoutChange) -> None:
    spec = layouts.get("detail")
    related = spec.get("related") if isinstance(spec, dict) else None
    if not isinstance(related, list) or not 0 <= change.section < len(related):
        raise LayoutEditError(N_("There is no related list %(n)s."), n=change.section + 1)
    _step(related, change.section, -1 if change.op == "related_up" else 1)


def apply_change(layouts: dict[str, Any], change: LayoutChange) -> dict[str, Any]:
    """``layouts`` (not changed) with ``change`` made.

    Raises:
        LayoutEditError: an unknown screen or operation, a field not on the layout or
            already on it, a section that does not exist, a new section without a name.
    """
    if change.screen not in SCREENS:
        raise LayoutEditError(N_("There is no '%(screen)s' layout."), screen=change.screen)
    if change.op not in OPERATIONS:
        raise LayoutEditError(N_("'%(op)s' is not a layout change."), op=change.op)
    changed = copy.deepcopy(layouts)
    if change.op.startswith("related_"):
        _related(changed, change)
    elif change.screen in SECTIONED:
        _sectioned(changed, change)
    elif change.op.startswith("section") or change.op in (
        "to_section",
        "add_section",
        "edit_section",
    ):
        raise LayoutEditError(N_("The %(screen)s layout has no sections."), screen=change.screen)
    else:
        _flat_change(changed, change)
    return changed


def set_layouts(text: str, layouts: dict[str, Any]) -> str:
    """``text`` with its top-level ``layouts:`` holding ``layouts``.

    Only the nodes that change are rewritten (:func:`patch_yaml`): comments inside
    ``layouts:`` and everything else stay as written. Screens keep the file's order;
    a screen the file did not declare goes after them.
    """
    data = parse_entity(text)
    current = data.get("layouts")
    order = [k for k in current if k in layouts] if isinstance(current, dict) else []
    ordered = {**{k: layouts[k] for k in order}, **layouts}
    return patch_yaml(text, {**data, "layouts": ordered})


__all__ = [
    "FLAT",
    "OPERATIONS",
    "SCREENS",
    "SECTIONED",
    "LayoutChange",
    "LayoutEditError",
    "apply_change",
    "set_layouts",
]
