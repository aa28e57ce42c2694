"""Cancelling an import: it stops after its current batch, keeps what it wrote, undo works."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.imports.cancel import cancel_import
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.runner import ImportOptions, Tick
from trellis.platform.imports.session import ImportPlan, import_row, new_import, run_import
from trellis.platform.imports.undo import undo_import
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.platform.services.bundle import Services

from helpers import Api, PackageWriter, make_tenant

ITEM = "fields:\n  code: {type: integer, required: true}\n"


@pytest.fixture
def acme(runtime: Runtime, client: TestClient[Any], write_package: PackageWriter) -> Api:
    return Api(client, "acme", make_tenant(runtime, write_package, "acme", {"item": ITEM}))


def _call(runtime: Runtime) -> Any:
    identity = runtime.registry.member_identity(
        "acme", runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    )
    assert identity is not None
    return Services(runtime).call_as("acme", identity)


def _codes(runtime: Runtime, call: Any) -> list[int]:
    t = call.app.entities["item"].table
    with runtime.engines.tenant_connection("acme") as conn:
        live = conn.execute(sa.select(t.c.code).where(t.c.deleted_at.is_(None))).scalars()
        return sorted(live)


def test_a_running_import_stops_after_its_current_batch_and_can_be_undone(
    runtime: Runtime, acme: Api, tmp_path: Path
) -> None:
    call = _call(runtime)
    entity = call.app.entities["item"]
    source = tmp_path / "items.csv"
    source.write_text("code\n" + "".join(f"{n}\n" for n in range(35)))
    plan = ImportPlan(ImportOptions(batch_size=10))
    import_id = new_import(runtime, call, entity, "items.csv", plan)
    answers: list[dict[str, Any]] = []

    def cancel_during_the_second_batch(tick: Tick) -> None:
        if tick.progress.rows_done == 10:  # the stop point: asked while batch 2 is next
            answers.append(acme.post(f"_imports/{import_id}/cancel").json())

    progress, _ = run_import(runtime, call, entity, source, plan, import_id=import_id,
                             on_batch=cancel_during_the_second_batch)  # fmt: skip
    assert answers[0]["state"] == "cancelling" and answers[0]["rows"] == 10
    assert progress.rows_done == 10 and progress.created == 10
    row = acme.get(f"_imports/{import_id}").json()
    assert row["state"] == "cancelled" and row["rows"] == 10, row
    assert row["counts"]["created"] == 10 and row["finished_at"] is not None
    assert row["message"] == "Cancelled after 10 rows."
    assert _codes(runtime, call) == list(range(10))  # committed rows stay
    with pytest.raises(ImportRefusedError, match="is cancelled; it cannot run again"):
        run_import(runtime, call, entity, source, plan, import_id=import_id)
    again = acme.post(f"_imports/{import_id}/cancel")
    assert again.status_code == 409 and "only a queued or running" in again.text
    spanish = acme.post(f"_imports/{import_id}/cancel", headers={"Accept-Language": "es"})
    assert "solo se puede cancelar" in spanish.text, spanish.text
    report = undo_import(runtime, call, import_id)
    assert report.as_json()["deleted"] == 10 and _codes(runtime, call) == []
    assert import_row(runtime, call, import_id)["state"] == "undone"


def test_a_queued_upload_cancelled_before_it_runs_writes_nothing(
    runtime: Runtime, acme: Api, client: TestClient[Any]
) -> None:
    files = {"file": ("items.csv", b"code\n1\n2\n", "text/csv")}
    started = client.post("/t/acme/api/item/_import", files=files, headers=acme.headers)
    assert started.status_code == 202, started.text
    import_id = started.json()["id"]
    rep = runtime.registry.ensure_user("rep@acme.test", "correct horse battery")
    runtime.registry.add_membership("acme", rep, ["user"])
    other = Api(client, "acme", runtime.registry.create_token("acme", "rep@acme.test"))
    assert other.post(f"_imports/{import_id}/cancel").status_code == 404  # not theirs
    assert acme.post("_imports/999999/cancel").status_code == 404
    cancelled = acme.post(f"_imports/{import_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["message"] == "Cancelled by admin@acme.test."
    Dispatcher(runtime).run_due()
    assert acme.get(f"_imports/{import_id}").json()["state"] == "cancelled"
    assert acme.get("item").json()["items"] == []


def test_a_cancel_request_left_by_a_dead_run_ends_cancelled_when_its_job_comes_back(
    runtime: Runtime, acme: Api, client: TestClient[Any]
) -> None:
    files = {"file": ("items.csv", b"code\n1\n", "text/csv")}
    import_id = client.post("/t/acme/api/item/_import", files=files, headers=acme.headers).json()[
        "id"
    ]
    call = _call(runtime)
    t = call.app.metadata.tables["_imports"]
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        conn.execute(t.update().where(t.c.id == import_id).values(state="running"))
    assert cancel_import(runtime, call, import_id)["state"] == "cancelling"
    Dispatcher(runtime).run_due()  # the job: nobody runs it any more, so it ends
    assert acme.get(f"_imports/{import_id}").json()["state"] == "cancelled"
    assert acme.get("item").json()["items"] == []


def test_cli_cancels_a_queued_import_and_refuses_an_ended_one(
    runtime: Runtime, acme: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:  # fmt: skip
    from trellis.cli import main

    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    data = ["--data-dir", str(runtime.config.data_dir)]
    files = {"file": ("items.csv", b"code\n1\n", "text/csv")}
    first = client.post("/t/acme/api/item/_import", files=files, headers=acme.headers).json()["id"]
    assert main(["import", "cancel", "acme", str(first), *data]) == 0
    assert f"import {first} cancelled after 0 rows" in capsys.readouterr().out
    assert main(["import", "cancel", "acme", str(first), *data]) == 1
    assert "only a queued or running import can be cancelled" in capsys.readouterr().err
    assert main(["import", "cancel", "acme", "x", *data]) == 1
    assert "usage: trellis import cancel TENANT ID" in capsys.readouterr().err
