"""No module-level mutable state in platform/: per-app state lives on the AppRuntime.

A module global holding a dict, list, set, weak dictionary or lock is state shared by
every tenant and app version of the process, invisible to invalidation. Constants
(tuples, frozensets, read-only mappings, compiled regexes, loggers, and lookup tables
written out in full) are fine: state starts empty or from a constructor, a constant
table does not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLATFORM = Path(__file__).resolve().parents[2] / "platform"
MUTABLE_CALLS = frozenset(
    {
        "dict",
        "list",
        "set",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "deque",
        "fromkeys",
        "WeakKeyDictionary",
        "WeakValueDictionary",
        "WeakSet",
        "Lock",
        "RLock",
    }
)
#: Process-wide state a library forces on us, with the reason.
ALLOWED = {
    # RQ calls module-level job functions; they find this process's dispatcher here.
    "platform/jobs/rqueue.py",
}


def _empty_display(node: ast.expr) -> bool:
    if isinstance(node, ast.Dict):
        return not node.keys
    if isinstance(node, ast.List | ast.Set):
        return not node.elts
    return False


def _called_name(node: ast.expr) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def module_state(source: str, name: str = "<module>") -> list[str]:
    """Module-level assignments of mutable values and ``global`` rebinding, as text."""
    tree = ast.parse(source, name)
    found: list[str] = []
    for node in tree.body:
        value: ast.expr | None = None
        if isinstance(node, ast.Assign | ast.AnnAssign):
            value = node.value
        if value is None:
            continue
        if _empty_display(value) or _called_name(value) in MUTABLE_CALLS:
            found.append(f"{name}:{node.lineno}: module-level mutable value")
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.append(f"{name}:{node.lineno}: global {', '.join(node.names)}")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "_CACHE = {}",
        "_SEEN: list[int] = []",
        "from weakref import WeakKeyDictionary\n_T = WeakKeyDictionary()",
        "import threading\n_LOCK = threading.Lock()",
        "X = None\ndef f():\n    global X\n    X = 1",
        "_BY = dict.fromkeys('ab')",
        "_NAMES: set[str] = set()",
    ],
)
def test_the_scan_finds_planted_state(source: str) -> None:
    assert module_state(source)


@pytest.mark.parametrize(
    "source",
    [
        "import re\nWORD = re.compile('x')",
        "NAMES = frozenset({'a'})",
        "from types import MappingProxyType\nBY = MappingProxyType({'a': 1})",
        "PAIR = (1, 2)",
        "import logging\nLOG = logging.getLogger('x')",
        "def f():\n    seen = {}\n    return seen",
        "RANKS = {'change': 0, 'email': 1}",
    ],
)
def test_the_scan_allows_constants(source: str) -> None:
    assert module_state(source) == []


def test_platform_holds_no_module_level_mutable_state() -> None:
    files = sorted(PLATFORM.rglob("*.py"))
    assert len(files) > 100
    found = [
        problem
        for path in files
        if str(path.relative_to(PLATFORM.parent)) not in ALLOWED
        for problem in module_state(path.read_text(), str(path.relative_to(PLATFORM.parent)))
    ]
    assert found == []


def test_no_side_table_is_keyed_by_the_compiled_app() -> None:
    """What is built per app version is a part of its ``AppRuntime`` (dropped with it),
    not a weak dictionary keyed by the compiled app inside a long-lived object."""
    side_tables = [
        str(path.relative_to(PLATFORM.parent))
        for path in sorted(PLATFORM.rglob("*.py"))
        if "WeakKeyDictionary[CompiledApp" in path.read_text()
    ]
    assert side_tables == []
