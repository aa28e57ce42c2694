"""The roles designer's domain: the matrix of one role, its save and its preview.

A save rewrites only the entries of ``roles.yaml`` the admin changed
(:mod:`trellis.platform.designers.roles_yaml`) and goes through
:func:`trellis.platform.services.roles.replace_roles`, the path of ``PUT _roles``: the
same checks as ``trellis publish``, 409 on a stale version, in effect at once. The
preview compiles the role's access exactly as a member holding only that role gets it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trellis.metadata.model import ACTIONS, SCOPES, AppModel
from trellis.platform.authz.role_sets import role_sets
from trellis.platform.designers.roles_yaml import (
    add_role,
    entry_lines,
    parse_roles,
    set_entity_access,
    set_role_text,
)
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.runtime import Runtime
from trellis.platform.services.roles import current_roles, replace_roles

#: Field access levels offered per field: editable (nothing written), read-only, hidden.
FIELD_LEVELS = ("", "read_only", "hidden")
_PLACE = re.compile(r"roles\.yaml:(\d+):\d+:")


class RoleNotFoundError(LookupError):
    """The role is not in the published ``roles.yaml``."""


class RoleExistsError(ValueError):
    """A new role's name is taken (``admin`` is built in)."""


@dataclass(frozen=True, slots=True)
class RolesState:
    """The published roles: file text, version, each role's definition, the model."""

    version: int
    source: str
    roles: dict[str, dict[str, Any]]
    model: AppModel


def roles_state(runtime: Runtime, tenant: str) -> RolesState:
    """The tenant's published roles (``GET _roles``) with the model they apply to."""
    shown = current_roles(runtime, tenant)
    source = str(shown["source"])
    return RolesState(int(shown["version"]), source, parse_roles(source), runtime.app(tenant).model)


def _actions(spec: Mapping[str, Any]) -> list[str]:
    listed = spec.get("actions")
    return [a for a in ACTIONS if isinstance(listed, list) and a in listed]


def _fields(spec: Mapping[str, Any]) -> dict[str, str]:
    fields = spec.get("fields")
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}


def role_rows(state: RolesState, role: str) -> list[dict[str, Any]]:
    """One row per entity of the model: what ``role`` may do with it.

    Raises:
        RoleNotFoundError: ``role`` is not declared.
    """
    if role not in state.roles:
        raise RoleNotFoundError(role)
    listed = state.roles[role].get("entities")
    specs = listed if isinstance(listed, dict) else {}
    rows = []
    for name, entity in state.model.entities.items():
        spec = specs.get(name)
        spec = spec if isinstance(spec, dict) else None
        where = spec.get("where") if spec else None
        rows.append(
            {
                "name": name,
                "label": entity.label,
                "listed": spec is not None,
                "actions": _actions(spec or {}),
                "scope": str((spec or {}).get("scope") or "all"),
                "where": where if isinstance(where, str) else "",
                "fields": _fields(spec or {}),
                "entity_fields": [(f, d.label) for f, d in entity.fields.items()],
            }
        )
    return rows


def overview(state: RolesState) -> list[dict[str, Any]]:
    """Per entity, each role's cell: its actions and scope (None: no access)."""
    rows = []
    for name, entity in state.model.entities.items():
        cells = []
        for role, spec in state.roles.items():
            listed = spec.get("entities")
            item = listed.get(name) if isinstance(listed, dict) else None
            cells.append(
                {
                    "role": role,
                    "actions": _actions(item) if isinstance(item, dict) else None,
                    "scope": str(item.get("scope") or "all") if isinstance(item, dict) else "",
                    "where": bool(isinstance(item, dict) and item.get("where")),
                    "fields": len(_fields(item)) if isinstance(item, dict) else 0,
                }
            )
        rows.append({"name": name, "label": entity.label, "cells": cells})
    return rows


def _entry(old: dict[str, Any] | None, entity: str, form: Mapping[str, str]) -> Any:
    """The entry the form asks for (None: no action, so not listed)."""
    actions = [a for a in ACTIONS if form.get(f"a:{entity}:{a}") == "on"]
    if not actions:
        return None
    spec = dict(old or {})
    if set(_actions(spec)) != set(actions) or not isinstance(spec.get("actions"), list):
        spec["actions"] = actions
    scope = form.get(f"s:{entity}", "all")
    if scope != "all" or "scope" in spec:
        spec["scope"] = scope
    where = form.get(f"w:{entity}", "").strip()
    if where:
        spec["where"] = where
    else:
        spec.pop("where", None)
    prefix = f"f:{entity}:"
    if any(k.startswith(prefix) for k in form):
        levels = {k[len(prefix) :]: v for k, v in form.items() if k.startswith(prefix) and v}
        if levels:
            spec["fields"] = levels
        else:
            spec.pop("fields", None)
    return spec


def apply_role_form(state: RolesState, role: str, form: Mapping[str, str]) -> str:
    """``roles.yaml`` with ``role``'s label, description and entries as the form sets them.

    Only what changed is rewritten; the rest keeps its text.
    """
    text = state.source
    written = state.roles.get(role, {})
    for key in ("label", "description"):
        if key in form:
            value = form[key].replace("\r\n", "\n").strip() or None
            old = written.get(key)
            if value != (old.strip() if isinstance(old, str) else None):
                text = set_role_text(text, role, key, value)
    listed = state.roles.get(role, {}).get("entities")
    specs = listed if isinstance(listed, dict) else {}
    for entity in state.model.entities:
        old = specs.get(entity)
        old = old if isinstance(old, dict) else None
        new = _entry(old, entity, form)
        if new != old:
            text = set_entity_access(text, role, entity, new)
    return text


def place_errors(
    errors: list[str], source: str, role: str
) -> tuple[dict[str, list[str]], list[str]]:
    """Errors on one of ``role``'s entries (by entity), and the others."""
    lines = {e: span for (r, e), span in entry_lines(source).items() if r == role}
    placed: dict[str, list[str]] = {}
    general: list[str] = []
    for text in errors:
        found = _PLACE.match(text)
        line = int(found.group(1)) if found else 0
        entity = next((e for e, (a, b) in lines.items() if a <= line <= b), None)
        if entity is None:
            general.append(text)
        else:
            placed.setdefault(entity, []).append(text)
    return placed, general


class RoleSaveError(Exception):
    """A refused save: errors per entity row and the others (nothing applied)."""

    def __init__(self, by_entity: dict[str, list[str]], general: list[str]) -> None:
        super().__init__("; ".join([*general, *(e for v in by_entity.values() for e in v)]))
        self.by_entity = by_entity
        self.general = general


def save_role(
    runtime: Runtime,
    tenant: str,
    role: str,
    form: Mapping[str, str],
    expected: int,
    actor: str,
) -> dict[str, Any]:
    """Publish ``role``'s matrix through ``PUT _roles`` (``replace_roles``).

    Raises:
        RoleNotFoundError: ``role`` is not declared.
        RoleSaveError: the new file is refused (errors placed on the matrix rows).
        ConflictError: the roles changed since ``expected`` (409).
    """
    state = roles_state(runtime, tenant)
    if role not in state.roles:
        raise RoleNotFoundError(role)
    source = apply_role_form(state, role, form)
    if source == state.source:
        return {"version": state.version, "source": source, "unchanged": True}
    try:
        return replace_roles(runtime, tenant, source, expected, actor)
    except ValidationFailedError as exc:
        by_entity, general = place_errors(exc.errors.get("source", []), source, role)
        raise RoleSaveError(by_entity, general) from None


def create_role(
    runtime: Runtime, tenant: str, name: str, label: str, expected: int, actor: str
) -> dict[str, Any]:
    """Publish a new role with no access yet (the checks of ``PUT _roles``).

    Raises:
        RoleExistsError: the name is taken.
        RoleSaveError: the checks refuse the new file.
        ConflictError: the roles changed since ``expected`` (409).
    """
    state = roles_state(runtime, tenant)
    if name in state.roles or name == "admin":
        raise RoleExistsError(name)
    source = add_role(state.source, name, label or name)
    try:
        return replace_roles(runtime, tenant, source, expected, actor)
    except ValidationFailedError as exc:
        raise RoleSaveError({}, list(exc.errors.get("source", []))) from None


def preview(runtime: Runtime, tenant: str, role: str) -> list[dict[str, Any]]:
    """What a member holding only ``role`` gets, entity by entity (compiled by authz).

    Raises:
        RoleNotFoundError: ``role`` is not declared.
    """
    rt = runtime.app_runtime(tenant)
    model = rt.app.model
    definition = model.roles.get(role)
    if definition is None:
        raise RoleNotFoundError(role)
    compiled = role_sets(rt).get((role,), {})
    shown = []
    for name, access in compiled.entities.items():
        grant = definition.entities.get(name)
        if grant is None or not grant.actions:
            continue
        entity = model.entities[name]
        fields = [(f, d.label) for f, d in entity.fields.items()]
        ro = access.read_only
        shown.append(
            {
                "name": name,
                "label": entity.label,
                "actions": list(grant.actions),
                "scope": grant.scope,
                "where": grant.where or "",
                "readable": access.readable,
                "visible": [(f, t, f in ro) for f, t in fields if f not in access.hidden],
                "hidden": [f for f in fields if f[0] in access.hidden - access.restricted],
                "restricted": [f for f in fields if f[0] in access.restricted],
            }
        )
    return shown


__all__ = [
    "FIELD_LEVELS",
    "SCOPES",
    "RoleExistsError",
    "RoleNotFoundError",
    "RoleSaveError",
    "RolesState",
    "apply_role_form",
    "create_role",
    "overview",
    "place_errors",
    "preview",
    "role_rows",
    "roles_state",
    "save_role",
]
