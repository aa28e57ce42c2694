"""``trellis tenant create --demo``: bad input is refused before anything is created.

The database does not matter here (nothing is written), so these run on SQLite only;
the demo load itself runs on both backends in test_demo_data.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT
from helpers import PackageWriter

CRM = REPO_ROOT / "seed" / "crm"


def _trellis(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRELLIS_")}
    env["TRELLIS_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "trellis", "tenant", "create", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _create(data: Path, template: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return _trellis(
        data, "acme", "--template", template, "--admin", "a@acme.test",
        "--password", "long enough secret", "--demo", *extra,
    )  # fmt: skip


def test_a_scale_that_is_not_above_zero_is_refused(tmp_path: Path) -> None:
    for scale in ("0", "-1", "many"):
        done = _create(tmp_path, str(CRM), "--scale", scale)
        assert done.returncode == 2
        assert f"'{scale}' is not a scale above 0 and at most 100" in done.stderr
    done = _create(tmp_path, str(CRM), "--anchor", "2026-13-01")
    assert done.returncode == 2 and "'2026-13-01' is not a date (YYYY-MM-DD)" in done.stderr
    assert not (tmp_path / "trellis.db").exists()


def test_a_template_without_demo_data_or_with_a_bad_spec_creates_no_tenant(
    tmp_path: Path, write_package: PackageWriter
) -> None:
    plain = write_package({"thing": "fields:\n  name: {type: string}\n"})
    done = _create(tmp_path / "one", str(plain))
    assert done.returncode == 1
    assert "has no demo data (data/demo/spec.yaml)" in done.stderr
    spec = plain / "data" / "demo" / "spec.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text("seed: 1\nrecords:\n  - entity: thng\n    count: 2\n", encoding="utf-8")
    done = _create(tmp_path / "two", str(plain))
    assert done.returncode == 1
    assert f"{spec}:3:13: error MD392: unknown entity 'thng' (did you mean 'thing'?)" in done.stderr
    assert "nothing was applied" in done.stderr
