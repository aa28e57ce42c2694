"""Create a dashboard in the draft, or change an existing one's label and description.

A new dashboard is ``dashboards/<name>.yaml``: its name (the loader's rule for metadata
names, MD006), a label in English and Spanish, an optional description and, since a
dashboard holds at least one tile, a first tile counting the records of an entity the
admin picks. Changing the label or description rewrites only those keys of the file
(:func:`patch_yaml`): the tiles and every comment stay as written. Both validate the
whole package with the change and save at the draft revision the admin read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from trellis.metadata.loader._entity_checks import NAME
from trellis.metadata.model.local_text import LocalText
from trellis.platform.designers.dashboard_service import DASHBOARD_FOLDER
from trellis.platform.designers.field_yaml import FastLoader, node_end
from trellis.platform.designers.rules_service import draft_model
from trellis.platform.designers.service import draft_state, refuse_new_errors
from trellis.platform.designers.yaml_keys import line_end
from trellis.platform.designers.yaml_patch import inline, patch_yaml
from trellis.platform.drafts.errors import DraftError, DraftFileNotFoundError
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.runtime import Runtime


class DashboardNameError(DraftError):
    """The name breaks the metadata-name rule (MD006)."""


class DashboardExistsError(DraftError):
    """The draft already has a dashboard of that name."""


@dataclass(frozen=True, slots=True)
class DashboardDetails:
    """A dashboard's label and description in English and Spanish, as typed."""

    label_en: str
    label_es: str = ""
    description_en: str = ""
    description_es: str = ""


def _local(en: str, es: str) -> str | dict[str, str] | None:
    """One text, or ``{en, es}`` when Spanish is given; None when both are empty."""
    if en and es:
        return {"en": en, "es": es}
    return en or ({"es": es} if es else None)


def details_of(text: str) -> DashboardDetails:
    """The label and description a dashboard file declares (the form's values)."""
    data = yaml.safe_load(text) if text.strip() else {}
    data = data if isinstance(data, dict) else {}

    def split(value: Any) -> tuple[str, str]:
        if isinstance(value, dict):
            return str(value.get("en") or ""), str(value.get("es") or "")
        return (str(value), "") if isinstance(value, str) else ("", "")

    label, description = split(data.get("label")), split(data.get("description"))
    return DashboardDetails(label[0], label[1], description[0], description[1])


def _first_tile(runtime: Runtime, tenant: str, entity: str) -> dict[str, Any]:
    """A count of ``entity``'s records, titled with the entity's label."""
    found = draft_model(runtime, tenant).entities.get(entity)
    label: Any = found.label if found is not None and found.label else entity
    if isinstance(label, LocalText):
        label = dict(label.by_locale)
    return {"kind": "kpi", "label": label, "entity": entity, "agg": "count"}


def dashboard_yaml(name: str, details: DashboardDetails, tile: dict[str, Any]) -> str:
    """The new dashboard file: name, label, description and its first tile."""
    lines = [f"dashboard: {name}"]
    for key, value in (
        ("label", _local(details.label_en, details.label_es)),
        ("description", _local(details.description_en, details.description_es)),
    ):
        if value is not None:
            lines.append(f"{key}: {inline(value)}")
    lines += ["tiles:", f"  - {inline(tile)}"]
    return "\n".join(lines) + "\n"


def check_dashboard_name(name: str) -> None:
    """Refuse a name the loader would refuse (MD006).

    Raises:
        DashboardNameError: the name breaks the rule.
    """
    if not NAME.fullmatch(name):
        raise DashboardNameError(f"'{name}' is not a valid dashboard name.")


def add_dashboard(
    runtime: Runtime,
    tenant: str,
    name: str,
    details: DashboardDetails,
    entity: str,
    *,
    expected: int,
    actor: str,
) -> int:
    """Write ``dashboards/<name>.yaml`` into the draft; returns the new draft revision.

    Raises:
        DashboardNameError: the name breaks the metadata-name rule.
        DashboardExistsError: the draft already has a dashboard of that name.
        InvalidDraftError: the package with the new file has errors it did not have.
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    check_dashboard_name(name)
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = f"{DASHBOARD_FOLDER}/{name}.yaml"
    if path in files:
        raise DashboardExistsError(f"The draft already has a dashboard '{name}'.")
    text = dashboard_yaml(name, details, _first_tile(runtime, tenant, entity))
    refuse_new_errors(runtime, files, {**files, path: text})
    return DraftStore(runtime.registry).save(state.info, path, text, expected, actor)


def with_details(text: str, details: DashboardDetails) -> str:
    """``text`` with the label and description changed, everything else as written."""
    data = yaml.safe_load(text) if text.strip() else {}
    data = dict(data) if isinstance(data, dict) else {}
    wanted = {
        "label": _local(details.label_en, details.label_es),
        "description": _local(details.description_en, details.description_es),
    }
    added = {k: v for k, v in wanted.items() if k not in data and v is not None}
    if added:
        text = _inserted(text, added)
        data = yaml.safe_load(text)
    new = {k: wanted.get(k, v) for k, v in data.items()}
    return patch_yaml(text, {k: v for k, v in new.items() if v is not None})


def _inserted(text: str, added: dict[str, Any]) -> str:
    """``text`` with ``added`` keys written after the name and label (before the tiles)."""
    root = yaml.compose(text, Loader=FastLoader)
    at = 0
    if isinstance(root, yaml.MappingNode) and not root.flow_style:
        for key, value in root.value:
            if key.value in ("dashboard", "label"):
                at = max(at, line_end(text, node_end(value)) + 1)
    lines = "".join(f"{k}: {inline(v)}\n" for k, v in added.items())
    if at > len(text):
        return text + "\n" + lines
    return text[:at] + lines + text[at:]


def save_details(
    runtime: Runtime,
    tenant: str,
    name: str,
    details: DashboardDetails,
    *,
    expected: int,
    actor: str,
) -> int:
    """Change dashboard ``name``'s label and description; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such dashboard in the draft.
        InvalidDraftError: the changed package has errors it did not have.
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = f"{DASHBOARD_FOLDER}/{name}.yaml"
    if not NAME.fullmatch(name) or path not in files:
        raise DraftFileNotFoundError(f"The draft has no dashboard '{name}'.")
    text = with_details(files[path], details)
    refuse_new_errors(runtime, files, {**files, path: text})
    return DraftStore(runtime.registry).save(state.info, path, text, expected, actor)


__all__ = [
    "DashboardDetails",
    "DashboardExistsError",
    "DashboardNameError",
    "add_dashboard",
    "check_dashboard_name",
    "dashboard_yaml",
    "details_of",
    "save_details",
    "with_details",
]
