"""In-app notifications: the data behind ``/t/{t}/notifications`` and its JSON API.

Rows live in the tenant's ``_notifications`` table, one per recipient. They come from
the rule ``notify`` and ``escalate`` actions, assignments (a record's owner changed to
someone other than the person saving), comment mentions (:func:`notify_mention`),
SLA breaches, activity reminders and new live chats. ``kind`` tells them apart (empty on old rows:
``rule``).

The functions taking a ``Runtime`` open their own connection and transaction; the
screens call them. :func:`add_notification` writes inside a caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.db.tables import NOTIFICATIONS_TABLE
from trellis.platform.records.values import as_utc

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime

KINDS = ("rule", "assignment", "mention", "escalation", "sla", "reminder", "chat")
#: Longest notification text kept.
MAX_TEXT = 2000
MAX_LIMIT = 500


class NotificationError(ValueError):
    """A notification request is not valid (the message says why)."""


def add_notification(
    conn: sa.Connection,
    metadata: sa.MetaData,
    *,
    user_id: int,
    text: str,
    kind: str,
    at: datetime,
    entity: str | None = None,
    record_id: int | None = None,
    rule: str | None = None,
    actor_id: int | None = None,
) -> int:
    """Insert one notification for ``user_id`` in the caller's transaction; its id."""
    if kind not in KINDS:
        raise NotificationError(f"Notification kind '{kind}' is unknown: use {', '.join(KINDS)}.")
    table = metadata.tables[NOTIFICATIONS_TABLE]
    result = conn.execute(
        table.insert().values(
            user_id=user_id,
            text=text[:MAX_TEXT],
            kind=kind,
            entity=entity,
            record_id=record_id,
            rule=rule,
            actor_id=actor_id,
            at=at,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key is not None else 0


def _iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat().replace("+00:00", "Z")


def notification_json(row: Any) -> dict[str, Any]:
    """The JSON form of a notification row."""
    return {
        "id": int(row["id"]),
        "kind": row["kind"] or "rule",
        "text": row["text"],
        "entity": row["entity"],
        "record_id": row["record_id"],
        "rule": row["rule"],
        "actor_id": row["actor_id"],
        "at": _iso(row["at"]),
        "read": row["read_at"] is not None,
        "read_at": _iso(row["read_at"]),
    }


def _table(runtime: Runtime, tenant: str) -> sa.Table:
    return runtime.app(tenant).metadata.tables[NOTIFICATIONS_TABLE]


def list_for_user(
    runtime: Runtime,
    tenant: str,
    user_id: int,
    *,
    unread: bool = False,
    limit: int = 50,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
    """The user's notifications, newest first (``before_id`` pages further back)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise NotificationError(f"Limit {limit} is not valid: use 1 to {MAX_LIMIT}.")
    t = _table(runtime, tenant)
    query = sa.select(t).where(t.c.user_id == user_id).order_by(t.c.id.desc()).limit(limit)
    if unread:
        query = query.where(t.c.read_at.is_(None))
    if before_id is not None:
        query = query.where(t.c.id < before_id)
    with runtime.engines.tenant_connection(tenant) as conn:
        return [notification_json(r._mapping) for r in conn.execute(query)]


def unread_count(runtime: Runtime, tenant: str, user_id: int) -> int:
    """How many notifications of the user are unread."""
    t = _table(runtime, tenant)
    query = sa.select(sa.func.count()).where(t.c.user_id == user_id, t.c.read_at.is_(None))
    with runtime.engines.tenant_connection(tenant) as conn:
        return int(conn.execute(query).scalar() or 0)


def mark_read(runtime: Runtime, tenant: str, user_id: int, notification_id: int) -> bool:
    """Mark one of the user's notifications read; False when it is not theirs or absent.

    Marking an already read notification again keeps its first ``read_at``.
    """
    t = _table(runtime, tenant)
    mine = sa.and_(t.c.id == notification_id, t.c.user_id == user_id)
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        if conn.execute(sa.select(t.c.id).where(mine)).first() is None:
            return False
        conn.execute(
            t.update().where(mine, t.c.read_at.is_(None)).values(read_at=runtime.clock.now())
        )
    return True


def mark_all_read(runtime: Runtime, tenant: str, user_id: int) -> int:
    """Mark every unread notification of the user read; how many were."""
    t = _table(runtime, tenant)
    unread = sa.and_(t.c.user_id == user_id, t.c.read_at.is_(None))
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        return int(
            conn.execute(t.update().where(unread).values(read_at=runtime.clock.now())).rowcount
        )


def _is_member(runtime: Runtime, tenant: str, user_id: int) -> bool:
    registry = runtime.registry
    m, t = registry.memberships, registry.tenants
    query = (
        sa.select(m.c.id)
        .join(t, t.c.id == m.c.tenant_id)
        .where(t.c.name == tenant, m.c.user_id == user_id, m.c.deactivated_at.is_(None))
    )
    with registry.connect() as conn:
        return conn.execute(query).first() is not None


def notify_mention(
    runtime: Runtime,
    tenant: str,
    from_user: int,
    to_user: int,
    entity: str,
    record_id: int,
    text: str,
) -> int | None:
    """Tell ``to_user`` that ``from_user`` mentioned them in a comment on a record.

    Returns the notification id, or None when a user mentions themselves.

    Raises:
        NotificationError: ``to_user`` is not a member of the tenant, the entity is
            unknown or the record does not exist.
    """
    app = runtime.app(tenant)
    compiled = app.entities.get(entity)
    if compiled is None:
        raise NotificationError(f"Entity '{entity}' is unknown.")
    if not _is_member(runtime, tenant, to_user):
        raise NotificationError(f"User {to_user} is not a member of tenant '{tenant}'.")
    if from_user == to_user:
        return None
    table = compiled.table
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        live = sa.and_(table.c.id == record_id, table.c.deleted_at.is_(None))
        if conn.execute(sa.select(table.c.id).where(live)).first() is None:
            raise NotificationError(f"No {entity} with id {record_id}.")
        return add_notification(
            conn,
            app.metadata,
            user_id=to_user,
            text=text,
            kind="mention",
            at=runtime.clock.now(),
            entity=entity,
            record_id=record_id,
            actor_id=from_user,
        )


__all__ = [
    "KINDS",
    "NotificationError",
    "add_notification",
    "list_for_user",
    "mark_all_read",
    "mark_read",
    "notification_json",
    "notify_mention",
    "unread_count",
]
