"""Run an import: rows in batches through the save pipeline, with progress and resume.

Each batch is one transaction: every row runs in its own savepoint through the
record service (authorize, validate, formulas, rules, rollups, history with source
``import``), the writes are noted in ``_import_rows`` (for undo) and the import's
progress is stored with them, so a killed import resumes after its last committed
batch without writing a row twice. A dry run rolls each batch back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.automation import record_service
from trellis.platform.i18n import Translator
from trellis.platform.imports.convert import RowConverter
from trellis.platform.imports.mapping import ImportMap, importable
from trellis.platform.imports.readers import RowSource, SourceRow
from trellis.platform.imports.references import ReferenceResolver
from trellis.platform.imports.report import ErrorReport
from trellis.platform.imports.store import Progress, cancel_requested, rows_table, save_progress
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import NotFoundError, RecordError, ValidationFailedError
from trellis.platform.records.matching import match_record
from trellis.platform.records.save_context import SaveContext
from trellis.platform.records.values import to_json

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.runtime import Runtime

MODES = ("insert", "update", "upsert")
_PROGRESS_FIELDS = tuple(f.name for f in fields(Progress))


class _RowFailedError(Exception):
    """A row failed in a batch run without savepoints: run the batch again with them."""


DEFAULT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to import: mode, key fields, dry run, batch size, side effects."""

    mode: str = "insert"
    keys: tuple[str, ...] = ()
    dry_run: bool = False
    batch_size: int = DEFAULT_BATCH
    #: Whether rules may queue emails and webhooks for imported rows.
    side_effects: bool = False


@dataclass(slots=True)
class Tick:
    """What a progress display needs after each batch."""

    progress: Progress
    total: int | None
    fraction: float | None
    rows_per_second: float
    eta_seconds: float | None


class ImportRun:
    """One run (or resumed run) of an import over an open file."""

    def __init__(
        self,
        runtime: Runtime,
        call: Call,
        entity: CompiledEntity,
        source: RowSource,
        imap: ImportMap,
        options: ImportOptions,
        *,
        import_id: int | None = None,
        report: ErrorReport | None = None,
        on_batch: Callable[[Tick], None] | None = None,
        translator: Translator | None = None,
    ) -> None:
        self.runtime, self.call, self.entity = runtime, call, entity
        #: The language failed rows are kept in (first errors, error report).
        self.translator = translator or Translator()
        self.source, self.options = source, options
        self.import_id, self.report, self.on_batch = import_id, report, on_batch
        self.service = record_service(call.rt)
        hidden = call.access.entity(entity.name).hidden
        self.resolver = ReferenceResolver(call.app, call.access, self.service, imap)
        self.converter = RowConverter(
            importable(entity, hidden), source.headers, imap, self.resolver
        )
        self.fields = entity.entity.fields
        #: Whether the run stopped early because the import was cancelled.
        self.cancelled = False

    def run(self, progress: Progress) -> Progress:
        """Import every row after ``progress.rows_done``; returns the final progress.

        After each committed batch it stops when the import was asked to (``cancelled``).
        """
        started = time.monotonic()
        first = progress.rows_done
        batch: list[SourceRow] = []
        seen = 0
        for row in self.source.rows():
            seen += 1
            if seen <= first:
                continue
            batch.append(row)
            if len(batch) >= self.options.batch_size:
                self._batch(batch, progress)
                batch = []
                self._tick(progress, first, started)
                if self._cancel_requested():
                    self.cancelled = True
                    return progress
        if batch or progress.rows_done == first:
            if batch:
                self._batch(batch, progress)
            self._tick(progress, first, started)
        return progress

    def _cancel_requested(self) -> bool:
        if self.import_id is None or self.options.dry_run:
            return False
        with self.runtime.engines.tenant_connection(self.call.tenant) as conn:
            return cancel_requested(conn, self.call.app.metadata, self.import_id)

    def _tick(self, progress: Progress, first: int, started: float) -> None:
        if self.on_batch is None:
            return
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = (progress.rows_done - first) / elapsed
        total, fraction = self.source.total, self.source.fraction()
        eta = None
        if total is not None and rate > 0:
            eta = max(total - progress.rows_done, 0) / rate
        elif fraction and fraction > 0:
            eta = elapsed * (1 - fraction) / fraction
        self.on_batch(Tick(progress, total, fraction, rate, eta))

    # one batch ----------------------------------------------------------------------
    def _batch(self, rows: list[SourceRow], progress: Progress) -> None:
        """Save a batch; optimistically without a savepoint per row first.

        A batch whose rows all save needs no savepoints (half the statements). When
        a row fails, that attempt is rolled back whole and the batch runs again with
        a savepoint per row, so the failed row leaves nothing and the others are kept.
        A dry run always takes the careful way (it wants every row's outcome anyway).
        """
        if not self.options.dry_run:
            snapshot = replace(progress, first_errors=list(progress.first_errors))
            try:
                self._attempt(rows, progress, careful=False)
                return
            except _RowFailedError:
                for name in _PROGRESS_FIELDS:
                    setattr(progress, name, getattr(snapshot, name))
        self._attempt(rows, progress, careful=True)

    def _attempt(self, rows: list[SourceRow], progress: Progress, *, careful: bool) -> None:
        now = self.runtime.clock.now()
        app = self.call.app
        total = self.source.total
        failures: list[tuple[SourceRow, dict[str, list[str]]]] = []
        with self.runtime.engines.tenant_connection(self.call.tenant, write=True) as conn:
            tx = conn.begin()
            try:
                ctx = SaveContext(conn, self.call.member, now, source="import")
                ctx.side_effects = self.options.side_effects
                self.resolver.ctx = ctx
                writes: list[dict[str, Any]] = []
                for row in rows:
                    self._row(ctx, row, progress, writes, failures, careful=careful)
                progress.rows_done += len(rows)
                for row, raw in failures:
                    errors = self._shown(raw)
                    progress.add_error(row.number, errors)
                    if self.report is not None:
                        self.report.add(row.number, row.cells, errors)
                if self.report is not None:
                    progress.errors_size = self.report.flush()
                if self.options.dry_run:
                    tx.rollback()
                    self.resolver.rolled_back()
                else:
                    if writes and self.import_id is not None:
                        conn.execute(rows_table(app.metadata).insert(), writes)
                    if self.import_id is not None:
                        save_progress(
                            conn, app.metadata, self.import_id, progress, now, total=total
                        )
                    tx.commit()
                    self.resolver.committed()
            except BaseException:
                if tx.is_active:
                    tx.rollback()
                self.resolver.rolled_back()
                raise
            finally:
                self.resolver.ctx = None
        if self.options.dry_run and self.import_id is not None:
            engines = self.runtime.engines
            with engines.tenant_connection(self.call.tenant, write=True) as conn, conn.begin():
                save_progress(conn, app.metadata, self.import_id, progress, now, total=total)

    def _shown(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """A failed row's messages in the import's language (they are stored as text)."""
        t = self.translator
        return {name: [t.message(m) for m in messages] for name, messages in errors.items()}

    def _row(
        self,
        ctx: SaveContext,
        row: SourceRow,
        progress: Progress,
        writes: list[dict[str, Any]],
        failures: list[tuple[SourceRow, dict[str, list[str]]]],
        *,
        careful: bool,
    ) -> None:
        if row.problem is not None:
            failures.append((row, {"__all__": [row.problem]}))
            return
        savepoint = ctx.conn.begin_nested() if careful else None
        try:
            values, errors = self.converter.convert(row.cells)
            if errors:
                raise ValidationFailedError(errors)
            outcome, record_id, before = self._apply(ctx, values)
        except RecordError as exc:
            if savepoint is None:
                raise _RowFailedError from None
            savepoint.rollback()
            failures.append((row, exc.errors or {"__all__": [exc.message]}))
            return
        except Exception:
            if savepoint is not None:
                savepoint.rollback()
            raise
        if savepoint is not None:
            savepoint.commit()
        setattr(progress, outcome, getattr(progress, outcome) + 1)
        if outcome != "unchanged":
            writes.append(
                {
                    "import_id": self.import_id or 0,
                    "entity": self.entity.name,
                    "record_id": record_id,
                    "op": outcome,
                    "before": before,
                }
            )

    def _apply(
        self, ctx: SaveContext, values: dict[str, Any]
    ) -> tuple[str, int, dict[str, Any] | None]:
        """Create, update or leave one record; (outcome, id, values before an update)."""
        access, entity, mode = self.call.access, self.entity, self.options.mode
        access.check_write(entity, values)
        existing = None
        if mode != "insert":
            key = {k: values.get(k) for k in self.options.keys}
            empty = [k for k, v in key.items() if v is None]
            if empty:
                empty_key = Translatable("The key field is empty.")
                raise ValidationFailedError({k: [empty_key] for k in empty})
            existing = match_record(ctx, access, entity, key)
        if existing is None:
            if mode == "update":
                shown = ", ".join(f"{k} = {values.get(k)}" for k in self.options.keys)
                nothing = Translatable(
                    "No %(entity)s matches %(shown)s.", entity=entity.name, shown=shown
                )
                raise NotFoundError(nothing, {k: [nothing] for k in self.options.keys})
            access.require(entity.name, "create")
            record = self.service.create(ctx, entity, values)
            return "created", int(record["id"]), None
        stored = self.service.get(ctx.conn, entity, existing)
        checked, errors = entity.validator.check(values)
        if errors or stored is None:
            raise ValidationFailedError(errors)
        changed = {k: values[k] for k, v in checked.items() if v != stored.get(k)}
        if not changed:
            return "unchanged", existing, None
        access.require(entity.name, "update")
        before = {k: to_json(stored.get(k), self.fields.get(k)) for k in changed}
        self.service.update(ctx, entity, existing, changed, None)
        return "updated", existing, before


def count_written(conn: sa.Connection, metadata: sa.MetaData, import_id: int) -> int:
    """How many writes an import noted (for tests and the undo summary)."""
    t = rows_table(metadata)
    return int(
        conn.execute(sa.select(sa.func.count()).where(t.c.import_id == import_id)).scalar() or 0
    )


__all__ = ["DEFAULT_BATCH", "MODES", "ImportOptions", "ImportRun", "Tick", "count_written"]
