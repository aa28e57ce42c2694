"""The tenant's members in a backup (``members/members.jsonl``) and their restore.

One row per membership: ``email``, ``display_name``, ``active`` (the account),
``deactivated_at`` (the membership, in this tenant), ``roles``, ``teams``, ``manager``
(the manager's e-mail), ``attributes`` and ``joined_at``. Never a password
hash, a TOTP secret, a recovery code or an API token: a restore on another installation
creates accounts without a usable password, and their owners set one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.backup.manifest import BackupError
from trellis.platform.backup.values import to_json
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import RegistryError
from trellis.tenants.registry.entries import inserted_id
from trellis.tenants.registry.members import check_attributes, check_teams
from trellis.tenants.registry.service import TenantRegistry

#: The columns of a member row, and nothing else (no secret can slip in).
FIELDS = (
    "active",
    "attributes",
    "deactivated_at",
    "display_name",
    "email",
    "joined_at",
    "manager",
    "roles",
    "teams",
)


@dataclass(frozen=True, slots=True)
class MembersResult:
    """Members restored, the e-mails of the accounts created without a password, the
    ``(email, role)`` pairs dropped because the archived app lacks the role, and the
    members those drops left without any role."""

    members: int
    new_accounts: tuple[str, ...]
    dropped_roles: tuple[tuple[str, str], ...] = ()
    roleless: tuple[str, ...] = ()
    #: (archived e-mail, the account's id in the target installation) per member.
    user_ids: tuple[tuple[str, int], ...] = ()


def members_query(registry: TenantRegistry, tenant_id: int) -> sa.Select[Any]:
    """Every membership of the tenant with its account's public columns, by e-mail."""
    m, u = registry.memberships, registry.users
    boss = u.alias("boss")
    return (
        sa.select(
            u.c.email,
            u.c.display_name,
            u.c.is_active,
            m.c.roles,
            m.c.teams,
            m.c.attributes,
            m.c.created_at,
            m.c.deactivated_at,
            boss.c.email.label("manager"),
        )
        .join(u, u.c.id == m.c.user_id)
        .outerjoin(boss, boss.c.id == m.c.manager_id)
        .where(m.c.tenant_id == tenant_id)
        .order_by(u.c.email)
    )


def member_rows(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[dict[str, Any]]:
    """The archive rows of ``query`` (see the module docstring)."""
    for row in conn.execute(query):
        yield {
            "email": row.email,
            "display_name": row.display_name,
            "active": bool(row.is_active),
            "roles": sorted(row.roles or ()),
            "teams": sorted(row.teams or ()),
            "manager": row.manager,
            "attributes": dict(row.attributes) if isinstance(row.attributes, dict) else {},
            "joined_at": to_json(row.created_at),
            "deactivated_at": to_json(row.deactivated_at),
        }


def check_members(
    rows: Sequence[dict[str, Any]], known_roles: Iterable[str]
) -> tuple[list[dict[str, Any]], tuple[tuple[str, str], ...]]:
    """Refuse malformed member rows; returns the rows without the roles the archived
    package lacks, and each dropped ``(email, role)`` pair.

    A registry lets a member keep a role that a later publish removed: such a role is
    dropped from that member (who keeps the others, or is left with none), not refused.
    """
    known = set(known_roles)
    emails: set[str] = set()
    kept: list[dict[str, Any]] = []
    dropped: list[tuple[str, str]] = []
    for row in rows:
        if set(row) != set(FIELDS):
            raise BackupError(f"A row of the members file has other keys than {list(FIELDS)}.")
        email = row["email"]
        if not isinstance(email, str) or "@" not in email or email in emails:
            raise BackupError(f"The members file holds a bad or repeated e-mail: {email!r}.")
        emails.add(email)
        roles = row["roles"]
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise BackupError(f"The roles of member '{email}' are not a list of names.")
        try:
            _time(row["deactivated_at"])
            _time(row["joined_at"])
            check_teams(list(row["teams"] or []))
            check_attributes(dict(row["attributes"] or {}))
        except (RegistryError, TypeError, ValueError) as exc:
            raise BackupError(f"Member '{email}': {exc}") from None
        dropped.extend((email, role) for role in sorted(set(roles) - known))
        kept.append({**row, "roles": sorted(set(roles) & known)})
    for row in rows:
        if row["manager"] is not None and row["manager"] not in emails:
            raise BackupError(f"The manager of '{row['email']}' is not a member in the archive.")
    return kept, tuple(dropped)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(str(value))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def restore_members(
    runtime: Runtime, target: str, rows: Sequence[dict[str, Any]], actor: str | None,
    dropped: tuple[tuple[str, str], ...] = (),
) -> MembersResult:  # fmt: skip
    """Make the archived members members of ``target`` (the rows and ``dropped`` roles
    returned by :func:`check_members`).

    An account with the same e-mail is reused as it is (password, active flag, name);
    a missing one is created without a password. Each membership gets the archived
    roles, teams, attributes, manager and deactivation; members of ``target`` not in the
    archive stay.
    """
    from trellis.platform.authz.enforcers import store_roles

    registry = runtime.registry
    info = runtime.tenant(target, fresh=True)
    u, m = registry.users, registry.memberships
    now = registry.now()
    created: list[str] = []
    ids: dict[str, int] = {}
    with registry.connect(write=True) as conn, conn.begin():
        registry.lock_tenant(conn, info.id)
        for row in rows:
            email = str(row["email"]).strip().lower()
            found = conn.execute(sa.select(u.c.id).where(u.c.email == email)).scalar()
            if found is None:
                values = {
                    "email": email,
                    "display_name": row["display_name"] or email.split("@")[0],
                    "password_hash": None,
                    "is_active": bool(row["active"]),
                    "created_at": now,
                }
                found = inserted_id(conn.execute(u.insert().values(**values)))
                created.append(email)
            ids[str(row["email"])] = int(found)
        for row in rows:
            user_id = ids[str(row["email"])]
            boss = ids.get(str(row["manager"])) if row["manager"] is not None else None
            values = {
                "roles": sorted(set(row["roles"])),
                "teams": check_teams(list(row["teams"] or [])),
                "attributes": dict(row["attributes"] or {}),
                "manager_id": boss,
                "deactivated_at": _time(row["deactivated_at"]),
            }
            where = (m.c.tenant_id == info.id, m.c.user_id == user_id)
            if conn.execute(sa.select(m.c.id).where(*where)).first() is None:
                joined = _time(row["joined_at"]) or now
                conn.execute(
                    m.insert().values(
                        tenant_id=info.id, user_id=user_id, created_at=joined, **values
                    )
                )
            else:
                conn.execute(m.update().where(*where).values(**values))
        detail = {
            "members": len(rows),
            "new_accounts": created,
            "dropped_roles": [list(pair) for pair in dropped],
        }
        registry.audit.record(info.id, "members.restore", actor=actor, detail=detail, conn=conn)
    for row in rows:
        store_roles(runtime.policies, target, ids[str(row["email"])], sorted(set(row["roles"])))
    registry.changed(target, "members")
    lost = {email for email, _ in dropped}
    roleless = tuple(str(r["email"]) for r in rows if r["email"] in lost and not r["roles"])
    return MembersResult(len(rows), tuple(created), dropped, roleless, tuple(ids.items()))


__all__ = [
    "FIELDS",
    "MembersResult",
    "check_members",
    "member_rows",
    "members_query",
    "restore_members",
]
