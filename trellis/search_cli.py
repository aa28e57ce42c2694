"""``trellis search reindex TENANT``: rebuild a tenant's search index (docs/search.md).

Prints one line per entity with the number of records indexed. Publishing keeps the
index in shape by itself; a reindex repairs it after records were written outside the
platform (a restore of a database dump, a hand-made SQL fix).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from trellis.cli_text import cli_translator
from trellis.platform.config import check_tenant_name, config_from_env

# Commands import what they use when they run, so that ``trellis --help`` stays fast.

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def cmd_search_reindex(args: argparse.Namespace) -> None:
    from trellis.platform.runtime import Runtime
    from trellis.platform.search.reindex import reindex

    check_tenant_name(args.tenant)
    runtime = Runtime(config_from_env(args.data_dir))
    try:
        done = reindex(runtime, args.tenant)
    finally:
        runtime.close()
    for entity, count in sorted(done.rebuilt.items()):
        _out(
            cli_translator().gettext(
                "%(entity)s: %(count)s records indexed", entity=entity, count=count
            )
        )
    if not done.rebuilt:
        _out(cli_translator().gettext("No entity has search fields; nothing to index."))


def add_search_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], with_data_dir: WithDataDir
) -> None:
    """``search reindex``."""
    search = sub.add_parser("search", help="global search index").add_subparsers(
        dest="search_command", required=True
    )
    rebuild = with_data_dir(
        search.add_parser("reindex", help="rebuild the tenant's search index from its records")
    )
    rebuild.add_argument("tenant", help="the tenant's name")
    rebuild.set_defaults(func=cmd_search_reindex)


__all__ = ["add_search_commands"]
