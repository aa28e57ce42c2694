"""``trellis import``: CSV and XLSX through the save pipeline, dry run, errors, upsert, undo."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from trellis.cli import main
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import PackageWriter

ENTITIES = {
    "company": "fields:\n  name: {type: string, required: true}\n",
    "person": """
        label: Person
        fields:
          name: {type: string, required: true, label: Full name}
          email: {type: email}
          stage: {type: enum, options: [new, won], option_labels: {new: Fresh, won: Closed won}}
          tags: {type: tags}
          joined: {type: date}
          score: {type: integer}
          double: {type: integer, formula: "score * 2"}
          company: {type: reference, to: company}
        validations:
          - {when: "score > 100", field: score, message: "Score must be at most 100."}
    """,
}
RULES = """
rule "Announce"
  on person created
  then webhook "https://hooks.invalid/people"
end
"""
MAP = """
columns: {Notes: null}
lookups: {company: name}
create_missing: [company]
formats: {joined: "%d/%m/%Y"}
"""


@pytest.fixture
def cli(
    runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Tenant ``acme`` with admin boss; returns the ``--data-dir`` arguments."""
    root = write_package(ENTITIES)
    (root / "rules").mkdir()
    (root / "rules" / "hooks.rules").write_text(RULES, encoding="utf-8")
    reg = runtime.registry
    reg.create_tenant("acme")
    publish(runtime, "acme", root)
    boss = reg.ensure_user("boss@acme.test", "long enough secret")
    reg.add_membership("acme", boss, ["admin"])
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    return ["--data-dir", str(runtime.config.data_dir)]


def _rows(runtime: Runtime, entity: str) -> list[dict[str, object]]:
    app = runtime.app("acme")
    t = app.entities[entity].table
    with runtime.engines.tenant_connection("acme") as conn:
        query = sa.select(t).where(t.c.deleted_at.is_(None)).order_by(t.c.id)
        return [dict(r) for r in conn.execute(query).mappings()]


def _sources(runtime: Runtime, entity: str) -> list[str]:
    app = runtime.app("acme")
    c = app.changes
    with runtime.engines.tenant_connection("acme") as conn:
        query = sa.select(c.c.source).where(c.c.entity == entity).order_by(c.c.id)
        return [str(s) for s in conn.execute(query).scalars()]


PEOPLE = (
    "\ufeffFull name,E-mail,Company,Stage,Tags,Joined,Score,Notes\n"
    "Ann,ann@x.test,Acme,Closed won,a; b,31/01/2026,10,hello\n"
    "Bob,bob@x.test,Acme,new,,01/02/2026,abc,\n"
    "Cid,cid@x.test,Beta,Fresh,,01/02/2026,5,\n"
    "Dee,dee@x.test,,won,,,500,\n"
    "Eve,eve@x.test,Beta,lost,,,1,\n"
    "Fay,fay@x.test,,new,,,1,extra,cells\n"
)


def test_csv_import_maps_labels_converts_and_reports_failed_rows(
    cli: list[str], tmp_path: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "people.csv"
    source.write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "map.yaml").write_text(MAP, encoding="utf-8")
    errors = tmp_path / "out" / "errors.csv"
    args = ["import", "acme", "person", str(source), "--map", str(tmp_path / "map.yaml")]
    assert main([*args, "--dry-run", *cli]) == 0
    assert "created 2, updated 0, unchanged 0, failed 4" in capsys.readouterr().out
    assert _rows(runtime, "person") == [] and _rows(runtime, "company") == []

    assert main([*args, "--errors", str(errors), *cli]) == 0
    assert "created 2, updated 0, unchanged 0, failed 4" in capsys.readouterr().out
    people = _rows(runtime, "person")
    assert [p["name"] for p in people] == ["Ann", "Cid"]
    ann = people[0]
    assert ann["stage"] == "won" and ann["tags"] == ["a", "b"] and ann["double"] == 20
    assert str(ann["joined"]) == "2026-01-31"
    assert [c["name"] for c in _rows(runtime, "company")] == ["Acme", "Beta"]
    # Acme was created for Ann's row; Bob's row failed, so nothing of it was kept.
    assert set(_sources(runtime, "person")) == {"import"}
    report = list(csv.reader(io.StringIO(errors.read_text(encoding="utf-8"))))
    assert report[0][:3] == ["row", "errors", "Full name"]
    by_row = {r[0]: r for r in report[1:]}
    assert sorted(by_row) == ["3", "5", "6", "7"]
    assert by_row["3"][1] == "score: 'abc' is not a whole number." and by_row["3"][2] == "Bob"
    assert "Score must be at most 100" in by_row["5"][1]
    assert "'lost' is not an option of stage" in by_row["6"][1]
    assert "The row has 9 cells; the header has 8." in by_row["7"][1]
    assert not list(errors.parent.glob("*.part"))


def test_upsert_updates_leaves_unchanged_refuses_ambiguous_keys_and_undo_reverts(
    cli: list[str], tmp_path: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first.csv"
    first.write_text("name,email,score\nAnn,ann@x.test,1\nBob,bob@x.test,2\nBob,b2@x.test,3\n")
    assert main(["import", "acme", "person", str(first), *cli]) == 0
    assert "import 1: created 3" in capsys.readouterr().out
    second = tmp_path / "second.csv"
    second.write_text("name,score\nAnn,50\nBob,9\nZed,7\n")
    args = ["import", "acme", "person", str(second), "--mode", "upsert", "--key", "name"]
    assert main([*args, "--errors", str(tmp_path / "e.csv"), *cli]) == 0
    out = capsys.readouterr().out
    assert "import 2: created 1, updated 1, unchanged 0, failed 1" in out
    assert "row 3: name: upsert_key 'name' matches 2 records" in out
    assert main([*args, *cli]) == 0  # the same file again: nothing to change
    assert "created 0, updated 0, unchanged 2, failed 1" in capsys.readouterr().out
    scores = {p["name"]: p["score"] for p in _rows(runtime, "person")}
    assert scores == {"Ann": 50, "Bob": 3, "Zed": 7}  # last Bob wins the dict; both kept

    assert main(["import", "undo", "acme", "2", *cli]) == 0
    assert "deleted 1, restored 1, skipped 0" in capsys.readouterr().out
    people = _rows(runtime, "person")
    assert sorted((p["name"], p["score"]) for p in people) == [
        ("Ann", 1), ("Bob", 2), ("Bob", 3)
    ]  # fmt: skip
    assert _sources(runtime, "person").count("import_undo") == 2
    assert main(["import", "undo", "acme", "2", *cli]) == 1
    assert "already undone" in capsys.readouterr().err


#: Files refused before any row is read: content, extra arguments, the reason given.
REFUSED = [
    (b"name,Name\nAnn,Ann\n", [], "Column 'Name' appears twice (columns 1 and 2)"),
    (b"email\nann@x.test\n", [], "Required field 'name' has no column"),
    ("name\nJos\u00e9\n".encode("cp1252"), [], "not valid utf-8 (byte 9 cannot be decoded)"),
    (b"name,score\nAnn,1\n", ["--mode", "update"], "Mode 'update' needs --key"),
    (b"PK\x03\x04broken", [], "not a valid .xlsx workbook"),
]


def test_bad_files_are_refused_before_any_row(
    cli: list[str], tmp_path: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.csv"
    for content, extra, message in REFUSED:
        source.write_bytes(content)
        assert main(["import", "acme", "person", str(source), *extra, *cli]) == 1
        err = capsys.readouterr().err
        assert message in err and "started" not in err
    assert _rows(runtime, "person") == []


def test_other_encodings_by_option_and_xlsx_sheets(
    cli: list[str], tmp_path: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    latin = tmp_path / "latin.csv"
    latin.write_bytes("name;score\nJos\u00e9;4\n".encode("cp1252"))
    assert main(["import", "acme", "person", str(latin), "--encoding", "cp1252", *cli]) == 0
    book = Workbook()
    sheet = book.active
    sheet.title = "People"
    sheet.append(["Full name", "Joined", "Score"])
    sheet.append(["Xia", __import__("datetime").datetime(2026, 3, 1), 3])
    book.save(tmp_path / "people.xlsx")
    xlsx = str(tmp_path / "people.xlsx")
    assert main(["import", "acme", "person", xlsx, "--sheet", "Nope", *cli]) == 1
    assert "no sheet 'Nope' (its sheets: 'People')" in capsys.readouterr().err
    assert main(["import", "acme", "person", xlsx, "--sheet", "People", *cli]) == 0
    people = {p["name"]: p for p in _rows(runtime, "person")}
    assert people["Jos\u00e9"]["score"] == 4
    assert str(people["Xia"]["joined"]) == "2026-03-01"


def test_rules_send_webhooks_only_with_side_effects(
    cli: list[str], tmp_path: Path, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "p.csv"
    source.write_text("name\nAnn\n", encoding="utf-8")
    assert main(["import", "acme", "person", str(source), *cli]) == 0
    assert main(["import", "acme", "person", str(source), "--side-effects", *cli]) == 0
    capsys.readouterr()
    app = runtime.app("acme")
    outbox, imports = app.metadata.tables["_outbox"], app.metadata.tables["_imports"]
    with runtime.engines.tenant_connection("acme") as conn:
        kinds = list(conn.execute(sa.select(outbox.c.kind)).scalars())
        recorded = [o["side_effects"] for o in conn.execute(sa.select(imports.c.options)).scalars()]
    assert kinds == ["webhook"]  # the second import's row only
    assert recorded == [False, True]
