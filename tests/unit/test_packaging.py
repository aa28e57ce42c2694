"""Packaging: the standard library's platform stays visible, every package ships."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ROOTS = {
    "platform": "platform",
    "metadata": "metadata",
    "rules": "rules",
    "ui": "ui",
    "tenants": "tenants",
    "seed": "seed",
}


def test_stdlib_platform_is_not_shadowed() -> None:
    code = "import platform, sqlalchemy; print(platform.system())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() in {"Linux", "Darwin", "Windows"}


def test_roots_have_no_init_file() -> None:
    for folder in ROOTS:
        assert not (REPO_ROOT / folder / "__init__.py").exists(), folder


def _declared_packages() -> set[str]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_declared() -> None:
    found = {"trellis"} | {f"trellis.{root}" for root in ROOTS}
    for root in ROOTS:
        for init in (REPO_ROOT / root).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO_ROOT / root)
            found.add(".".join(["trellis", root, *relative.parts]))
    assert found == _declared_packages()


@pytest.mark.slow
def test_wheel_contains_code_and_resources(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("trellis_platform-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "trellis/cli.py",
        "trellis/platform/api/app.py",
        "trellis/rules/expr/grammar.lark",
        "trellis/seed/crm/app.yaml",
        "trellis/seed/crm/entities/opportunity.yaml",
        "trellis/seed/crm/dashboards/sales.yaml",
        "trellis/metadata/loader/schemas/dashboard.schema.json",
        "trellis/metadata/loader/schemas/entity.schema.json",
    ):
        assert expected in names, expected
    assert not any(n.startswith("platform/") for n in names)
