"""Start, run and resume an import: the steps the CLI and the background job share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trellis.metadata.model.local_text import DEFAULT_LOCALE, Translatable
from trellis.platform.i18n import Translator
from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.mapping import ImportMap, check_map, guess_map
from trellis.platform.imports.readers import ReadOptions, RowSource
from trellis.platform.imports.report import ErrorReport
from trellis.platform.imports.runner import MODES, ImportOptions, ImportRun, Tick
from trellis.platform.imports.store import (
    CANCELLED,
    CANCELLING,
    Progress,
    create_import,
    load_import,
    progress_of,
    set_state,
)
from trellis.platform.records.compiled import CompiledEntity

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.runtime import Runtime

#: States an import can still run (or resume) from.
RUNNABLE = frozenset({"queued", "running", "interrupted"})


@dataclass(slots=True)
class ImportPlan:
    """What to import and how: the options, how to read the file and the map given."""

    options: ImportOptions = field(default_factory=ImportOptions)
    read: ReadOptions = field(default_factory=ReadOptions)
    given: ImportMap = field(default_factory=ImportMap)

    def as_json(self) -> dict[str, Any]:
        """The plan as an import row's ``options`` keep it."""
        return {
            "keys": list(self.options.keys),
            "batch_size": self.options.batch_size,
            "side_effects": self.options.side_effects,
            "encoding": self.read.encoding,
            "sheet": self.read.sheet,
            "map": self.given.as_json(),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ImportPlan:
        """The plan an import row was started with."""
        o = row["options"] or {}
        options = ImportOptions(
            mode=row["mode"],
            keys=tuple(o.get("keys") or ()),
            dry_run=bool(row["dry_run"]),
            batch_size=int(o.get("batch_size") or 1000),
            side_effects=bool(o.get("side_effects")),
        )
        read = ReadOptions(encoding=o.get("encoding") or "utf-8", sheet=o.get("sheet"))
        return cls(options, read, ImportMap.from_json(o.get("map")))


def check_options(entity: CompiledEntity, options: ImportOptions) -> None:
    """Refuse a mode, key or batch size that cannot work.

    Raises:
        ImportRefusedError: naming the option.
    """
    if options.mode not in MODES:
        raise ImportRefusedError(
            Translatable(
                "Mode '%(mode)s' is unknown; use %(modes)s.",
                mode=options.mode,
                modes=", ".join(MODES),
            )
        )
    if options.mode != "insert" and not options.keys:
        raise ImportRefusedError(
            Translatable("Mode '%(mode)s' needs --key FIELD to match records.", mode=options.mode)
        )
    for key in options.keys:
        if key not in entity.entity.fields:
            raise ImportRefusedError(
                Translatable(
                    "Key '%(key)s' is not a field of %(entity)s.", key=key, entity=entity.name
                )
            )
    if not 1 <= options.batch_size <= 10_000:
        raise ImportRefusedError(Translatable("The batch size must be between 1 and 10000 rows."))


def open_import(
    call: Call, entity: CompiledEntity, path: Path, plan: ImportPlan
) -> tuple[RowSource, ImportMap]:
    """Open the file and complete and check the map; refuses before any row is read.

    Raises:
        ForbiddenError: the caller may not import into ``entity``.
        ImportRefusedError: the file, map or options cannot be imported.
    """
    call.access.require(entity.name, "import")
    check_options(entity, plan.options)
    source = RowSource(path, plan.read)
    try:
        hidden = call.access.entity(entity.name).hidden
        imap = guess_map(entity, source.headers, plan.given, hidden)
        check_map(entity, imap, mode=plan.options.mode, keys=plan.options.keys, hidden=hidden)
    except BaseException:
        source.close()
        raise
    return source, imap


def new_import(
    runtime: Runtime, call: Call, entity: CompiledEntity, file_name: str, plan: ImportPlan
) -> int:
    """Record a queued import of ``file_name`` by the caller; returns its id."""
    with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        return create_import(
            conn,
            call.app.metadata,
            entity=entity.name,
            mode=plan.options.mode,
            dry_run=plan.options.dry_run,
            options=plan.as_json(),
            file_name=file_name,
            user_id=call.identity.user_id,
            now=runtime.clock.now(),
        )


def import_row(runtime: Runtime, call: Call, import_id: int) -> dict[str, Any]:
    """The import row ``import_id``; raises ImportRefusedError when there is none."""
    with runtime.engines.tenant_connection(call.tenant) as conn:
        row = load_import(conn, call.app.metadata, import_id)
    if row is None:
        raise ImportRefusedError(
            Translatable(
                "There is no import %(id)s in tenant '%(tenant)s'.",
                id=import_id,
                tenant=call.tenant,
            )
        )
    return row


def run_import(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    path: Path,
    plan: ImportPlan,
    *,
    import_id: int | None = None,
    errors_path: Path | None = None,
    on_batch: Callable[[Tick], None] | None = None,
    locale: str | None = None,
) -> tuple[Progress, ImportMap]:
    """Run (or resume, when ``import_id`` has committed batches) an import to its end.

    Failed rows, the error report and the import's message are kept in ``locale``
    (default: :func:`import_locale`, the member's language).

    The import row (if any) ends ``done`` (``cancelled`` when asked to stop: after the
    batch it was writing); a refusal leaves it ``failed`` with the reason, any other
    failure ``interrupted`` (resumable).

    Raises:
        ImportRefusedError: the file, map or options cannot be imported.
    """
    progress = Progress()
    metadata = call.app.metadata
    t = Translator(locale or import_locale(runtime, call))
    if import_id is not None:
        row = import_row(runtime, call, import_id)
        if row["state"] not in RUNNABLE:
            raise ImportRefusedError(
                Translatable(
                    "Import %(id)s is %(state)s; it cannot run again.",
                    id=import_id,
                    state=row["state"],
                )
            )
        progress = progress_of(row)
    resumed = progress.rows_done > 0

    def mark(state: str, message: str | None = None, *, finished: bool = False) -> None:
        if import_id is None:
            return
        # "running" never replaces a cancel request made meanwhile
        unless = CANCELLING if state == "running" else None
        with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
            set_state(conn, metadata, import_id, state, runtime.clock.now(), message=message,
                      finished=finished, unless=unless)  # fmt: skip

    try:
        source, imap = open_import(call, entity, path, plan)
    except ImportRefusedError as exc:
        mark("failed", "; ".join(t.message(p) for p in exc.problems), finished=True)
        raise
    report = None
    try:
        if errors_path is not None:
            report = ErrorReport(
                errors_path,
                source.headers,
                resume_at=progress.errors_size if resumed else None,
                translator=t,
            )
        mark("running")
        run = ImportRun(runtime, call, entity, source, imap, plan.options,
                        import_id=import_id, report=report, on_batch=on_batch,
                        translator=t)  # fmt: skip
        run.run(progress)
    except BaseException as exc:
        mark("interrupted", f"{type(exc).__name__}: {exc}")
        if report is not None:
            report.close()
        raise
    finally:
        source.close()
    if report is not None:
        report.finish()
    if run.cancelled:
        rows = progress.rows_done
        cancelled = t.gettext("Cancelled after %(rows)s rows.", rows=rows)
        mark(CANCELLED, cancelled, finished=True)
    else:
        mark("done", finished=True)
    return progress, imap


def import_locale(runtime: Runtime, call: Call) -> str:
    """The language an import keeps its failed rows in: the member's own setting, else
    the tenant's ``locale``, else English (as e-mails choose theirs)."""
    prefs = UserPreferences(runtime.registry, clock=runtime.clock)
    chosen = prefs.locale(call.identity.user_id) if call.identity.user_id else None
    return chosen or call.app.model.locale or DEFAULT_LOCALE


__all__ = [
    "RUNNABLE",
    "ImportPlan",
    "check_options",
    "import_locale",
    "import_row",
    "new_import",
    "open_import",
    "run_import",
]
