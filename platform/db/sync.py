"""Additive schema sync: diff the built tables against the database and apply safe steps.

Alembic's autogenerate produces the operations; the platform applies only additive
ones (create table, add column, create index or unique) and lists everything else
(drops, type changes) in the plan without running it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops

from trellis.platform.db.rich_text_backfill import added_plain_columns, backfill
from trellis.platform.db.tables import TRIGRAM_PREFIX, only_on
from trellis.platform.i18n import Translator

#: Alembic's warning for an expression index it cannot compare on SQLite (a trigram one).
_SKIPPED_EXPRESSION_INDEX = (
    rf"autogenerate skipping metadata-specified expression-based index '{TRIGRAM_PREFIX}"
)
#: Search index tables (platform/search) start with this; sync leaves them alone.
SEARCH_INDEX_PREFIX = "_fts_"
ADDITIVE = (ops.CreateTableOp, ops.AddColumnOp, ops.CreateIndexOp, ops.AddConstraintOp)


class SchemaSyncError(Exception):
    """The plan cannot be applied; nothing was changed."""


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One line of a schema plan."""

    action: str
    table: str
    detail: str
    applies: bool

    def __str__(self) -> str:
        return self.render()

    def render(self, t: Translator | None = None) -> str:
        """The line, its note in ``t``'s language (English without one); the step itself
        (``create table …``) is database wording and stays as it is."""
        mark = "+" if self.applies else "!"
        verb = ""
        if not self.applies:
            verb = "  " + (t or Translator()).gettext(
                "(not applied: destructive or narrowing; do it by hand)"
            )
        return (
            f"{mark} {self.action} {self.table}{(' ' + self.detail) if self.detail else ''}{verb}"
        )


@dataclass(slots=True)
class SchemaPlan:
    """What a sync would do: additive steps to apply, and skipped ones to report."""

    steps: list[PlanStep] = field(default_factory=list)
    operations: list[Any] = field(default_factory=list)

    @property
    def additive(self) -> list[PlanStep]:
        """Steps that will be applied."""
        return [s for s in self.steps if s.applies]

    @property
    def skipped(self) -> list[PlanStep]:
        """Steps that are reported but never run."""
        return [s for s in self.steps if not s.applies]

    def render(self, t: Translator | None = None) -> str:
        """The plan as text, one step per line (notes in ``t``'s language, else English)."""
        if not self.steps:
            return (t or Translator()).gettext("No schema changes.")
        return "\n".join(s.render(t) for s in self.steps)


def _column_name(column: Any) -> str:
    return str(getattr(column, "name", column))


def _describe(op: Any) -> PlanStep:
    applies = isinstance(op, ADDITIVE)
    if isinstance(op, ops.CreateTableOp):
        cols = ", ".join(c.name for c in op.columns if isinstance(c, sa.Column))
        return PlanStep("create table", op.table_name, f"({cols})", applies)
    if isinstance(op, ops.AddColumnOp):
        return PlanStep("add column", op.table_name, f"{op.column.name} {op.column.type}", applies)
    if isinstance(op, ops.CreateIndexOp):
        kind = "create unique index" if op.unique else "create index"
        return PlanStep(
            kind,
            op.table_name,
            f"{op.index_name} ({', '.join(map(_column_name, op.columns))})",
            applies,
        )
    if isinstance(op, ops.AddConstraintOp):
        return PlanStep("add constraint", op.to_constraint().table.name, "", applies)
    if isinstance(op, ops.DropColumnOp):
        return PlanStep("drop column", op.table_name, op.column_name, applies)
    if isinstance(op, ops.DropTableOp):
        return PlanStep("drop table", op.table_name, "", applies)
    if isinstance(op, ops.DropIndexOp):
        return PlanStep("drop index", op.table_name or "", op.index_name, applies)
    if isinstance(op, ops.AlterColumnOp):
        detail = op.column_name
        if op.modify_type is not None:
            detail += f" type {op.existing_type} -> {op.modify_type}"
        if op.modify_nullable is not None:
            detail += f" nullable -> {op.modify_nullable}"
        return PlanStep("alter column", op.table_name, detail, applies)
    return PlanStep(type(op).__name__, getattr(op, "table_name", "") or "", "", applies)


def _flatten(upgrade_ops: ops.UpgradeOps) -> list[Any]:
    flat: list[Any] = []
    for elem in upgrade_ops.ops:
        if isinstance(elem, ops.ModifyTableOps):
            flat.extend(elem.ops)
        else:
            flat.append(elem)
    return flat


def _migration_context(conn: sa.Connection, schema: str | None) -> MigrationContext:
    dialect = conn.dialect.name
    opts: dict[str, Any] = {
        "compare_type": True,
        # An item made for one dialect only (a trigram index) is not planned elsewhere.
        # The search index tables (FTS5 and its shadow tables) are not the package's.
        "include_object": lambda item, name, type_, *_: (
            only_on(item) in (None, dialect)
            and not (type_ == "table" and str(name).startswith(SEARCH_INDEX_PREFIX))
        ),
    }
    if schema is not None:
        opts["include_schemas"] = True
        opts["include_name"] = lambda name, type_, parents: (
            name == schema if type_ == "schema" else True
        )
    return MigrationContext.configure(conn, opts=opts)


def _is_benign_type_change(op: Any) -> bool:
    """SQLite reflects some types loosely (BIGINT vs INTEGER, JSON); ignore those."""
    if not isinstance(op, ops.AlterColumnOp) or op.modify_type is None:
        return False
    if op.modify_nullable is not None:
        return False
    old, new = op.existing_type, op.modify_type
    pairs = {(type(old).__name__, type(new).__name__)}
    loose = {
        ("INTEGER", "BigInteger"),
        ("BIGINT", "Integer"),
        ("INTEGER", "Integer"),
        ("BIGINT", "BigInteger"),
        ("JSON", "JSON"),
        ("NUMERIC", "Numeric"),
    }
    return bool(pairs & loose) and str(old).split("(")[0] != "VARCHAR"


def plan_sync(conn: sa.Connection, metadata: sa.MetaData, schema: str | None) -> SchemaPlan:
    """Compare ``metadata`` with the database and return the plan; changes nothing."""
    context = _migration_context(conn, schema)
    plan = SchemaPlan()
    with warnings.catch_warnings():
        # Alembic cannot reflect expression indexes on SQLite and says so before
        # ``include_object`` drops them: the trigram indexes exist on PostgreSQL only.
        warnings.filterwarnings("ignore", _SKIPPED_EXPRESSION_INDEX, UserWarning)
        upgrade = produce_migrations(context, metadata).upgrade_ops
    for op in _flatten(upgrade) if upgrade is not None else []:
        if _is_benign_type_change(op):
            continue
        plan.steps.append(_describe(op))
        plan.operations.append(op)
    return plan


def _check_unique_over_duplicates(
    conn: sa.Connection, plan: SchemaPlan, metadata: sa.MetaData
) -> None:
    problems: list[str] = []
    for op in plan.operations:
        if not (isinstance(op, ops.CreateIndexOp) and op.unique):
            continue
        table = metadata.tables.get(f"{op.schema}.{op.table_name}" if op.schema else op.table_name)
        inspector = sa.inspect(conn)
        if table is None or not inspector.has_table(op.table_name, schema=op.schema):
            continue
        existing = {c["name"] for c in inspector.get_columns(op.table_name, schema=op.schema)}
        names = [_column_name(c) for c in op.columns]
        if not set(names) <= existing:
            continue  # a new column holds no values yet, so no duplicates
        cols = [table.c[name] for name in names]
        dupes = conn.execute(
            sa.select(*cols, sa.func.count().label("n"))
            .where(table.c.deleted_at.is_(None), *(c.is_not(None) for c in cols))
            .group_by(*cols)
            .having(sa.func.count() > 1)
            .limit(10)
        ).all()
        for row in dupes:
            values = ", ".join(f"{c.name}={row[i]!r}" for i, c in enumerate(cols))
            problems.append(f"{op.table_name}: {row[-1]} live records share {values}")
    if problems:
        raise SchemaSyncError(
            "Cannot add a unique constraint over existing duplicates; nothing was changed:\n  "
            + "\n  ".join(problems)
        )


def _needs_trigrams(op: Any) -> bool:
    return isinstance(op, ops.CreateIndexOp) and "gin_trgm_ops" in str(
        op.kw.get("postgresql_ops", {})
    )


def apply_plan(conn: sa.Connection, plan: SchemaPlan, metadata: sa.MetaData) -> None:
    """Apply the additive steps of ``plan`` inside the caller's transaction.

    Raises:
        SchemaSyncError: a unique index would cover duplicate live rows.
    """
    _check_unique_over_duplicates(conn, plan, metadata)
    operations = Operations(MigrationContext.configure(conn))
    sqlite = conn.dialect.name == "sqlite"
    if any(_needs_trigrams(op) for op in plan.operations):
        # A trusted extension: a database owner without superuser rights may create it.
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    for op in plan.operations:
        if not isinstance(op, ADDITIVE):
            continue
        if sqlite and isinstance(op, ops.AddConstraintOp):
            constraint = op.to_constraint()
            with operations.batch_alter_table(constraint.table.name, recreate="auto") as batch:
                batch.invoke(op)
        else:
            operations.invoke(op)
    for schema, table, name in added_plain_columns(plan.operations):
        backfill(conn, metadata, schema, table, name)


def ensure_schema(conn: sa.Connection, schema: str | None) -> None:
    """Create ``schema`` when it does not exist (PostgreSQL)."""
    if schema is not None:
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))


__all__ = [
    "SEARCH_INDEX_PREFIX",
    "PlanStep",
    "SchemaPlan",
    "SchemaSyncError",
    "apply_plan",
    "ensure_schema",
    "plan_sync",
]
