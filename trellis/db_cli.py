"""``trellis db advise TENANT``: index declarations that would serve the slow lists noted in
the tenant's slow-list log (``TRELLIS_SLOW_LIST_MS``; docs/performance.md).

The advice is YAML to paste into the package's entity files; nothing is changed. After the
indexes are published, ``--clear`` empties the log so that it notes only what stays slow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING

from trellis.cli_text import CliError, cli_translator

if TYPE_CHECKING:
    from trellis.metadata.model import AppModel
    from trellis.platform.records.index_advice import Advice

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def cmd_advise(args: argparse.Namespace) -> None:
    """Print the advice for ``args.tenant`` (and clear its log on ``--clear``)."""
    from sqlalchemy.exc import DBAPIError

    from trellis.platform.config import check_tenant_name, config_from_env
    from trellis.platform.records.index_advice import advise
    from trellis.platform.runtime import Runtime
    from trellis.platform.services.slow_lists import clear_slow_lists, read_slow_lists

    check_tenant_name(args.tenant)
    t = cli_translator()
    runtime = Runtime(config_from_env(args.data_dir))
    try:
        model = runtime.app(args.tenant).model
        noted = read_slow_lists(runtime, args.tenant)
        advice = advise(model, noted, min_count=args.min_count)
        cleared = clear_slow_lists(runtime, args.tenant) if args.clear else None
    except DBAPIError as error:
        # A tenant published before the log existed has no _slow_lists table yet.
        raise CliError(
            t.gettext(
                "Cannot read the slow-list log of '%(tenant)s' (%(error)s). A tenant "
                "published before the log existed gets its table from "
                "'trellis migrate --tenant %(tenant)s'.",
                tenant=args.tenant,
                error=error.orig,
            )
        ) from None
    finally:
        runtime.close()
    lists = sum(n.count for n in noted)
    _out(
        t.gettext(
            "Slow lists noted in tenant '%(tenant)s': %(shapes)s shape(s), %(lists)s list(s).",
            tenant=args.tenant,
            shapes=len(noted),
            lists=lists,
        )
    )
    for line in advice_lines(model, advice):
        _out(line)
    if not advice.indexes and not advice.trigrams:
        _out(t.gettext("No index to add: the existing indexes serve every noted list."))
    if cleared is not None:
        _out(t.gettext("The log was cleared (%(rows)s row(s)).", rows=cleared))


def advice_lines(model: AppModel, advice: Advice) -> list[str]:
    """The advice as lines of text: per entity file, the YAML to add and why."""
    t = cli_translator()
    lines: list[str] = []
    for item in advice.indexes:
        lines += [
            "",
            t.gettext(
                "%(file)s: add under indexes: (%(count)s slow list(s), %(average)s ms on "
                "average, slowest %(slowest)s ms)",
                file=_file_of(model, item.entity),
                count=item.count,
                average=f"{item.average_ms:.0f}",
                slowest=f"{item.max_ms:.0f}",
            ),
            "indexes:",
            f"  - [{', '.join(item.fields)}]",
        ]
    for text in advice.trigrams:
        lines += [
            "",
            t.gettext(
                "%(file)s: on field %(field)s, for %(count)s slow list(s) matching text "
                "(contains, ends_with; PostgreSQL):",
                file=_file_of(model, text.entity),
                field=text.field,
                count=text.count,
            ),
            f"  {text.field}: {{indexed: trigram}}",
        ]
    return lines


def _file_of(model: AppModel, entity: str) -> str:
    """The entity's file inside its package (``entities/deal.yaml``)."""
    path = PurePath(model.entities[entity].source.path)
    if path.parent.name == "entities":
        return f"entities/{path.name}"
    return f"entities/{entity}.yaml"


def add_db_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], with_data_dir: WithDataDir
) -> None:
    """Register ``db advise``."""
    db = sub.add_parser("db", help="database tools").add_subparsers(
        dest="db_command", required=True
    )
    advise = with_data_dir(
        db.add_parser("advise", help="indexes that would serve the slow lists noted")
    )
    advise.add_argument("tenant", help="the tenant's name")
    advise.add_argument(
        "--min-count",
        type=int,
        default=1,
        help="propose only indexes serving at least this many slow lists (default 1)",
    )
    advise.add_argument(
        "--clear", action="store_true", help="empty the log after printing the advice"
    )
    advise.set_defaults(func=cmd_advise)


__all__ = ["add_db_commands", "advice_lines"]
