"""``trellis --help`` is instant and every option says what it does.

Speed is checked without a clock: answering ``--help`` for any command must not import
the heavy libraries (SQLAlchemy, Litestar, jsonschema, Lark, Casbin, Alembic, uvicorn,
Redis), which is where the seconds went; bench/RESULTS.md has the measured figure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator

from trellis.cli import build_parser

HEAVY = ("sqlalchemy", "litestar", "jsonschema", "lark", "casbin", "alembic", "uvicorn", "redis")

PROBE = """
import json, sys
from trellis.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy})))
"""


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (command path, parser) pair, the top level included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def heavy_modules_after(*argv: str) -> list[str]:
    code = PROBE.format(heavy=set(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_of_every_command_imports_no_heavy_library() -> None:
    paths = [p for p, _ in commands(build_parser())]
    assert ("serve",) in paths and ("tenant", "create") in paths
    for path in paths:
        assert heavy_modules_after(*path, "--help") == [], path


def test_every_option_and_argument_has_help_text() -> None:
    missing = [
        f"trellis {' '.join(path)}: {action.dest}"
        for path, parser in commands(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not action.help
        and action.help != argparse.SUPPRESS
    ]
    assert missing == []
