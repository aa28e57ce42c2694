"""Shared helpers for the rule expression tests: a small CRM model and real databases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from textwrap import dedent
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from trellis.metadata.model import FIELD_TYPES, AppModel, EntityDef, FieldDef
from trellis.rules.expr import (
    CompiledExpression,
    EvalContext,
    compile_expression,
    install_sqlite_functions,
)

PG_URL_ENV = "TRELLIS_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
USER_ID = 7


def write_package(root: Path, files: Mapping[str, str]) -> Path:
    """Write a package of ``relative path -> text`` (dedented) under ``root``; ``root``."""
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(text).lstrip(), encoding="utf-8")
    return root


def _field(name: str, type_: str, **kw: Any) -> FieldDef:
    return FieldDef(name=name, type=type_, label=name.replace("_", " ").title(), **kw)


def build_model() -> AppModel:
    """Two entities: ``deal`` (every value type) and ``account`` (a reference target)."""
    account = EntityDef(
        "account",
        "Account",
        "Accounts",
        {
            "name": _field("name", "string"),
            "industry": _field("industry", "string"),
            "parent": _field("parent", "reference", to="account"),
            "labels": _field("labels", "tags"),
        },
    )
    deal = EntityDef(
        "deal",
        "Deal",
        "Deals",
        {
            "name": _field("name", "string"),
            "notes": _field("notes", "text"),
            "amount": _field("amount", "integer"),
            "qty": _field("qty", "integer"),
            "price": _field("price", "decimal", scale=2),
            "fee": _field("fee", "money"),
            "active": _field("active", "boolean"),
            "close_date": _field("close_date", "date"),
            "seen_at": _field("seen_at", "datetime"),
            "stage": _field("stage", "enum", options=("new", "proposal", "negotiation", "won")),
            "tags": _field("tags", "tags"),
            "account": _field("account", "reference", to="account"),
            "payload": _field("payload", "json"),
            "email": _field("email", "email"),
        },
    )
    return AppModel("crm", "1.0.0", "CRM", {"account": account, "deal": deal})


MODEL = build_model()
DEAL = MODEL.entity("deal")
ACCOUNT = MODEL.entity("account")


def compile_deal(source: str, **kw: Any) -> CompiledExpression:
    """Compile ``source`` for the ``deal`` entity."""
    return compile_expression(source, DEAL, MODEL, **kw)


def make_ctx(accounts: Mapping[int, Mapping[str, Any]] | None = None) -> EvalContext:
    """An evaluation context at :data:`NOW` for :data:`USER_ID` resolving ``accounts``."""
    known = dict(accounts or {})

    def resolve(entity: str, record_id: int) -> Mapping[str, Any] | None:
        return known.get(record_id) if entity == "account" else None

    return EvalContext(now=NOW, user_id=USER_ID, resolve=resolve)


def build_tables(meta: sa.MetaData) -> dict[str, sa.Table]:
    """Tables for the model: ``id`` plus each field's column type (deal also gets owner_id)."""
    tables: dict[str, sa.Table] = {}
    for entity in MODEL.entities.values():
        columns = [sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False)]
        if entity.name == "deal":
            columns.append(sa.Column("owner_id", sa.BigInteger()))
        columns += [
            sa.Column(f.name, FIELD_TYPES[f.type].sql_type(f)) for f in entity.fields.values()
        ]
        tables[entity.name] = sa.Table(entity.name, meta, *columns)
    return tables


@dataclass
class Db:
    """A real database with the model's tables."""

    name: str
    engine: sa.Engine
    tables: dict[str, sa.Table]

    def table(self, entity: str) -> sa.Table:
        """The table of ``entity`` (the ``tables`` callback of ``to_sql``)."""
        return self.tables[entity]

    def load(
        self,
        conn: sa.Connection,
        deals: Sequence[Mapping[str, Any]],
        accounts: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Replace all rows with ``deals`` and ``accounts``."""
        conn.execute(self.tables["deal"].delete())
        conn.execute(self.tables["account"].delete())
        if accounts:
            conn.execute(
                self.tables["account"].insert(), _complete(accounts, self.tables["account"])
            )
        if deals:
            conn.execute(self.tables["deal"].insert(), _complete(deals, self.tables["deal"]))

    def selected_ids(
        self, conn: sa.Connection, expr: CompiledExpression, ctx: EvalContext
    ) -> set[int]:
        """Ids of the deals matched by ``WHERE <expr>``."""
        deal = self.tables["deal"]
        query = sa.select(deal.c.id).where(expr.to_sql(self.table, ctx))
        return {row[0] for row in conn.execute(query)}

    def values(
        self,
        conn: sa.Connection,
        expr: CompiledExpression,
        ctx: EvalContext,
        *,
        as_value: bool = True,
    ) -> dict[int, Any]:
        """Each deal's id and the selected value of ``expr``."""
        deal = self.tables["deal"]
        query = sa.select(deal.c.id, expr.to_sql(self.table, ctx, as_value=as_value))
        return {row[0]: row[1] for row in conn.execute(query)}


def _complete(rows: Sequence[Mapping[str, Any]], table: sa.Table) -> list[dict[str, Any]]:
    # executemany needs the same keys in every row.
    return [{c.name: row.get(c.name) for c in table.columns} for row in rows]


def sqlite_database() -> Db:
    """A new in-memory SQLite database with the model's tables."""
    engine = sa.create_engine("sqlite://", poolclass=StaticPool)
    sa.event.listen(engine, "connect", lambda conn, _: install_sqlite_functions(conn))
    meta = sa.MetaData()
    tables = build_tables(meta)
    meta.create_all(engine)
    return Db("sqlite", engine, tables)
