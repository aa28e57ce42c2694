"""``trellis gdpr export`` and ``trellis gdpr erase``: a person's data out, or gone for good.

What the archive holds and what an erasure changes: docs/privacy.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trellis.cli_text import cli_translator

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def cmd_export(args: argparse.Namespace) -> None:
    """Write the archive of the person ``args.email`` of ``args.tenant`` to ``args.output``."""
    from trellis.platform.config import config_from_env
    from trellis.platform.privacy.export import write_atomically
    from trellis.platform.records.errors import RecordError
    from trellis.platform.runtime import Runtime
    from trellis.platform.services.privacy import PrivacyService

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        data = PrivacyService(runtime).export(args.tenant, args.email, None, None)
    except RecordError as exc:
        raise ValueError(exc.message) from None
    finally:
        runtime.close()
    write_atomically(Path(args.output), data)
    text = cli_translator().gettext(
        "Exported the data of %(email)s to %(path)s.", email=args.email, path=args.output
    )
    sys.stdout.write(text + "\n")


def cmd_erase(args: argparse.Namespace) -> None:
    """Erase the person ``args.email`` of ``args.tenant`` (``--dry-run``: say what)."""
    from trellis.platform.config import config_from_env
    from trellis.platform.records.errors import RecordError
    from trellis.platform.runtime import Runtime
    from trellis.platform.services.privacy import PrivacyService

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        done = PrivacyService(runtime).erase(args.tenant, args.email, args.dry_run, None, None)
    except RecordError as exc:
        raise ValueError(exc.message) from None
    finally:
        runtime.close()
    sys.stdout.write(json.dumps(done.as_json(), indent=2) + "\n")
    sys.stderr.write(_erase_summary(args.email, done.as_json()) + "\n")


def _erase_summary(email: str, done: dict[str, Any]) -> str:
    """The erasure in one sentence in the command line's language (the JSON on standard
    output stays as the API answers it, for scripts)."""
    t = cli_translator()
    counts = {"fields": done["fields"], "files": done["files"], "records": len(done["records"])}
    if done["already_erased"]:
        at = (done["tombstone"] or {}).get("at") or "?"
        return t.gettext("%(email)s was already erased (%(at)s).", email=email, at=at)
    if done["dry_run"]:
        return t.gettext(
            "Dry run: %(fields)s fields and %(files)s files of %(records)s records of "
            "%(email)s would be erased; nothing was changed.",
            email=email,
            **counts,
        )
    return t.gettext(
        "Erased %(fields)s fields and %(files)s files of %(records)s records of %(email)s.",
        email=email,
        **counts,
    )


def cmd_retention(args: argparse.Namespace) -> None:
    """Run the retention rules of ``args.tenant`` now and print the report."""
    from trellis.platform.config import config_from_env
    from trellis.platform.runtime import Runtime
    from trellis.platform.services.retention import run_retention

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        report = run_retention(runtime, args.tenant, force=True, actor="cli")
    finally:
        runtime.close()
    rules = [r.as_json() for r in report.rules] if report is not None else []
    sys.stdout.write(json.dumps({"rules": rules}, indent=2) + "\n")


def add_gdpr_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_data_dir: WithDataDir,
) -> None:
    """Register ``gdpr export`` and ``gdpr erase``."""
    gdpr = sub.add_parser("gdpr", help="a person's data: export or erase").add_subparsers(
        dest="gdpr_command", required=True
    )
    export = with_data_dir(gdpr.add_parser("export", help="export everything about a person"))
    export.add_argument("tenant", help="the tenant's name")
    export.add_argument("--email", required=True, help="the person's e-mail address")
    export.add_argument("-o", "--output", required=True, help="the archive to write (.zip)")
    export.set_defaults(func=cmd_export)
    erase = with_data_dir(gdpr.add_parser("erase", help="anonymise a person for good"))
    erase.add_argument("tenant", help="the tenant's name")
    erase.add_argument("--email", required=True, help="the person's e-mail address")
    erase.add_argument("--dry-run", action="store_true", help="say what would be erased")
    erase.set_defaults(func=cmd_erase)
    retention = with_data_dir(gdpr.add_parser("retention", help="run the retention rules now"))
    retention.add_argument("tenant", help="the tenant's name")
    retention.set_defaults(func=cmd_retention)


__all__ = ["add_gdpr_commands"]
