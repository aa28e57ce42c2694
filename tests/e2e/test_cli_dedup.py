"""``trellis dedup scan``: duplicate groups over existing rows, text and JSON, both backends."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trellis.cli import main
from trellis.platform.automation import record_service
from trellis.platform.publish import publish
from trellis.platform.records.principal import SYSTEM
from trellis.platform.records.save_context import SaveContext
from trellis.platform.runtime import Runtime

from dedup_support import write_package

PEOPLE = [
    {"first_name": "Ana", "last_name": "Ruiz", "email": "ana@x.test", "phone": "+34 600 11 22"},
    {"first_name": "Anna", "last_name": "Ruiz", "phone": "34-600-11-22"},
    {"first_name": "Ana", "last_name": "Ruíz"},
    {"first_name": "Bruno", "last_name": "Diaz", "email": "b@x.test"},
    {"first_name": "Carla", "last_name": "Diaz"},
    {"first_name": "Bruno", "last_name": "Dias"},
]


@pytest.fixture
def cli(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Tenant ``acme`` with six people (imported as the system, duplicates allowed)."""
    root = write_package(tmp_path / "pkg")
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", root)
    app = runtime.app("acme")
    service = record_service(runtime.app_runtime("acme"))
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        ctx = SaveContext(conn, SYSTEM, runtime.clock.now(), source="import")
        ctx.allow_duplicate = True
        for person in PEOPLE:
            service.create(ctx, app.entities["person"], person)
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    return ["--data-dir", str(runtime.config.data_dir)]


def test_scan_prints_groups_per_rule_as_json(
    cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dedup", "scan", "acme", "person", "--json", *cli]) == 0
    document = json.loads(capsys.readouterr().out)
    groups = {(g["rule"], tuple(g["ids"])) for g in document["groups"]}
    assert groups == {
        ("same_phone", (1, 2)),
        ("similar_name", (1, 2, 3)),
        ("similar_name", (4, 6)),
    }
    # Blocks by the first two letters of the last name: never every pair.
    assert document["comparisons"] < 6 * 5 // 2


def test_scan_text_output_and_refusals(cli: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dedup", "scan", "acme", "person", "--rule", "same_phone", *cli]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "same_phone\t1.00\t1 Ruiz, 2 Ruiz"
    assert out[-1].startswith("1 group of duplicates; ")
    assert main(["dedup", "scan", "acme", "persona", *cli]) == 1
    assert "no entity 'persona'" in capsys.readouterr().err
    assert main(["dedup", "scan", "acme", "case", *cli]) == 1
    assert "has no duplicate rules" in capsys.readouterr().err
