"""The audit log: append-only rows in the system database, readable per tenant.

Append-only through the application: :class:`AuditLog` is the only code that touches
the ``audit_log`` table, and it exposes ``record`` (INSERT) and ``entries`` (SELECT)
and nothing else; no code path builds an UPDATE or DELETE on it (a test checks the
sources for that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

Connect = Callable[..., sa.Connection]

#: The client address of the request being served (set by the web app), for audit rows.
client_ip: ContextVar[str | None] = ContextVar("trellis_client_ip", default=None)

#: Actor of changes made from the command line.
CLI_ACTOR = "cli"


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row as the API returns it."""

    id: int
    at: datetime
    actor: str
    actor_user_id: int | None
    action: str
    target: str | None
    detail: Mapping[str, Any] | None
    ip: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "actor_user_id": self.actor_user_id,
            "action": self.action,
            "target": self.target,
            "detail": dict(self.detail) if self.detail is not None else None,
            "ip": self.ip,
        }


class AuditLog:
    """Insert and select audit rows; there is deliberately no update or delete."""

    def __init__(
        self, table: sa.Table, connect: Connect, *, now: Callable[[], datetime] | None = None
    ) -> None:
        self._table = table
        self._connect = connect
        self._now = now or (lambda: datetime.now(UTC))

    def record(
        self,
        tenant_id: int,
        action: str,
        *,
        actor: str | None = None,
        actor_user_id: int | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
        ip: str | None = None,
        conn: sa.Connection | None = None,
    ) -> None:
        """Append one row (in ``conn``'s transaction when given, else in its own)."""
        values = {
            "tenant_id": tenant_id,
            "at": self._now(),
            "actor_user_id": actor_user_id,
            "actor": (actor or CLI_ACTOR)[:254],
            "action": action,
            "target": target[:300] if target else None,
            "detail": dict(detail) if detail is not None else None,
            "ip": (ip if ip is not None else client_ip.get()),
        }
        if conn is not None:
            conn.execute(self._table.insert().values(**values))
            return
        with self._connect(write=True) as own, own.begin():
            own.execute(self._table.insert().values(**values))

    def backup_query(self, tenant_id: int) -> sa.Select[Any]:
        """Every row of ``tenant_id`` oldest first, for a backup to read in its snapshot."""
        a = self._table
        return sa.select(a).where(a.c.tenant_id == tenant_id).order_by(a.c.id)

    def restore(self, tenant_id: int, rows: list[Mapping[str, Any]], conn: sa.Connection) -> None:
        """Append rows of a backup to ``tenant_id`` as they were (new ids, same times)."""
        keep = ("at", "actor_user_id", "actor", "action", "target", "detail", "ip")
        values = [{"tenant_id": tenant_id, **{k: row.get(k) for k in keep}} for row in rows]
        if values:
            conn.execute(self._table.insert(), values)

    def entries(
        self,
        tenant_id: int,
        *,
        action: str | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        """Rows of ``tenant_id``, newest first, older than ``before_id`` when given."""
        a = self._table
        query = sa.select(a).where(a.c.tenant_id == tenant_id)
        if action:
            query = query.where(a.c.action == action)
        if before_id is not None:
            query = query.where(a.c.id < before_id)
        query = query.order_by(a.c.id.desc()).limit(limit)
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [
            AuditEntry(
                int(r.id),
                _aware(r.at),
                r.actor,
                int(r.actor_user_id) if r.actor_user_id is not None else None,
                r.action,
                r.target,
                r.detail,
                r.ip,
            )
            for r in rows
        ]


__all__ = ["CLI_ACTOR", "AuditEntry", "AuditLog", "client_ip"]
