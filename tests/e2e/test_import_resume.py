"""A killed import resumes after its last committed batch; XLSX limits refuse zip bombs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.readers import ReadOptions, RowSource
from trellis.platform.imports.runner import ImportOptions, Tick
from trellis.platform.imports.session import ImportPlan, import_row, new_import, run_import
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.bundle import Services

from helpers import PackageWriter


class Killed(BaseException):
    """Stands for the process being killed after a committed batch."""


def test_killed_import_resumes_without_duplicates(
    runtime: Runtime, write_package: PackageWriter, tmp_path: Path
) -> None:
    root = write_package({"item": "fields:\n  code: {type: integer, required: true}\n"})
    reg = runtime.registry
    reg.create_tenant("acme")
    publish(runtime, "acme", root)
    boss = reg.ensure_user("boss@acme.test", "long enough secret")
    reg.add_membership("acme", boss, ["admin"])
    identity = reg.member_identity("acme", boss)
    assert identity is not None
    call = Services(runtime).call_as("acme", identity)
    entity = call.app.entities["item"]
    source = tmp_path / "items.csv"
    source.write_text("code\n" + "".join(f"{n}\n" if n != 7 else "x\n" for n in range(25)))
    plan = ImportPlan(ImportOptions(batch_size=10))
    import_id = new_import(runtime, call, entity, "items.csv", plan)
    errors = tmp_path / "errors.csv"

    def kill(tick: Tick) -> None:
        if tick.progress.rows_done == 10:
            raise Killed

    with pytest.raises(Killed):
        run_import(runtime, call, entity, source, plan, import_id=import_id,
                   errors_path=errors, on_batch=kill)  # fmt: skip
    assert import_row(runtime, call, import_id)["state"] == "interrupted"
    assert import_row(runtime, call, import_id)["rows_done"] == 10
    progress, _ = run_import(runtime, call, entity, source, ImportPlan.from_row(
        import_row(runtime, call, import_id)), import_id=import_id, errors_path=errors)  # fmt: skip
    assert progress.counts() == {"created": 24, "updated": 0, "unchanged": 0, "failed": 1}
    t = entity.table
    with runtime.engines.tenant_connection("acme") as conn:
        codes = sorted(conn.execute(sa.select(t.c.code)).scalars())
    assert codes == [n for n in range(25) if n != 7]  # each row once
    lines = errors.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith("9,code:")  # reported once
    row = import_row(runtime, call, import_id)
    assert row["state"] == "done" and row["rows_done"] == 25
    with pytest.raises(ImportRefusedError, match="is done; it cannot run again"):
        run_import(runtime, call, entity, source, plan, import_id=import_id)


def test_zip_bomb_and_missing_workbook_are_refused_with_their_limits(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 << 20))
    with pytest.raises(ImportRefusedError, match=r"compressed \d+ to 1; the limit is 200 to 1"):
        RowSource(bomb, ReadOptions())
    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(ImportRefusedError, match=r"no xl/workbook\.xml"):
        RowSource(other, ReadOptions())


def test_many_rows_stream_in_batches(
    runtime: Runtime, write_package: PackageWriter, tmp_path: Path
) -> None:
    root = write_package({"item": "fields:\n  code: {type: integer, required: true}\n"})
    reg = runtime.registry
    reg.create_tenant("acme")
    publish(runtime, "acme", root)
    boss = reg.ensure_user("boss@acme.test", "long enough secret")
    reg.add_membership("acme", boss, ["admin"])
    identity = reg.member_identity("acme", boss)
    assert identity is not None
    call = Services(runtime).call_as("acme", identity)
    entity = call.app.entities["item"]
    # 20,000 rows on SQLite; PostgreSQL's per-row round trips keep it to 3,000 there.
    rows = 3_000 if runtime.config.database_url else 20_000
    source = tmp_path / "many.csv"
    source.write_text("code\n" + "".join(f"{n}\n" for n in range(rows)))
    plan = ImportPlan(ImportOptions())
    import_id = new_import(runtime, call, entity, "many.csv", plan)
    ticks: list[int] = []
    progress, _ = run_import(runtime, call, entity, source, plan, import_id=import_id,
                             on_batch=lambda t: ticks.append(t.progress.rows_done))  # fmt: skip
    assert progress.created == rows and progress.failed == 0
    assert ticks == list(range(1000, rows + 1, 1000))
    t = entity.table
    with runtime.engines.tenant_connection("acme") as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() == rows
