"""SQLAlchemy Core tables built from the compiled metadata model."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel, EntityDef, FieldType
from trellis.metadata.model.links import LINK_PREFIX, link_table_name
from trellis.metadata.model.rich_text import plain_column
from trellis.platform.db.business_tables import (
    RATES_TABLE,
    SIGNED_LINKS_TABLE,
    build_business_tables,
)
from trellis.platform.db.columns import bigint_pk, id_column, record_columns, table_with_id
from trellis.platform.db.encrypted import (
    EncryptedChanges,
    FieldCipher,
    column_type,
    encrypted_fields,
)
from trellis.platform.db.link_tables import add_line_position, build_link_table
from trellis.platform.db.view_tables import (
    COMMENTS_TABLE,
    SAVED_VIEWS_TABLE,
    build_comment_table,
    build_view_tables,
)

# Short names kept for the table builders below.
_id_column = id_column
_table_with_id = table_with_id
_record_columns = record_columns

#: Names Alembic and the platform use for indexes and constraints.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: ``info`` key of a schema item that exists on one dialect only (``trigram_index``).
ONLY_ON = "trellis_only_on"
#: Name prefix of the trigram indexes (``indexed: trigram``).
TRIGRAM_PREFIX = "trgm_"
#: PostgreSQL's identifier limit (index names past it would be cut silently).
MAX_NAME = 63

CHANGES_TABLE = "_changes"
#: Longest ``_changes.source`` (how a write was asked for: api, form, rule, a system reason).
CHANGE_SOURCE_LENGTH = 64
SEQUENCES_TABLE = "_sequences"
IDEMPOTENCY_TABLE = "_idempotency"
STAGE_HISTORY_TABLE = "_stage_history"
APPROVALS_TABLE = "_approvals"
RULE_RUNS_TABLE = "_rule_runs"
TIMERS_TABLE = "_timers"
NOTIFICATIONS_TABLE = "_notifications"
OUTBOX_TABLE = "_outbox"
SETTINGS_TABLE = "_settings"
DELIVERIES_TABLE = "_deliveries"
SCHEDULES_TABLE = "_schedules"
CASCADES_TABLE = "_cascades"


def _standard_columns() -> list[sa.Column[Any]]:
    return [
        _id_column(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    ]


def build_table(
    entity: EntityDef, metadata: sa.MetaData, cipher: FieldCipher | None = None
) -> sa.Table:
    """Build the table of ``entity`` inside ``metadata``.

    Field columns are nullable in the database: ``required`` is enforced by the save
    pipeline, so a field added to a table that already holds rows never fails.
    Unique fields get partial unique indexes over live rows (``deleted_at`` null).
    """
    columns = _standard_columns()
    for f in entity.fields.values():
        if f.type == FieldType.MANY_TO_MANY:
            build_link_table(entity.name, f.name, metadata)
        columns.append(sa.Column(f.name, column_type(entity, f, cipher), nullable=True))
    for f in entity.fields.values():
        if f.type == FieldType.RICH_TEXT:
            columns.append(sa.Column(plain_column(f.name), sa.Text(), nullable=True))
    table = sa.Table(entity.name, metadata, *columns)
    live = table.c.deleted_at.is_(None)
    # Record scopes (own/team) filter live rows by owner: with deleted_at in the index,
    # the scoped page and its capped count are read from the index alone.
    sa.Index(None, table.c.owner_id, table.c.deleted_at)
    for f in entity.fields.values():
        column = table.c[f.name]
        if f.unique:
            sa.Index(None, column, unique=True, sqlite_where=live, postgresql_where=live)
        elif f.indexed or f.type in (FieldType.REFERENCE, FieldType.USER, FieldType.ANY_REFERENCE):
            sa.Index(None, column)
        if f.trigram:
            trigram_index(table, f.name)
    for index in entity.indexes:
        cols = [table.c[name] for name in index.fields]
        if index.unique:
            sa.Index(None, *cols, unique=True, sqlite_where=live, postgresql_where=live)
        else:
            sa.Index(None, *cols)
    return table


def trigram_index(table: sa.Table, name: str) -> sa.Index:
    """A pg_trgm GIN index on ``lower(table.name)``, as text matches read it.

    PostgreSQL only (``only_on``): SQLite's LIKE cannot use such an index.
    """
    index_name = f"{TRIGRAM_PREFIX}{table.name}_{name}"
    if len(index_name) > MAX_NAME:
        digest = hashlib.sha1(index_name.encode(), usedforsecurity=False).hexdigest()[:8]
        index_name = f"{index_name[: MAX_NAME - 9]}_{digest}"
    index = sa.Index(
        index_name,
        sa.func.lower(table.c[name]).label(name),
        postgresql_using="gin",
        postgresql_ops={name: "gin_trgm_ops"},
        info={ONLY_ON: "postgresql"},
    )
    return index.ddl_if(dialect="postgresql")


def only_on(item: object) -> str | None:
    """The one dialect a schema item exists on (``info[ONLY_ON]``), None for every dialect."""
    info = getattr(item, "info", None)
    return info.get(ONLY_ON) if isinstance(info, dict) else None


def build_internal_tables(metadata: sa.MetaData, changes_type: Any = None) -> None:
    """Add the platform's own per-tenant tables: changes, sequences, idempotency, flows.

    ``changes_type``: the type of ``_changes.changes`` (JSON unless encrypted fields'
    values are encrypted in it).
    """
    changes = _table_with_id(
        CHANGES_TABLE,
        metadata,
        *_record_columns(),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changes", changes_type or sa.JSON(), nullable=False),
        #: How the change was made: api, form, import, rule, rollup, restore, merge …
        sa.Column("source", sa.String(CHANGE_SOURCE_LENGTH), nullable=True),
    )
    sa.Index(None, changes.c.entity, changes.c.record_id)
    # Records deleted with another by ``on_delete: cascade``, so a restore brings them back.
    cascades = _table_with_id(
        CASCADES_TABLE,
        metadata,
        sa.Column("root_entity", sa.String(40), nullable=False),
        sa.Column("root_id", sa.BigInteger(), nullable=False),
        *_record_columns(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Index(None, cascades.c.root_entity, cascades.c.root_id)
    sa.Table(
        SEQUENCES_TABLE,
        metadata,
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    sa.Table(
        IDEMPOTENCY_TABLE,
        metadata,
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _build_flow_tables(metadata)
    _build_rule_tables(metadata)
    _build_job_tables(metadata)
    build_view_tables(metadata)
    build_comment_table(metadata)
    build_business_tables(metadata)


def _build_rule_tables(metadata: sa.MetaData) -> None:
    """Trigger rules: runs, timers, notifications and the outbox (emails, webhooks)."""
    runs = _table_with_id(
        RULE_RUNS_TABLE,
        metadata,
        sa.Column("rule", sa.String(200), nullable=False),
        *_record_columns(nullable=True),
        sa.Column("trigger", sa.String(200), nullable=False),
        sa.Column("phase", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Index(None, runs.c.entity, runs.c.record_id)
    timers = _table_with_id(
        TIMERS_TABLE,
        metadata,
        sa.Column("rule", sa.String(200), nullable=False),
        *_record_columns(),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Index(None, timers.c.due_at)
    sa.Index(None, timers.c.entity, timers.c.record_id)
    notes = _table_with_id(
        NOTIFICATIONS_TABLE,
        metadata,
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *_record_columns(nullable=True),
        sa.Column("rule", sa.String(200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        # rule, assignment, mention, escalation, sla, reminder (platform/jobs/notifications).
        sa.Column("kind", sa.String(20), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
    )
    sa.Index(None, notes.c.user_id, notes.c.read_at)
    outbox = _table_with_id(
        OUTBOX_TABLE,
        metadata,
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        # Delivery bookkeeping (platform/jobs): tries, backoff or claim lease, outcome.
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Index(None, outbox.c.state, outbox.c.created_at)
    sa.Table(
        SETTINGS_TABLE,
        metadata,
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def _build_job_tables(metadata: sa.MetaData) -> None:
    """Delivery log (emails, webhooks) and schedules (cron rules, SLA timers, reminders)."""
    log = _table_with_id(
        DELIVERIES_TABLE,
        metadata,
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(2000), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("template", sa.String(200), nullable=True),
        sa.Column("rule", sa.String(200), nullable=True),
        *_record_columns(nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Index(None, log.c.kind, log.c.id)
    # The record timeline reads the delivery log by record.
    sa.Index(None, log.c.entity, log.c.record_id)
    schedules = _table_with_id(
        SCHEDULES_TABLE,
        metadata,
        # cron, sla or reminder; ``key`` is the rule, the SLA target or the reminder field.
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        # "" and 0 when no record is concerned (cron), so the unique index applies.
        *_record_columns(),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    sa.Index(None, schedules.c.due_at)
    sa.Index(
        None,
        schedules.c.kind,
        schedules.c.key,
        schedules.c.entity,
        schedules.c.record_id,
        schedules.c.due_at,
        unique=True,
    )


def _build_flow_tables(metadata: sa.MetaData) -> None:
    """Pipeline stage history (one row per stay in a stage) and pending workflow approvals."""
    history = _table_with_id(
        STAGE_HISTORY_TABLE,
        metadata,
        *_record_columns(),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
    )
    sa.Index(None, history.c.entity, history.c.record_id, history.c.field)
    sa.Index(None, history.c.entity, history.c.field, history.c.stage)
    approvals = _table_with_id(
        APPROVALS_TABLE,
        metadata,
        *_record_columns(),
        sa.Column("workflow", sa.String(40), nullable=False),
        sa.Column("transition", sa.String(40), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    # At most one pending approval per record and workflow.
    pending = approvals.c.status == "pending"
    sa.Index(
        "uq__approvals_pending",
        approvals.c.entity,
        approvals.c.record_id,
        approvals.c.workflow,
        unique=True,
        sqlite_where=pending,
        postgresql_where=pending,
    )


def build_metadata(
    model: AppModel, schema: str | None = None, cipher: FieldCipher | None = None
) -> sa.MetaData:
    """Build every table of ``model`` plus the internal tables, optionally in ``schema``.

    With ``cipher``, encrypted fields (and their values in change rows) are encrypted
    when written and decrypted when read; without it they read as stored.
    """
    metadata = sa.MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    for entity in model.entities.values():
        add_line_position(model, build_table(entity, metadata, cipher))
    hidden = encrypted_fields(model)
    changes_type = EncryptedChanges(cipher, hidden) if cipher is not None and hidden else None
    build_internal_tables(metadata, changes_type)
    return metadata


__all__ = [
    "APPROVALS_TABLE",
    "CASCADES_TABLE",
    "CHANGES_TABLE",
    "CHANGE_SOURCE_LENGTH",
    "COMMENTS_TABLE",
    "DELIVERIES_TABLE",
    "IDEMPOTENCY_TABLE",
    "LINK_PREFIX",
    "MAX_NAME",
    "NAMING_CONVENTION",
    "NOTIFICATIONS_TABLE",
    "ONLY_ON",
    "OUTBOX_TABLE",
    "RATES_TABLE",
    "RULE_RUNS_TABLE",
    "SAVED_VIEWS_TABLE",
    "SCHEDULES_TABLE",
    "SEQUENCES_TABLE",
    "SETTINGS_TABLE",
    "SIGNED_LINKS_TABLE",
    "STAGE_HISTORY_TABLE",
    "TIMERS_TABLE",
    "TRIGRAM_PREFIX",
    "bigint_pk",
    "build_internal_tables",
    "build_link_table",
    "build_metadata",
    "build_table",
    "link_table_name",
    "only_on",
    "trigram_index",
]
