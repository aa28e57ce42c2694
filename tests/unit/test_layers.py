"""The import direction between the six folders stays as DESIGN.md §1 draws it."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {
    "metadata": set(),
    "rules": {"metadata"},
    "tenants": {"metadata"},
    "platform": {"metadata", "rules", "tenants"},
    "ui": {"metadata", "rules", "tenants", "platform"},
    "seed": set(),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_imports_point_down_the_layers() -> None:
    wrong: list[str] = []
    for layer, allowed in ALLOWED.items():
        for path in (REPO_ROOT / layer).rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] != "trellis" or len(parts) < 2:
                    continue
                target = parts[1]
                if target in ALLOWED and target != layer and target not in allowed:
                    wrong.append(f"{path.relative_to(REPO_ROOT)} imports {name}")
    assert wrong == []


def test_the_checker_catches_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from trellis.platform.runtime import Runtime\n")
    assert "trellis.platform.runtime" in _imports(module)
