"""Casbin policy rows in the system database: a small adapter on SQLAlchemy Core.

The rows live in ``casbin_rule`` (``ptype``, ``v0`` .. ``v5``, the layout Casbin's
adapters share): ``p, <role>, <tenant>, <entity>, <action>`` and
``g, user:<id>, <role>, <tenant>``. On PostgreSQL the table sits in the system schema (a
``schema_translate_map`` on the engine); on SQLite in the system file. Each replacement
of a tenant's ``p`` rows, or of one user's ``g`` rows, is one transaction under a
per-tenant lock, so two processes never interleave their delete and insert.

Until stop 28 the rows went through ``sqlalchemy-adapter``, which maps them with the
SQLAlchemy ORM. Enforcers here never auto-save and only ever load one tenant's rows, so
the three adapter methods Casbin calls (``is_filtered``, ``load_policy``,
``load_filtered_policy``) are all that is needed; written on Core they keep the ORM
(about 8 MiB of every serving process's memory) out of the process.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from casbin import persist

from trellis.platform.db.engines import WRITE_OPTION, EngineRegistry

#: The table's name.
TABLE = "casbin_rule"
Rule = Sequence[str]
#: Value columns, in order.
VALUES = ("v0", "v1", "v2", "v3", "v4", "v5")

#: Metadata of its own: creating it creates ``casbin_rule`` and nothing else.
_POLICY_METADATA = sa.MetaData()
RULES = sa.Table(
    TABLE,
    _POLICY_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ptype", sa.String(255), nullable=False),
    *(sa.Column(name, sa.String(255)) for name in VALUES),
    sa.Index("ix_casbin_rule_ptype_v1", "ptype", "v1"),
    sa.Index("ix_casbin_rule_ptype_v2", "ptype", "v2"),
)


@dataclass(frozen=True)
class TenantFilter:
    """A tenant's rows: ``p`` rows whose domain (v1) and ``g`` rows whose domain (v2) is it."""

    tenant: str


def rule_line(row: Sequence[Any]) -> str:
    """A stored row as Casbin's policy text: ``ptype, v0, v1, ...`` without trailing nulls."""
    return ", ".join(str(value) for value in row if value is not None)


def _row(ptype: str, rule: Rule) -> dict[str, str | None]:
    values = list(rule) + [None] * (len(VALUES) - len(rule))
    return {"ptype": ptype, **dict(zip(VALUES, values, strict=True))}


class PolicyStore(persist.Adapter):  # type: ignore[misc]
    """The policy table of one system database: load a tenant, replace its rows."""

    def __init__(self, engines: EngineRegistry) -> None:
        options: dict[str, Any] = {}
        if engines.system_schema is not None:
            options["schema_translate_map"] = {None: engines.system_schema}
        self._reader = engines.system.execution_options(**options)
        # SQLite: writers BEGIN IMMEDIATE, so the delete + insert waits for its turn.
        self._writer = engines.system.execution_options(**options, **{WRITE_OPTION: True})
        # Installations sharing one PostgreSQL database lock apart (own system schema).
        self._lock_scope = engines.system_schema or ""
        self.ensure_table()

    def ensure_table(self) -> None:
        """Create ``casbin_rule`` when missing (safe when processes start together)."""
        with self._writer.begin() as conn:
            _lock(conn, f"trellis-casbin:{self._lock_scope}:{TABLE}")
            _POLICY_METADATA.create_all(conn)

    def load(self, enforcer: Any, tenant: str) -> None:
        """Replace ``enforcer``'s rows with ``tenant``'s stored ``p`` and ``g`` rows."""
        enforcer.load_filtered_policy(TenantFilter(tenant))

    # The adapter interface Casbin calls (auto-save stays off: writes are ours).
    def is_filtered(self) -> bool:
        """Always filtered: an enforcer holds one tenant, never the whole table."""
        return True

    def load_policy(self, model: Any) -> None:
        """Every stored row into ``model`` (tools and tests; enforcers load a tenant)."""
        self._load_into(model, sa.true())

    def load_filtered_policy(self, model: Any, rules_filter: TenantFilter) -> None:
        """The filter's tenant's rows into ``model``, in the order they were stored."""
        c, tenant = RULES.c, rules_filter.tenant
        mine = sa.or_(
            sa.and_(c.ptype == "p", c.v1 == tenant), sa.and_(c.ptype == "g", c.v2 == tenant)
        )
        self._load_into(model, mine)

    def _load_into(self, model: Any, where: Any) -> None:
        c = RULES.c
        query = sa.select(c.ptype, *(c[name] for name in VALUES)).where(where).order_by(c.id)
        with self._reader.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            persist.load_policy_line(rule_line(row), model)

    def replace_policies(self, tenant: str, rules: Sequence[Rule]) -> None:
        """Make ``tenant``'s stored ``p`` rows equal ``rules`` (one transaction)."""
        c = RULES.c
        with self._replacing(tenant) as conn:
            conn.execute(RULES.delete().where(c.ptype == "p", c.v1 == tenant))
            if rules:
                conn.execute(RULES.insert(), [_row("p", rule) for rule in rules])

    def replace_user(self, tenant: str, subject: str, roles: Sequence[str]) -> None:
        """Make the stored ``g`` rows of ``subject`` in ``tenant`` equal ``roles``."""
        c = RULES.c
        with self._replacing(tenant) as conn:
            conn.execute(RULES.delete().where(c.ptype == "g", c.v0 == subject, c.v2 == tenant))
            if roles:
                conn.execute(RULES.insert(), [_row("g", [subject, r, tenant]) for r in roles])

    @contextmanager
    def _replacing(self, tenant: str) -> Iterator[sa.Connection]:
        with self._writer.begin() as conn:
            _lock(conn, f"trellis-casbin:{self._lock_scope}:{tenant}")
            yield conn


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
    c = RULES.c
    for user_id, roles in users.items():
        subject = f"user:{user_id}"
        conn.execute(RULES.delete().where(c.ptype == "g", c.v0 == subject, c.v2 == tenant))
        rows = [_row("g", [subject, r, tenant]) for r in sorted(set(roles))]
        if rows:
            conn.execute(RULES.insert(), rows)


def _lock(conn: sa.Connection, key: str) -> None:
    """Serialise writers of ``key`` (SQLite: BEGIN IMMEDIATE already holds the lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


__all__ = ["RULES", "TABLE", "PolicyStore", "TenantFilter", "rule_line", "write_user_roles"]
