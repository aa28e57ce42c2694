"""``trellis import``: load a CSV or XLSX file into an entity through the save pipeline.

``trellis import TENANT ENTITY FILE [--map MAP.yaml] [--mode insert|update|upsert]
[--key FIELD[,FIELD]] [--dry-run] [--errors OUT.csv] [--resume ID]`` and
``trellis import undo TENANT ID``, ``trellis import cancel TENANT ID``. The import runs
as a member (``--as``; by default the tenant's first admin) with that member's
permissions; see docs/import.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from trellis.cli_text import cli_translator, error_text

if TYPE_CHECKING:
    from trellis.platform.i18n import Translator
    from trellis.platform.imports.runner import Tick
    from trellis.platform.imports.session import ImportPlan

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _bar(tick: Tick) -> None:
    """One progress line: rows, rows per second, ETA (a bar when the total is known)."""
    p = tick.progress
    eta = f"ETA {tick.eta_seconds:.0f}s" if tick.eta_seconds is not None else "ETA ?"
    part = tick.fraction
    if tick.total:
        part = min(1.0, p.rows_done / tick.total)
    bar = ""
    if part is not None:
        filled = int(part * 20)
        bar = f"[{'#' * filled}{'.' * (20 - filled)}] {part * 100:3.0f}% "
    line = bar + cli_translator().gettext(
        "%(rows)s rows, %(speed)s rows/s, %(eta)s, %(failed)s failed",
        rows=p.rows_done,
        speed=f"{tick.rows_per_second:.0f}",
        eta=eta,
        failed=p.failed,
    )
    end = "\r" if sys.stderr.isatty() else "\n"
    sys.stderr.write(line + end)
    sys.stderr.flush()


def _plan(args: argparse.Namespace) -> ImportPlan:
    from trellis.platform.imports.mapping import ImportMap, load_map
    from trellis.platform.imports.readers import ReadOptions
    from trellis.platform.imports.runner import ImportOptions
    from trellis.platform.imports.session import ImportPlan

    keys = tuple(k.strip() for k in (args.key or "").split(",") if k.strip())
    options = ImportOptions(
        mode=args.mode,
        keys=keys,
        dry_run=args.dry_run,
        batch_size=args.batch_size,
        side_effects=args.side_effects,
    )
    read = ReadOptions(encoding=args.encoding, sheet=args.sheet)
    given = ImportMap()
    if args.map and Path(args.map).exists():
        given = load_map(Path(args.map))
    return ImportPlan(options, read, given)


def cmd_import(args: argparse.Namespace) -> None:
    """Run, dry-run or resume an import, or undo or cancel one (``import undo|cancel``)."""
    from trellis.data_cli import _member_call
    from trellis.metadata.model.local_text import Translatable
    from trellis.platform.config import check_tenant_name, config_from_env
    from trellis.platform.imports.errors import ImportRefusedError
    from trellis.platform.imports.mapping import save_map
    from trellis.platform.imports.session import (
        ImportPlan,
        import_row,
        new_import,
        open_import,
        run_import,
    )
    from trellis.platform.records.errors import RecordError
    from trellis.platform.runtime import Runtime
    from trellis.platform.services.caller import readable_entity

    if args.tenant == "undo":
        _undo(args)
        return
    if args.tenant == "cancel":
        _cancel(args)
        return
    t = cli_translator()
    if args.file is None:
        raise ValueError(Translatable("name the file to import: trellis import TENANT ENTITY FILE"))
    check_tenant_name(args.tenant)
    runtime = Runtime(config_from_env(args.data_dir))
    try:
        call = _member_call(runtime, args.tenant, args.as_member)
        entity = readable_entity(call, args.entity)
        plan = _plan(args)
        import_id = None
        if args.resume is not None:
            row = import_row(runtime, call, args.resume)
            if row["entity"] != entity.name:
                raise ImportRefusedError(
                    Translatable(
                        "Import %(id)s is into %(entity)s.", id=args.resume, entity=row["entity"]
                    )
                )
            plan, import_id = ImportPlan.from_row(row), args.resume
        elif not plan.options.dry_run:
            source, _ = open_import(call, entity, Path(args.file), plan)  # refuse early
            source.close()
            import_id = new_import(runtime, call, entity, Path(args.file).name, plan)
            _err(t.gettext("import %(id)s started (resume with --resume %(id)s)", id=import_id))
        errors = Path(args.errors) if args.errors else None
        progress, imap = run_import(
            runtime, call, entity, Path(args.file), plan,
            import_id=import_id, errors_path=errors, on_batch=_bar, locale=t.locale,
        )  # fmt: skip
        cancelled = import_id is not None and (
            import_row(runtime, call, import_id)["state"] == "cancelled"
        )
        if args.map and not Path(args.map).exists():
            save_map(imap, Path(args.map))
            _err(t.gettext("map saved to %(path)s", path=args.map))
    except ImportRefusedError as exc:
        problems = "\n  ".join(t.message(p) for p in exc.problems)
        raise ValueError(t.gettext("the import was refused:") + "\n  " + problems) from None
    except RecordError as exc:
        raise ValueError(t.message(exc.message)) from None
    finally:
        runtime.close()
    for column, field in imap.columns.items():
        _err(f"  {column} -> {field or t.gettext('(skipped)')}")
    counts = t.gettext(
        "created %(created)s, updated %(updated)s, unchanged %(unchanged)s, failed %(failed)s",
        **progress.counts(),
    )
    if plan.options.dry_run:
        head = t.gettext("dry run (nothing written)")
    elif cancelled:
        head = t.gettext(
            "import %(id)s cancelled after %(rows)s rows (undo: trellis import undo)",
            id=import_id,
            rows=progress.rows_done,
        )
    else:
        head = t.gettext("import %(id)s", id=import_id)
    sys.stdout.write(f"{head}: {counts}\n")
    for item in progress.first_errors[:10]:
        line = t.gettext("row %(row)s: %(errors)s", row=item["row"], errors=_errors(t, item))
        sys.stdout.write(f"  {line}\n")


def _errors(t: Translator, item: dict[str, Any]) -> str:
    """A failed row's errors (``field: message | …``) in the command line's language."""
    parts = []
    for name, messages in item["errors"].items():
        for message in messages:
            text = t.message(message)
            parts.append(text if name == "__all__" else f"{name}: {text}")
    return " | ".join(parts)


T = TypeVar("T")


def _on_import(args: argparse.Namespace, usage: str, action: Callable[..., T]) -> tuple[str, T]:
    """Run ``action(runtime, call, import_id)`` for ``import undo|cancel TENANT ID``;
    returns the id as typed and the action's answer."""
    from trellis.data_cli import _member_call
    from trellis.platform.config import check_tenant_name, config_from_env
    from trellis.platform.imports.errors import ImportRefusedError
    from trellis.platform.runtime import Runtime

    tenant, ident = args.entity, args.file
    if ident is None or not ident.isdigit():
        raise ValueError(usage)
    check_tenant_name(tenant)
    runtime = Runtime(config_from_env(args.data_dir))
    try:
        call = _member_call(runtime, tenant, args.as_member)
        return ident, action(runtime, call, int(ident))
    except ImportRefusedError as exc:
        raise ValueError(error_text(exc)) from None
    finally:
        runtime.close()


def _undo(args: argparse.Namespace) -> None:
    from trellis.metadata.model.local_text import Translatable
    from trellis.platform.imports.undo import undo_import

    usage = Translatable("usage: trellis import undo TENANT ID")
    ident, report = _on_import(args, usage, undo_import)
    r = report.as_json()
    text = cli_translator().gettext(
        "import %(id)s undone: deleted %(deleted)s, restored %(restored)s, skipped %(skipped)s",
        id=ident,
        deleted=r["deleted"],
        restored=r["restored"],
        skipped=r["skipped"],
    )
    sys.stdout.write(text + "\n")


def _cancel(args: argparse.Namespace) -> None:
    from trellis.metadata.model.local_text import Translatable
    from trellis.platform.imports.cancel import cancel_import

    usage = Translatable("usage: trellis import cancel TENANT ID")
    ident, row = _on_import(args, usage, cancel_import)
    t = cli_translator()
    if row["state"] == "cancelled":
        text = t.gettext(
            "import %(id)s cancelled after %(rows)s rows", id=ident, rows=row["rows_done"]
        )
    else:
        text = t.gettext(
            "import %(id)s stops after its current batch (%(state)s)", id=ident, state=row["state"]
        )
    sys.stdout.write(text + "\n")


def add_import_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_data_dir: WithDataDir,
) -> None:
    """Register ``import`` (and ``import undo``, ``import cancel``)."""
    p = with_data_dir(
        sub.add_parser(
            "import",
            help="import a CSV or XLSX file into an entity (or: import undo|cancel TENANT ID)",
        )
    )
    p.add_argument(
        "tenant", help="the tenant's name (or 'undo' / 'cancel' to undo or cancel an import)"
    )
    p.add_argument("entity", help="the entity to import into (after 'undo'/'cancel': the tenant)")
    p.add_argument(
        "file",
        nargs="?",
        default=None,
        help="the CSV or XLSX file (after 'undo'/'cancel': the import id)",
    )
    p.add_argument(
        "--map",
        default=None,
        help="a map file (YAML); written with the guessed map if it does not exist",
    )
    p.add_argument(
        "--mode", choices=("insert", "update", "upsert"), default="insert", help="default: insert"
    )
    p.add_argument(
        "--key", default=None, help="field(s) matching existing records, e.g. email or first,last"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="check every row and report, writing nothing"
    )
    p.add_argument(
        "--errors", default=None, help="write failed rows with their errors to this CSV file"
    )
    p.add_argument(
        "--resume", type=int, default=None, help="resume the interrupted import with this id"
    )
    p.add_argument(
        "--encoding", default="utf-8", help="the CSV file's encoding (default: utf-8, BOM or not)"
    )
    p.add_argument("--sheet", default=None, help="the XLSX sheet to read (default: the first)")
    p.add_argument(
        "--batch-size", type=int, default=1000, help="rows per transaction (default: 1000)"
    )
    p.add_argument(
        "--side-effects",
        action="store_true",
        help="let rules send emails and webhooks for imported rows",
    )
    p.add_argument(
        "--as",
        dest="as_member",
        metavar="EMAIL",
        default=None,
        help="import as this member, with their permissions (default: the first admin)",
    )
    p.set_defaults(func=cmd_import)


__all__ = ["add_import_commands", "cmd_import"]
