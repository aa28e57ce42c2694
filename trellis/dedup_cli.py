"""``trellis dedup scan TENANT ENTITY``: groups of duplicates among existing records.

The entity's ``duplicates:`` rules (docs/duplicates.md) are applied to its live rows,
block by block (memory holds one block, not the table). Text output prints one group a
line (rule, score, ids and titles) and a summary; ``--json`` prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trellis.cli_text import cli_translator
from trellis.platform.config import check_tenant_name, config_from_env

if TYPE_CHECKING:
    from trellis.platform.duplicates.scan import DuplicateGroup, ScanStats

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


class DedupCliError(ValueError):
    """The scan cannot run: unknown entity or rule, or no rules; nothing is read."""


def _line(group: DuplicateGroup) -> str:
    people = ", ".join(f"{i} {t}" for i, t in zip(group.ids, group.titles, strict=True))
    return f"{group.rule}\t{group.score:.2f}\t{people}"


def _summary(stats: ScanStats, groups: int) -> str:
    t = cli_translator()
    text = t.ngettext(
        "%(num)s group of duplicates; %(rows)s rows read in %(blocks)s blocks, "
        "%(comparisons)s comparisons",
        "%(num)s groups of duplicates; %(rows)s rows read in %(blocks)s blocks, "
        "%(comparisons)s comparisons",
        groups,
        rows=stats.rows,
        blocks=stats.blocks,
        comparisons=stats.comparisons,
    )
    for rule, size in stats.skipped_blocks:
        text += "\n" + t.gettext(
            "skipped a block of %(size)s rows of rule '%(rule)s': its blocking key is too coarse",
            size=size,
            rule=rule,
        )
    return text


def cmd_dedup_scan(args: argparse.Namespace) -> None:
    """Print the duplicate groups of an entity."""
    from trellis.platform.duplicates.scan import ScanStats, scan
    from trellis.platform.runtime import Runtime

    check_tenant_name(args.tenant)
    runtime = Runtime(config_from_env(args.data_dir))
    try:
        app = runtime.app(args.tenant)
        entity = app.entities.get(args.entity)
        if entity is None:
            raise DedupCliError(
                cli_translator().gettext(
                    "Tenant '%(tenant)s' has no entity '%(entity)s'.",
                    tenant=args.tenant,
                    entity=args.entity,
                )
            )
        rules = entity.entity.duplicates
        if args.rule:
            rules = tuple(r for r in rules if r.name == args.rule)
        if not rules:
            t = cli_translator()
            if args.rule:
                text = t.gettext(
                    "Entity '%(entity)s' has no rule '%(rule)s' (docs/duplicates.md).",
                    entity=args.entity,
                    rule=args.rule,
                )
            else:
                text = t.gettext(
                    "Entity '%(entity)s' has no duplicate rules (docs/duplicates.md).",
                    entity=args.entity,
                )
            raise DedupCliError(text)
        stats = ScanStats()
        found: list[dict[str, Any]] = []
        with runtime.engines.tenant_connection(args.tenant) as conn:
            for group in scan(conn, entity, stats, rules, max_block=args.max_block):
                if args.json:
                    found.append(group.as_json())
                else:
                    sys.stdout.write(_line(group) + "\n")
                    found.append({})
    finally:
        runtime.close()
    if args.json:
        document = {
            "entity": args.entity,
            "groups": found,
            "rows": stats.rows,
            "blocks": stats.blocks,
            "comparisons": stats.comparisons,
            "skipped_blocks": [{"rule": r, "rows": n} for r, n in stats.skipped_blocks],
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_summary(stats, len(found)) + "\n")


def add_dedup_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], with_data_dir: WithDataDir
) -> None:
    """``dedup scan``."""
    dedup = sub.add_parser("dedup", help="duplicate records").add_subparsers(
        dest="dedup_command", required=True
    )
    scan = with_data_dir(dedup.add_parser("scan", help="find groups of duplicate records"))
    scan.add_argument("tenant", help="the tenant's name")
    scan.add_argument("entity", help="the entity whose duplicates: rules to apply")
    scan.add_argument("--rule", default=None, help="apply only this rule (by name)")
    scan.add_argument("--json", action="store_true", help="print one JSON document")
    scan.add_argument(
        "--max-block",
        type=int,
        default=2000,
        help="skip (and report) blocks with more rows than this (default 2000)",
    )
    scan.set_defaults(func=cmd_dedup_scan)


__all__ = ["add_dedup_commands"]
