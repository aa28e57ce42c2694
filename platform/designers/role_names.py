"""Rename or delete a role from the roles designer, members included, in one publish.

A rename rewrites the role's key in ``roles.yaml`` (its definition and comments stay)
and the files that name it (workflows' ``roles`` and ``approval.role``, ``app.yaml``'s
``chat.notify``, demo data teams, assignment rules), and gives every member and
pending invitation holding the old name the new one: the membership rows, their
Casbin rows and the new version commit in one transaction (the ``with_version`` step
of :func:`~trellis.platform.publish.publish`). A delete is refused while anyone holds
the role, checked again under the publish's lock. The built-in ``admin`` role is
neither renamed nor deleted. Both are published at once, like every save of the roles
designer, and answer 409 when the roles changed since ``expected``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.policy_store import write_user_roles
from trellis.platform.designers.field_yaml import parse_entity
from trellis.platform.designers.roles_service import (
    RoleNotFoundError,
    RoleSaveError,
    roles_state,
)
from trellis.platform.designers.roles_yaml import remove_role, rename_role_key
from trellis.platform.designers.yaml_patch import patch_yaml
from trellis.platform.i18n.catalogue import N_
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.runtime import Runtime
from trellis.platform.services.roles import replace_roles
from trellis.tenants.registry import MetadataVersion
from trellis.tenants.registry.role_members import move_role, role_holders

BUILTIN = "admin"
#: Role names, as ``roles.schema.json`` has them.
ROLE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")


class RoleNameError(ValueError):
    """A rename or delete that cannot be made (the message says why; nothing changed)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.message = Translatable(msgid, **params)
        super().__init__(str(self.message))


class RoleInUseError(RoleNameError):
    """A delete refused: members or pending invitations still hold the role."""

    def __init__(self, role: str, holders: list[str]) -> None:
        super().__init__(
            N_(
                "Role %(role)s cannot be deleted: %(holders)s still hold it. Take it away "
                "from them, or revoke their invitations, first."
            ),
            role=role,
            holders=", ".join(holders),
        )
        self.holders = holders


def check_new_name(runtime: Runtime, tenant: str, old: str, new: str) -> None:
    """Refuse ``new`` as the new name of ``old``.

    Raises:
        RoleNameError: ``old`` is admin; ``new`` is empty, not a role name, ``old`` itself
            or taken.
        RoleNotFoundError: ``old`` is not declared.
    """
    if old == BUILTIN:
        raise RoleNameError(N_("The built-in role admin cannot be renamed."))
    roles = roles_state(runtime, tenant).roles
    if old not in roles:
        raise RoleNotFoundError(old)
    if not new:
        raise RoleNameError(N_("Give the role a name."))
    if not ROLE_NAME.fullmatch(new):
        raise RoleNameError(
            N_(
                "'%(name)s' is not a role name: use lowercase letters, digits, _ and -, "
                "starting with a letter (at most 40)."
            ),
            name=new,
        )
    if new == old:
        raise RoleNameError(N_("The role is already called %(name)s."), name=new)
    if new == BUILTIN or new in roles:
        raise RoleNameError(N_("A role named %(name)s already exists."), name=new)


def _renamed(names: Any, old: str, new: str) -> Any:
    if not isinstance(names, list) or old not in names:
        return names
    return list(dict.fromkeys(new if n == old else n for n in names))


def _app_file(data: dict[str, Any], old: str, new: str) -> None:
    chat = data.get("chat")
    if isinstance(chat, dict) and "notify" in chat:
        chat["notify"] = _renamed(chat["notify"], old, new)


def _demo_spec(data: dict[str, Any], old: str, new: str) -> None:
    users = data.get("users")
    for team in (users.get("teams") or []) if isinstance(users, dict) else []:
        for key in ("roles", "lead_roles"):
            if isinstance(team, dict) and key in team:
                team[key] = _renamed(team[key], old, new)


def _rules_text(text: str, old: str, new: str) -> str:
    """Assignment actions naming role ``old`` (``round_robin("old")``, ``load_balanced``)."""
    pattern = re.compile(r'\b(round_robin|load_balanced)(\(\s*)"' + re.escape(old) + r'"')
    return pattern.sub(lambda m: f'{m.group(1)}{m.group(2)}"{new}"', text)


def role_references(files: Mapping[str, str], old: str, new: str) -> dict[str, str]:
    """The files naming role ``old``, renamed: workflows (``roles``, ``approval.role``),
    ``app.yaml`` (``chat.notify``), demo data specs (teams' ``roles`` and ``lead_roles``)
    and rules (``round_robin("old")``, ``load_balanced("old")``)."""
    changed: dict[str, str] = {}
    for path, text in files.items():
        if path.startswith("rules/") and path.endswith(".rules"):
            if _rules_text(text, old, new) != text:
                changed[path] = _rules_text(text, old, new)
            continue
        workflow = path.startswith("workflows/") and path.endswith(".yaml")
        spec = path.startswith("data/") and path.endswith("spec.yaml")
        if not (workflow or spec or path == "app.yaml"):
            continue
        data = parse_entity(text)
        wanted = copy.deepcopy(data)
        if spec:
            _demo_spec(wanted, old, new)
        elif not workflow:
            _app_file(wanted, old, new)
        transitions = (wanted.get("transitions") or []) if workflow else []
        for item in transitions:
            if not isinstance(item, dict):
                continue
            if "roles" in item:
                item["roles"] = _renamed(item["roles"], old, new)
            approval = item.get("approval")
            if isinstance(approval, dict) and approval.get("role") == old:
                approval["role"] = new
        if wanted != data:
            changed[path] = patch_yaml(text, wanted)
    return changed


def _publish(
    runtime: Runtime, tenant: str, source: str, expected: int, actor: str, **extra: Any
) -> dict[str, Any]:
    try:
        return replace_roles(runtime, tenant, source, expected, actor, **extra)
    except ValidationFailedError as exc:
        raise RoleSaveError({}, [str(e) for e in exc.errors.get("source", [])]) from None


def rename_role(
    runtime: Runtime, tenant: str, old: str, new: str, expected: int, actor: str
) -> dict[str, Any]:
    """Publish role ``old`` as ``new`` and move its members and invitations to it.

    Raises:
        RoleNameError: see :func:`check_new_name`.
        RoleNotFoundError: ``old`` is not declared.
        RoleSaveError: the renamed package is refused (errors with their positions).
        ConflictError: the roles changed since ``expected`` (409).
    """
    new = new.strip()
    check_new_name(runtime, tenant, old, new)
    info = runtime.tenant(tenant, fresh=True)
    scope = runtime.engines.system_schema or ""
    moved: dict[int, list[str]] = {}

    def members(conn: sa.Connection) -> None:
        moved.update(move_role(runtime.registry, conn, info.id, old, new, actor=actor))
        write_user_roles(conn, scope, tenant, moved)
        detail = {"from": old, "to": new, "members": len(moved)}
        runtime.registry.audit.record(
            info.id, "roles.rename", actor=actor, target=f"role:{new}", detail=detail, conn=conn
        )

    def references(base: MetadataVersion) -> dict[str, str]:
        return role_references(base.files, old, new)

    source = rename_role_key(roles_state(runtime, tenant).source, old, new)
    answer = _publish(
        runtime, tenant, source, expected, actor, also=references, with_version=members
    )
    runtime.registry.changed(tenant, "roles")
    return {**answer, "members": len(moved)}


def delete_role(
    runtime: Runtime, tenant: str, role: str, expected: int, actor: str
) -> dict[str, Any]:
    """Publish the roles without ``role``, refused while anyone holds it.

    Raises:
        RoleNameError: ``role`` is admin.
        RoleInUseError: members or pending invitations hold it (checked under the lock).
        RoleNotFoundError: ``role`` is not declared.
        RoleSaveError: the package without it is refused (e.g. a workflow names it).
        ConflictError: the roles changed since ``expected`` (409).
    """
    if role == BUILTIN:
        raise RoleNameError(N_("The built-in role admin cannot be deleted."))
    state = roles_state(runtime, tenant)
    if role not in state.roles:
        raise RoleNotFoundError(role)
    info = runtime.tenant(tenant, fresh=True)
    registry = runtime.registry

    def unheld(conn: sa.Connection) -> None:
        holders = role_holders(registry, conn, info.id, role).emails()
        if holders:
            raise RoleInUseError(role, holders)
        registry.audit.record(
            info.id, "roles.delete", actor=actor, target=f"role:{role}", conn=conn
        )

    with registry.connect() as conn:
        holders = role_holders(registry, conn, info.id, role).emails()
    if holders:
        raise RoleInUseError(role, holders)
    source = remove_role(state.source, role)
    return _publish(runtime, tenant, source, expected, actor, with_version=unheld)


__all__ = [
    "BUILTIN",
    "RoleInUseError",
    "RoleNameError",
    "check_new_name",
    "delete_role",
    "rename_role",
    "role_references",
]
