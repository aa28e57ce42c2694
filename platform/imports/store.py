"""The ``_imports`` rows: an import's options, state, counts and resume point."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.import_tables import IMPORT_ROWS_TABLE, IMPORTS_TABLE
from trellis.platform.records.values import to_json

#: How many row errors an import keeps on its row (the error report has them all).
FIRST_ERRORS = 20
COUNTS = ("created", "updated", "unchanged", "failed")
#: Asked to stop (platform/imports/cancel.py); the run ends ``CANCELLED`` after its batch.
CANCELLING = "cancelling"
CANCELLED = "cancelled"


@dataclass(slots=True)
class Progress:
    """Where an import stands: rows read and committed, counts, first errors."""

    rows_done: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors_size: int = 0
    first_errors: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """created, updated, unchanged and failed."""
        return {name: getattr(self, name) for name in COUNTS}

    def add_error(self, row: int, errors: dict[str, list[str]]) -> None:
        """Count a failed row; keep it among the first errors."""
        self.failed += 1
        if len(self.first_errors) < FIRST_ERRORS:
            self.first_errors.append({"row": row, "errors": errors})


def imports_table(metadata: sa.MetaData) -> sa.Table:
    """The ``_imports`` table of an app's metadata."""
    return metadata.tables[IMPORTS_TABLE]


def rows_table(metadata: sa.MetaData) -> sa.Table:
    """The ``_import_rows`` table of an app's metadata."""
    return metadata.tables[IMPORT_ROWS_TABLE]


def create_import(
    conn: sa.Connection,
    metadata: sa.MetaData,
    *,
    entity: str,
    mode: str,
    dry_run: bool,
    options: dict[str, Any],
    file_name: str,
    user_id: int | None,
    now: datetime,
    state: str = "queued",
) -> int:
    """Add an import row; returns its id."""
    t = imports_table(metadata)
    values = dict(
        entity=entity, state=state, mode=mode, dry_run=dry_run, options=options,
        file_name=file_name[:255], user_id=user_id, rows_done=0, total=None,
        created=0, updated=0, unchanged=0, failed=0, errors_size=0, first_errors=[],
        message=None, created_at=now, updated_at=now, finished_at=None,
    )  # fmt: skip
    key = conn.execute(t.insert().values(**values)).inserted_primary_key
    if key is None:
        raise RuntimeError("The import row got no id.")
    return int(key[0])


def load_import(
    conn: sa.Connection, metadata: sa.MetaData, import_id: int
) -> dict[str, Any] | None:
    """The import row ``import_id`` as a dict, or None."""
    t = imports_table(metadata)
    row = conn.execute(sa.select(t).where(t.c.id == import_id)).mappings().first()
    return dict(row) if row is not None else None


def progress_of(row: dict[str, Any]) -> Progress:
    """The committed progress of an import row."""
    return Progress(
        rows_done=row["rows_done"],
        errors_size=row["errors_size"],
        first_errors=list(row["first_errors"] or []),
        **{name: row[name] for name in COUNTS},
    )


def save_progress(
    conn: sa.Connection,
    metadata: sa.MetaData,
    import_id: int,
    progress: Progress,
    now: datetime,
    **extra: Any,
) -> None:
    """Store the progress (in the batch's transaction, so it commits with the rows)."""
    t = imports_table(metadata)
    conn.execute(
        t.update()
        .where(t.c.id == import_id)
        .values(
            rows_done=progress.rows_done,
            errors_size=progress.errors_size,
            first_errors=progress.first_errors,
            updated_at=now,
            **progress.counts(),
            **extra,
        )
    )


def set_state(
    conn: sa.Connection,
    metadata: sa.MetaData,
    import_id: int,
    state: str,
    now: datetime,
    *,
    message: str | None = None,
    finished: bool = False,
    unless: str | None = None,
) -> None:
    """Move an import to ``state`` (with a message, and the finish time when it ends);
    left as it is when its state is ``unless``."""
    t = imports_table(metadata)
    values: dict[str, Any] = {"state": state, "updated_at": now, "message": message}
    if finished:
        values["finished_at"] = now
    where = [t.c.id == import_id] if unless is None else [t.c.id == import_id, t.c.state != unless]
    conn.execute(t.update().where(*where).values(**values))


def cancel_requested(conn: sa.Connection, metadata: sa.MetaData, import_id: int) -> bool:
    """Whether import ``import_id`` was asked to stop."""
    t = imports_table(metadata)
    state = conn.execute(sa.select(t.c.state).where(t.c.id == import_id)).scalar()
    return state == CANCELLING


def import_json(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The import as ``GET _imports/{id}`` answers: state, counts, progress, rate, ETA."""
    done = row["rows_done"]
    total = row["total"]
    started, updated = row["created_at"], row["updated_at"]
    seconds = max((updated - started).total_seconds(), 0.0) if updated and started else 0.0
    rate = done / seconds if seconds > 0 else None
    eta = (total - done) / rate if rate and total is not None and total >= done else None
    del now
    options = row["options"] or {}
    return {
        "id": row["id"],
        "entity": row["entity"],
        "state": row["state"],
        "mode": row["mode"],
        "dry_run": bool(row["dry_run"]),
        "side_effects": bool(options.get("side_effects", False)),
        "file_name": row["file_name"],
        "user_id": row["user_id"],
        "rows": done,
        "total": total,
        "rows_per_second": round(rate, 1) if rate else None,
        "eta_seconds": round(eta, 1) if eta is not None else None,
        "counts": {name: row[name] for name in COUNTS},
        "first_errors": row["first_errors"] or [],
        "message": row["message"],
        "created_at": to_json(row["created_at"], None),
        "finished_at": to_json(row["finished_at"], None) if row["finished_at"] else None,
    }


__all__ = [
    "CANCELLED",
    "CANCELLING",
    "COUNTS",
    "FIRST_ERRORS",
    "Progress",
    "cancel_requested",
    "create_import",
    "import_json",
    "imports_table",
    "load_import",
    "progress_of",
    "rows_table",
    "save_progress",
    "set_state",
]
