"""``trellis export``: a tenant's records as CSV, xlsx, JSON or JSON Lines, streamed to a file.

The export runs as a member (``--as``; by default the tenant's first admin) with that
member's record scope and field access, and is audited like the API's ``_export``. The
file appears whole: it is written beside its final name and renamed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from trellis.cli_text import cli_translator

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.runtime import Runtime

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
EXPORT_FORMATS = ("csv", "xlsx", "json", "jsonl")


class ExportCliError(ValueError):
    """The export cannot run (unknown member, entity, format or filter); nothing written."""


def _member_call(runtime: Runtime, tenant: str, email: str | None) -> Call:
    """A call of ``email`` (default: the first admin by user id) in ``tenant``."""
    from trellis.platform.services.bundle import Services
    from trellis.tenants.registry.members import list_members

    info = runtime.tenant(tenant, fresh=True)
    members = list_members(runtime.registry, info.id)
    if email is None:
        admins = [m for m in members if "admin" in m.roles]
        if not admins:
            raise ExportCliError(
                cli_translator().gettext(
                    "Tenant '%(tenant)s' has no admin: name a member with --as.", tenant=tenant
                )
            )
        chosen = admins[0]
    else:
        wanted = email.strip().lower()
        found = [m for m in members if m.email.lower() == wanted]
        if not found:
            raise ExportCliError(
                cli_translator().gettext(
                    "'%(email)s' is not a member of tenant '%(tenant)s'.",
                    email=email,
                    tenant=tenant,
                )
            )
        chosen = found[0]
    identity = runtime.registry.member_identity(tenant, chosen.user_id)
    if identity is None:
        raise ExportCliError(
            cli_translator().gettext(
                "'%(email)s' is not an active member of '%(tenant)s'.",
                email=chosen.email,
                tenant=tenant,
            )
        )
    return Services(runtime).call_as(tenant, identity)


def cmd_export(args: argparse.Namespace) -> None:
    """Write the export to ``-o FILE`` (atomically) or to standard output."""
    from trellis.platform.config import config_from_env
    from trellis.platform.records.errors import RecordError
    from trellis.platform.runtime import Runtime
    from trellis.platform.services.caller import readable_entity
    from trellis.platform.services.record_export import write_export

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        call = _member_call(runtime, args.tenant, args.as_member)
        try:
            entity = readable_entity(call, args.entity)

            def write(sink: BinaryIO) -> int:
                _, _, count = write_export(
                    runtime, call, entity, sink, args.format, args.filter, args.fields,
                    ids=args.ids,
                )  # fmt: skip
                return count

            count = _to_file(Path(args.output), write) if args.output else _to_stdout(write)
        except RecordError as exc:
            details = [f"{k}: {m}" for k, ms in exc.errors.items() for m in ms if m != str(exc)]
            raise ExportCliError("; ".join([str(exc), *details])) from None
    finally:
        runtime.close()
    t = cli_translator()
    where = args.output or t.gettext("standard output")
    text = t.gettext(
        "Exported %(count)s %(entity)s record(s) to %(where)s.",
        count=count,
        entity=args.entity,
        where=where,
    )
    sys.stderr.write(text + "\n")


def _to_file(path: Path, write: Callable[[BinaryIO], int]) -> int:
    """Write through a temporary file beside ``path``, renamed over it at the end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            count = write(sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count


def _to_stdout(write: Callable[[BinaryIO], int]) -> int:
    count = write(sys.stdout.buffer)
    sys.stdout.buffer.flush()
    return count


def add_data_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_data_dir: WithDataDir,
) -> None:
    """Register ``export``."""
    export = with_data_dir(
        sub.add_parser("export", help="export a tenant's records (CSV, xlsx, JSON, JSON Lines)")
    )
    export.add_argument("tenant", help="the tenant's name")
    export.add_argument("entity", help="the entity to export")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="csv", help="default: csv")
    export.add_argument("--filter", default=None, help="a rule-language filter, e.g. score > 50")
    export.add_argument("--fields", default=None, help="comma-separated fields (default: all)")
    export.add_argument(
        "--ids", action="store_true", help="references and users as ids instead of titles"
    )
    export.add_argument(
        "--as",
        dest="as_member",
        metavar="EMAIL",
        default=None,
        help="export as this member, with their scope (default: the first admin)",
    )
    export.add_argument(
        "-o", "--output", default=None, help="the file to write (default: standard output)"
    )
    export.set_defaults(func=cmd_export)


__all__ = ["ExportCliError", "add_data_commands", "cmd_export"]
