"""``trellis backup`` and ``trellis restore``: a tenant as one portable zip archive.

The format and what a restore does are described in docs/backup.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.cli_text import cli_translator

if TYPE_CHECKING:
    from trellis.platform.backup.restore import RestoreResult

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def cmd_backup(args: argparse.Namespace) -> None:
    """Write the backup of ``args.tenant`` to ``args.output``."""
    from trellis.platform.app_packages.export import ExportError
    from trellis.platform.backup.writer import write_backup
    from trellis.platform.config import config_from_env
    from trellis.platform.runtime import Runtime

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        manifest = write_backup(runtime, args.tenant, Path(args.output))
    except ExportError as exc:
        raise ValueError(str(exc)) from None
    finally:
        runtime.close()
    rows = sum(e.rows or 0 for e in manifest.entries.values())
    files = sum(1 for name in manifest.entries if name.startswith("files/"))
    text = cli_translator().gettext(
        "Backed up tenant '%(tenant)s' (%(app)s): %(rows)s row(s), %(files)s file(s) to %(path)s.",
        tenant=args.tenant,
        app=manifest.app,
        rows=rows,
        files=files,
        path=args.output,
    )
    sys.stdout.write(text + "\n")
    if manifest.unknown_roles:
        warning = cli_translator().gettext(
            "warning: members of '%(tenant)s' hold roles the app does not define "
            "(%(roles)s): a restore of this archive drops these roles from them "
            "(its summary lists each); remove them with 'trellis user roles' "
            "to silence this warning.",
            tenant=args.tenant,
            roles=", ".join(manifest.unknown_roles),
        )
        sys.stderr.write(warning + "\n")


def cmd_restore(args: argparse.Namespace) -> None:
    """Verify ``args.file`` and restore it as ``args.as_name`` or ``args.tenant``."""
    from trellis.platform.backup.restore import restore_backup
    from trellis.platform.config import config_from_env
    from trellis.platform.runtime import Runtime

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        result = restore_backup(
            runtime, args.tenant, Path(args.file), as_name=args.as_name, replace=args.replace
        )
    finally:
        runtime.close()
    rows = sum(result.rows.values())
    t = cli_translator()
    text = t.gettext(
        "Restored tenant '%(tenant)s': %(rows)s row(s), %(files)s file(s).",
        tenant=result.tenant,
        rows=rows,
        files=result.files,
    )
    sys.stdout.write(text + "\n")
    for line in [*_members_summary(result), *_former_summary(result)]:
        sys.stdout.write(line + "\n")


def _former_summary(result: RestoreResult) -> list[str]:
    """The former members the data refers to: accounts without membership."""
    t = cli_translator()
    former = result.former
    if former is None or not former.user_ids:
        return []
    lines = [
        t.gettext(
            "Former members the data refers to, restored as accounts without membership: "
            "%(count)s.",
            count=len(former.user_ids),
        )
    ]
    if former.new_accounts:
        lines.append(
            t.gettext(
                "Accounts created for former members (no password, no membership): %(emails)s.",
                emails=", ".join(former.new_accounts),
            )
        )
    return lines


def _members_summary(result: RestoreResult) -> list[str]:
    """What happened to the members, and how new accounts get a password."""
    t = cli_translator()
    members = result.members
    if members is None:
        return [
            t.gettext(
                "The archive holds no members (an older backup): none were restored; "
                "add them with 'trellis user create %(tenant)s EMAIL --role ROLE'.",
                tenant=result.tenant,
            )
        ]
    lines = [t.gettext("Members restored: %(count)s.", count=members.members)]
    if members.new_accounts:
        lines.append(
            t.gettext(
                "New accounts without a password (each must set one before signing in, "
                "with 'trellis user create %(tenant)s EMAIL --reset-password'): %(emails)s.",
                tenant=result.tenant,
                emails=", ".join(members.new_accounts),
            )
        )
    for email, role in members.dropped_roles:
        lines.append(
            t.gettext(
                "Member '%(email)s' had role '%(role)s', which the archived app does not "
                "define: the role was dropped.",
                email=email,
                role=role,
            )
        )
    if members.roleless:
        lines.append(
            t.gettext(
                "Members left without any role (give them one with 'trellis user roles'): "
                "%(emails)s.",
                emails=", ".join(members.roleless),
            )
        )
    return lines


def add_backup_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_data_dir: WithDataDir,
) -> None:
    """Register ``backup`` and ``restore``."""
    backup = with_data_dir(sub.add_parser("backup", help="write a tenant's backup archive"))
    backup.add_argument("tenant", help="the tenant's name")
    backup.add_argument("-o", "--output", required=True, help="the archive to write (.zip)")
    backup.set_defaults(func=cmd_backup)
    restore = with_data_dir(sub.add_parser("restore", help="restore a tenant from a backup"))
    restore.add_argument("tenant", help="the tenant the archive is a backup of")
    restore.add_argument("file", help="the backup archive (.zip)")
    restore.add_argument(
        "--as", dest="as_name", default=None, help="restore under this new tenant name"
    )
    restore.add_argument("--replace", action="store_true", help="overwrite the tenant if it exists")
    restore.set_defaults(func=cmd_restore)


__all__ = ["add_backup_commands"]
