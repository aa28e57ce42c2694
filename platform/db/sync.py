"""Additive schema sync: diff the built tables against the database and apply safe steps.

Alembic's autogenerate produces the operations; the platform applies only additive
ones (create table, add column, create index or unique) and lists everything else
(drops, type changes) in the plan without running it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from trellis.platform.i18n import Translator

#: Search index tables (platform/search) start with this; sync leaves them alone.
SEARCH_INDEX_PREFIX = "_fts_"


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


def plan_sync(conn: sa.Connection, metadata: sa.MetaData, schema: str | None) -> SchemaPlan:
    """Compare ``metadata`` with the database and return the plan; changes nothing."""
    # Alembic (with mako and pygments, about 10 MiB resident) is loaded by the first plan,
    # not by every process that imports this module (bench/RESULTS.md "Idle memory").
    from trellis.platform.db import alembic_plan

    return alembic_plan.plan_sync(conn, metadata, schema)


def apply_plan(conn: sa.Connection, plan: SchemaPlan, metadata: sa.MetaData) -> None:
    """Apply the additive steps of ``plan`` inside the caller's transaction.

    Raises:
        SchemaSyncError: a unique index would cover duplicate live rows.
    """
    from trellis.platform.db import alembic_plan

    alembic_plan.apply_plan(conn, plan, metadata)


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
