"""User ids across installations: ``members/users.jsonl`` and the remap on restore.

A user id is the installation's own: the same person has another id elsewhere. A
backup lists ``user_id``, ``email``, ``member`` and ``display_name`` of each member and
of each former member the tenant's rows still refer to (an owner who has left, the
author of old changes …: ``member`` false), ``members/users.jsonl``. A restore maps each
archived id to the id of the account with that e-mail in the target installation (the
members' found or created by the members' restore, the former members' found or created
without a membership, platform/backup/former_users.py) and rewrites every user
reference on the way in (platform/backup/user_refs.py says where they sit) and the
audit's ``actor_user_id``.

A user the tenant refers to is listed as a former member only with evidence that they
took part in the tenant: they acted in it (authored a record, a change, an audit row),
or the audit names them as a member. A bare reference to some other account of the
installation (an id typed into a user field) is not enough, so a backup never reveals
e-mails of people who had nothing to do with the tenant.

An id the archive does not list cannot be mapped: it becomes empty, and a row that
cannot be without it (a notification) is left out. When every archived id maps to
itself (a restore on the installation that wrote the backup), ids are kept as they
are, unlisted ones included. Format 3 archives list members only, as ``{user_id,
email}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel
from trellis.platform.backup.manifest import BackupError
from trellis.platform.backup.user_refs import Rewrite, UserRefs, row_mapper
from trellis.tenants.registry.service import TenantRegistry

#: The keys of a users row (format 4), and of a format 3 one (members only).
ROW_KEYS = frozenset({"user_id", "email", "member", "display_name"})
_OLD_KEYS = frozenset({"user_id", "email"})
#: Ids looked up per query.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ArchivedUser:
    """One line of the users file."""

    email: str
    member: bool
    display_name: str | None


def users_query(registry: TenantRegistry, tenant_id: int) -> sa.Select[Any]:
    """``user_id``, ``email`` and ``display_name`` of every member of the tenant, by id."""
    m, u = registry.memberships, registry.users
    return (
        sa.select(u.c.id.label("user_id"), u.c.email, u.c.display_name)
        .join(m, m.c.user_id == u.c.id)
        .where(m.c.tenant_id == tenant_id)
        .order_by(u.c.id)
    )


def user_rows(
    conn: sa.Connection, query: sa.Select[Any], users: sa.Table, refs: UserRefs | None = None
) -> Iterator[dict[str, Any]]:
    """The archive rows: the members of ``query``, then (with ``refs``, filled by the
    rows written before) the former members the rows refer to; by id."""
    out: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query):
        out[int(row.user_id)] = _row(row.user_id, row.email, row.display_name, member=True)
    refs = refs or UserRefs()
    wanted = sorted(refs.referenced - set(out))
    for at in range(0, len(wanted), _CHUNK):
        chunk = wanted[at : at + _CHUNK]
        found = sa.select(users.c.id, users.c.email, users.c.display_name).where(
            users.c.id.in_(chunk)
        )
        for row in conn.execute(found):
            email = str(row.email).strip().lower()
            if int(row.id) in refs.acted or email in refs.member_emails:
                out[int(row.id)] = _row(row.id, row.email, row.display_name, member=False)
    for ident in sorted(out):
        yield out[ident]


def _row(ident: Any, email: Any, name: Any, *, member: bool) -> dict[str, Any]:
    shown = str(name) if name else None
    return {"user_id": int(ident), "email": str(email), "member": member, "display_name": shown}


def check_users(rows: Iterable[Any], emails: Iterable[str]) -> dict[int, ArchivedUser]:
    """Archived id -> its user; refuses malformed rows, repeated ids or e-mails, a
    member line whose e-mail is not in the members file and a former member's that is."""
    members = {e.strip().lower() for e in emails}
    found: dict[int, ArchivedUser] = {}
    seen: set[str] = set()
    for row in rows:
        if not isinstance(row, dict) or set(row) not in (ROW_KEYS, _OLD_KEYS):
            raise BackupError(
                "A row of the users file is not {user_id, email, member, display_name}."
            )
        ident, email = row["user_id"], row["email"]
        member, name = row.get("member", True), row.get("display_name")
        if isinstance(ident, bool) or not isinstance(ident, int) or ident in found:
            raise BackupError(f"The users file holds a bad or repeated user id: {ident!r}.")
        if not isinstance(email, str) or "@" not in email or email.strip().lower() in seen:
            raise BackupError(f"The users file holds a bad or repeated e-mail: {email!r}.")
        if not isinstance(member, bool) or not (name is None or isinstance(name, str)):
            raise BackupError(f"The users file's line of {email!r} has a bad member or name.")
        lowered = email.strip().lower()
        if member and lowered not in members:
            raise BackupError(f"The users file names {email!r}, who is not a member in it.")
        if not member and lowered in members:
            raise BackupError(
                f"The users file marks {email!r} as a former member, but the members file "
                "holds them."
            )
        seen.add(lowered)
        found[ident] = ArchivedUser(lowered, member, name)
    return found


@dataclass(frozen=True, slots=True)
class UserMap:
    """Archived user id -> the target installation's id (None: unknown, emptied)."""

    ids: Mapping[int, int]
    keep_unknown: bool

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            return value
        if value in self.ids:
            return self.ids[value]
        return value if self.keep_unknown else None


def user_map(archived: Mapping[int, str], target_ids: Mapping[str, int]) -> UserMap | None:
    """The map from archived ids (id -> e-mail) to the target's (``target_ids``: e-mail
    -> id); None when it changes nothing (the installation that wrote the backup)."""
    lowered = {e.strip().lower(): i for e, i in target_ids.items()}
    ids = {src: lowered[email] for src, email in archived.items() if email in lowered}
    if all(src == dst for src, dst in ids.items()):
        return None
    return UserMap(ids, keep_unknown=False)


def row_rewriter(model: AppModel, table: sa.Table, remap: UserMap) -> Rewrite:
    """A function rewriting one row of ``table`` (None: the row cannot be kept)."""
    return row_mapper(model, table, remap)


def audit_rewriter(remap: UserMap) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function mapping an audit row's ``actor_user_id``."""

    def rewrite(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "actor_user_id": remap(row.get("actor_user_id"))}

    return rewrite


__all__ = [
    "ROW_KEYS",
    "ArchivedUser",
    "UserMap",
    "audit_rewriter",
    "check_users",
    "row_rewriter",
    "user_map",
    "user_rows",
    "users_query",
]
