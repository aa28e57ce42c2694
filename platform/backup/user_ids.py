"""User ids across installations: ``members/users.jsonl`` and the remap on restore.

A user id is the installation's own: the same person has another id elsewhere. A
backup lists the ``user_id`` and ``email`` of each member (``members/users.jsonl``,
format 3); a restore maps each archived id to the id of the account with that e-mail
in the target installation (found or created by the members' restore) and rewrites
every user reference on the way in: the records' ``owner_id``, ``created_by``,
``updated_by`` and ``user`` fields, those values inside the history's change sets, the
user columns of internal tables (stage history, approvals, notifications …) and the
audit's ``actor_user_id``.

An id the archive does not list (someone who has left the tenant) cannot be mapped: it
becomes empty, and a row that cannot be without it (a notification) is left out. When
every archived id maps to itself (a restore on the installation that wrote the
backup), ids are kept as they are, unlisted ones included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel, FieldType
from trellis.platform.backup.manifest import BackupError
from trellis.platform.db.tables import CHANGES_TABLE
from trellis.tenants.registry.service import TenantRegistry

#: Columns of internal tables and standard record columns that hold a user id.
USER_COLUMNS = frozenset(
    {"user_id", "actor_id", "owner_id", "created_by", "updated_by", "requested_by", "decided_by"}
)
_STANDARD = ("owner_id", "created_by", "updated_by")


def users_query(registry: TenantRegistry, tenant_id: int) -> sa.Select[Any]:
    """``user_id`` and ``email`` of every member of the tenant, by id."""
    m, u = registry.memberships, registry.users
    return (
        sa.select(u.c.id.label("user_id"), u.c.email)
        .join(m, m.c.user_id == u.c.id)
        .where(m.c.tenant_id == tenant_id)
        .order_by(u.c.id)
    )


def user_rows(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[dict[str, Any]]:
    """The archive rows of :func:`users_query`."""
    for row in conn.execute(query):
        yield {"user_id": int(row.user_id), "email": str(row.email)}


def check_users(rows: Iterable[Any], emails: Iterable[str]) -> dict[int, str]:
    """Archived id -> member e-mail; refuses malformed rows and e-mails not of a member."""
    members = {e.strip().lower() for e in emails}
    found: dict[int, str] = {}
    for row in rows:
        if not isinstance(row, dict) or set(row) != {"user_id", "email"}:
            raise BackupError("A row of the users file is not {user_id, email}.")
        ident, email = row["user_id"], row["email"]
        if isinstance(ident, bool) or not isinstance(ident, int) or ident in found:
            raise BackupError(f"The users file holds a bad or repeated user id: {ident!r}.")
        if not isinstance(email, str) or email.strip().lower() not in members:
            raise BackupError(f"The users file names {email!r}, who is not a member in it.")
        found[ident] = email.strip().lower()
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
    """The map from archived ids to the target's (``target_ids``: e-mail -> id); None
    when it changes nothing (the installation that wrote the backup)."""
    lowered = {e.strip().lower(): i for e, i in target_ids.items()}
    ids = {src: lowered[email] for src, email in archived.items() if email in lowered}
    if all(src == dst for src, dst in ids.items()):
        return None
    return UserMap(ids, keep_unknown=False)


Rewrite = Callable[[dict[str, Any]], dict[str, Any] | None]


def row_rewriter(model: AppModel, table: sa.Table, remap: UserMap) -> Rewrite:
    """A function rewriting one row of ``table`` (None: the row cannot be kept)."""
    users = {
        name: {*_STANDARD, *(f.name for f in e.fields.values() if f.type == FieldType.USER)}
        for name, e in model.entities.items()
    }
    own = users.get(table.name, set()) | (USER_COLUMNS if table.name.startswith("_") else set())
    columns = [c for c in table.columns if c.name in own]
    required = {c.name for c in columns if not c.nullable}
    is_history = table.name == CHANGES_TABLE

    def rewrite(row: dict[str, Any]) -> dict[str, Any] | None:
        for c in columns:
            if c.name in row:
                row[c.name] = remap(row[c.name])
                if row[c.name] is None and c.name in required:
                    return None
        if is_history and isinstance(row.get("changes"), dict):
            fields = users.get(str(row.get("entity")), set())
            row["changes"] = {
                k: [remap(v) for v in pair] if k in fields and isinstance(pair, list) else pair
                for k, pair in row["changes"].items()
            }
        return row

    return rewrite


def audit_rewriter(remap: UserMap) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function mapping an audit row's ``actor_user_id``."""

    def rewrite(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "actor_user_id": remap(row.get("actor_user_id"))}

    return rewrite


__all__ = [
    "USER_COLUMNS",
    "UserMap",
    "audit_rewriter",
    "check_users",
    "row_rewriter",
    "user_map",
    "user_rows",
    "users_query",
]
