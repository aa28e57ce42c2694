"""``trellis export``: streamed to a file as a member, scoped, titled, atomic, audited."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from trellis.cli import main
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.bundle import Services

from helpers import PackageWriter

ENTITIES = {
    "company": "fields:\n  name: {type: string}\n",
    "deal": (
        "fields:\n  name: {type: string}\n  note: {type: string}\n"
        "  company: {type: reference, to: company}\n"
    ),
}
ROLES = """roles:
  rep:
    entities:
      company: {actions: [read, create], scope: own}
      deal: {actions: [read, create, export], scope: own}
"""


@pytest.fixture
def cli(
    runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Tenant ``acme``: admin boss, rep ann; deals of both; returns ``--data-dir`` args."""
    root = write_package(ENTITIES)
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    reg = runtime.registry
    reg.create_tenant("acme")
    publish(runtime, "acme", root)
    boss = reg.ensure_user("boss@acme.test", "long enough secret")
    ann = reg.ensure_user("ann@acme.test", "long enough secret")
    reg.add_membership("acme", boss, ["admin"])
    reg.add_membership("acme", ann, ["rep"])
    services = Services(runtime)
    for user, rows in ((boss, ["Big", "=HYPERLINK()"]), (ann, ["Small"])):
        identity = reg.member_identity("acme", user)
        assert identity is not None
        call = services.call_as("acme", identity)
        company = services.records.create(call, call.app.entities["company"], {"name": "Acme"})
        for name in rows:
            body = {"name": name, "note": name, "company": company.record["id"]}
            services.records.create(call, call.app.entities["deal"], body)
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    return ["--data-dir", str(runtime.config.data_dir)]


def test_export_as_the_first_admin_to_csv_names_references(
    cli: list[str], tmp_path: Path, runtime: Runtime
) -> None:
    out = tmp_path / "out" / "deals.csv"
    assert main(["export", "acme", "deal", "-o", str(out), *cli]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    # Text that a spreadsheet would run as a formula is neutralised.
    assert sorted(r["name"] for r in rows) == ["'=HYPERLINK()", "Big", "Small"]
    assert {r["company"] for r in rows} == {"Acme"}
    assert next(r for r in rows if r["name"] == "Big")["owner_id"] == "boss"
    assert next(r for r in rows if r["note"] == "'=HYPERLINK()")
    assert [p.name for p in out.parent.iterdir()] == ["deals.csv"]  # no temporary left
    audit = runtime.registry.audit.entries(runtime.registry.get_tenant("acme").id)  # type: ignore[union-attr]
    assert any(a.action == "export" and a.actor == "boss@acme.test" for a in audit)


def test_export_as_a_member_keeps_their_scope_in_every_format(
    cli: list[str], tmp_path: Path
) -> None:
    for fmt in ("json", "jsonl", "xlsx"):
        out = tmp_path / f"ann.{fmt}"
        args = ["export", "acme", "deal", "--as", "ANN@acme.test", "--format", fmt]
        assert main([*args, "-o", str(out), "--fields", "name,company", *cli]) == 0
        if fmt == "json":
            assert json.loads(out.read_bytes()) == [{"id": 3, "name": "Small", "company": "Acme"}]
        elif fmt == "jsonl":
            lines = out.read_text().splitlines()
            assert [json.loads(x)["name"] for x in lines] == ["Small"]
        else:
            sheet = load_workbook(out, read_only=True).active
            assert sheet is not None
            values = [list(r) for r in sheet.iter_rows(values_only=True)]
            assert values == [["id", "name", "company"], [3, "Small", "Acme"]]
    ids = tmp_path / "ids.json"
    assert main(["export", "acme", "deal", "--ids", "--format", "json", "-o", str(ids), *cli]) == 0
    assert {r["company"] for r in json.loads(ids.read_bytes())} == {1, 2}


def test_export_refusals_write_nothing(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exports" / "x.csv"
    cases = [
        (["--as", "nobody@acme.test"], "not a member"),
        (["--filter", "nope > 1"], "nope"),
        (["--fields", "name,secret"], "secret"),
    ]
    for extra, message in cases:
        assert main(["export", "acme", "deal", "-o", str(out), *extra, *cli]) == 1
        assert message in capsys.readouterr().err
    assert main(["export", "acme", "ghost", "-o", str(out), *cli]) == 1
    assert "ghost" in capsys.readouterr().err
    assert main(["export", "nowhere", "deal", "-o", str(out), *cli]) == 1
    assert not out.exists() and list(out.parent.iterdir()) == []  # no temporary file left


def test_export_to_standard_output(
    cli: list[str], capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["export", "acme", "deal", "--format", "jsonl", "--fields", "name", *cli]) == 0
    captured = capsysbinary.readouterr()
    assert sorted(json.loads(x)["name"] for x in captured.out.splitlines()) == [
        "=HYPERLINK()",
        "Big",
        "Small",
    ]
    assert b"Exported 3 deal record(s)" in captured.err
    assert sys.stdout is not None
