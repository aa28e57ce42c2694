"""Casbin policy rows in the system database, read and written through ``sqlalchemy-adapter``.

The rows live in the adapter's own table ``casbin_rule`` (``ptype``, ``v0`` .. ``v5``):
``p, <role>, <tenant>, <entity>, <action>`` and ``g, user:<id>, <role>, <tenant>``. On
PostgreSQL the table sits in the system schema (a ``schema_translate_map`` on the
adapter's engine); on SQLite in the system file. Each replacement of a tenant's ``p``
rows, or of one user's ``g`` rows, is one transaction under a per-tenant lock, so two
processes never interleave their delete and insert.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import casbin
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy_adapter import Adapter
from sqlalchemy_adapter.adapter import Filter

from trellis.platform.db.engines import WRITE_OPTION, EngineRegistry

#: The adapter's table name.
TABLE = "casbin_rule"
Rule = Sequence[str]


class _PolicyBase(orm.DeclarativeBase):
    """Metadata of its own: creating it creates ``casbin_rule`` and nothing else."""


class CasbinRule(_PolicyBase):
    """One Casbin row, shaped like the adapter's default model (plus two indexes)."""

    __tablename__ = TABLE
    __table_args__ = (
        sa.Index("ix_casbin_rule_ptype_v1", "ptype", "v1"),
        sa.Index("ix_casbin_rule_ptype_v2", "ptype", "v2"),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    ptype: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    v0: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    v1: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    v2: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    v3: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    v4: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    v5: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))

    def values(self) -> list[str]:
        """The row's values without the trailing empty ones."""
        found = [self.v0, self.v1, self.v2, self.v3, self.v4, self.v5]
        return [v for v in found if v is not None]

    def __str__(self) -> str:
        # The adapter loads each row through this text (``persist.load_policy_line``).
        return ", ".join([self.ptype, *self.values()])


class TenantFilter(Filter):  # type: ignore[misc]
    """A tenant's rows: ``p`` rows whose domain (v1) and ``g`` rows whose domain (v2) is it.

    The adapter's plain :class:`Filter` ANDs its columns, so a tenant takes two loads
    (``p`` with v1, then ``g`` with v2); this filter reads both in one SELECT.
    """

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant


class PolicyStore(Adapter):  # type: ignore[misc]
    """The policy table of one system database: load a tenant, replace its rows."""

    def __init__(self, engines: EngineRegistry) -> None:
        options: dict[str, Any] = {}
        if engines.system_schema is not None:
            options["schema_translate_map"] = {None: engines.system_schema}
        super().__init__(
            engines.system.execution_options(**options),
            db_class=CasbinRule,
            filtered=True,
            create_table=False,
        )
        # SQLite: writers BEGIN IMMEDIATE, so the delete + insert waits for its turn.
        self._writer = engines.system.execution_options(**options, **{WRITE_OPTION: True})
        self._write_session = orm.sessionmaker(bind=self._writer)
        # Installations sharing one PostgreSQL database lock apart (own system schema).
        self._lock_scope = engines.system_schema or ""
        self.ensure_table()

    def ensure_table(self) -> None:
        """Create ``casbin_rule`` when missing (safe when processes start together)."""
        with self._writer.begin() as conn:
            _lock(conn, f"trellis-casbin:{self._lock_scope}:{TABLE}")
            _PolicyBase.metadata.create_all(conn)

    def load(self, enforcer: casbin.Enforcer, tenant: str) -> None:
        """Replace ``enforcer``'s rows with ``tenant``'s stored ``p`` and ``g`` rows."""
        enforcer.load_filtered_policy(TenantFilter(tenant))

    def filter_query(self, querydb: Any, rules_filter: Any) -> Any:
        """The adapter's query narrowed by a filter (also by a :class:`TenantFilter`)."""
        if not isinstance(rules_filter, TenantFilter):
            return super().filter_query(querydb, rules_filter)
        c, tenant = CasbinRule, rules_filter.tenant
        mine = sa.or_(
            sa.and_(c.ptype == "p", c.v1 == tenant), sa.and_(c.ptype == "g", c.v2 == tenant)
        )
        return querydb.filter(mine).order_by(c.id)

    def replace_policies(self, tenant: str, rules: Sequence[Rule]) -> None:
        """Make ``tenant``'s stored ``p`` rows equal ``rules`` (one transaction)."""
        with self._replacing(tenant) as session:
            stale = session.query(CasbinRule).filter(
                CasbinRule.ptype == "p", CasbinRule.v1 == tenant
            )
            stale.delete()
            for rule in rules:
                self._save_policy_line("p", list(rule), session=session)

    def replace_user(self, tenant: str, subject: str, roles: Sequence[str]) -> None:
        """Make the stored ``g`` rows of ``subject`` in ``tenant`` equal ``roles``."""
        with self._replacing(tenant) as session:
            session.query(CasbinRule).filter(
                CasbinRule.ptype == "g", CasbinRule.v0 == subject, CasbinRule.v2 == tenant
            ).delete()
            for role in roles:
                self._save_policy_line("g", [subject, role, tenant], session=session)

    @contextmanager
    def _replacing(self, tenant: str) -> Iterator[orm.Session]:
        with self._write_session() as session, session.begin():
            _lock(session.connection(), f"trellis-casbin:{self._lock_scope}:{tenant}")
            yield session


def write_user_roles(
    conn: sa.Connection, scope: str, tenant: str, users: dict[int, list[str]]
) -> None:
    """Replace the ``g`` rows of each user id of ``users`` in ``conn``'s transaction.

    ``scope`` is the system schema (``""`` on SQLite), as :class:`PolicyStore` locks it;
    this is :meth:`PolicyStore.replace_user` for callers that must commit the rows with
    other registry changes (a role renamed with its members).
    """
    if not users:
        return
    _lock(conn, f"trellis-casbin:{scope}:{tenant}")
    c = CasbinRule
    for user_id, roles in users.items():
        subject = f"user:{user_id}"
        conn.execute(sa.delete(c).where(c.ptype == "g", c.v0 == subject, c.v2 == tenant))
        rows = [{"ptype": "g", "v0": subject, "v1": r, "v2": tenant} for r in sorted(set(roles))]
        if rows:
            conn.execute(sa.insert(c), rows)


def _lock(conn: sa.Connection, key: str) -> None:
    """Serialise writers of ``key`` (SQLite: BEGIN IMMEDIATE already holds the lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


__all__ = ["TABLE", "CasbinRule", "PolicyStore", "TenantFilter", "write_user_roles"]
