"""The import wizard without a browser: upload, mapping and preview, dry run, run, report,
cancel and undo, and the bad inputs refused with nothing imported (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.imports.store import imports_table
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.ui.screens import import_routes
from trellis.ui.screens.app import create_web_app

from ui_support import add_user, crm_tenant, csrf_cookie, sign_in

# "Company" is no field name or label: the member maps it to the account name.
CSV = b"Company,Industry,Phone\nAcme,Technology,555\nBeta,nonsense,556\nGamma,Retail,557\n"
BASE = "/t/acme/e/account/_import"


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient[Any]]:
    """Tenant ``acme`` (CRM) and a client signed in as its admin."""
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield client


def _token(client: TestClient[Any]) -> str:
    return csrf_cookie(client, "/t/acme/")


def _upload(client: TestClient[Any], content: bytes, name: str = "a.csv", **data: Any) -> Any:
    return client.post(
        f"{BASE}/upload",
        data={"_csrf_token": _token(client), "mode": "insert", **data},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )


def _draft(client: TestClient[Any], content: bytes = CSV) -> str:
    answer = _upload(client, content)
    assert answer.status_code == 303, answer.text
    location = str(answer.headers["location"])
    assert location.startswith(f"{BASE}/")
    return location


def _post(client: TestClient[Any], url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"_csrf_token": _token(client), **data}, follow_redirects=False)


def _names(client: TestClient[Any]) -> list[str]:
    page = client.get("/t/acme/e/account?sort=name").text
    return sorted(n for n in ("Acme", "Beta", "Gamma") if f">{n}<" in page)


def _count(html: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', html)
    assert found, html
    return int(found.group(1))


def test_the_wizard_maps_previews_dry_runs_runs_reports_and_undoes(
    web: TestClient[Any], runtime: Runtime
) -> None:
    listing = web.get("/t/acme/e/account")
    assert 'id="import-action"' in listing.text
    assert web.get(BASE).status_code == 200
    draft = _draft(web)
    mapping = web.get(draft)
    assert mapping.status_code == 200
    assert "Required field &#39;name&#39; has no column" in mapping.text
    assert 'id="import-actions"' not in mapping.text  # nothing can start yet
    # the member maps "Company" to the name (htmx re-renders the mapping and preview)
    fixed = web.post(
        draft,
        data={"_csrf_token": _token(web), "mode": "insert", "col-0": "name", "col-1": "industry",
              "col-2": "phone"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert fixed.status_code == 200 and 'id="import-mapping"' in fixed.text
    assert "<html" not in fixed.text and 'id="import-actions"' in fixed.text
    preview = fixed.text.split('id="import-preview"', 1)[1]
    assert "Acme" in preview and "technology" in preview
    assert "&#39;nonsense&#39; is not an option of industry" in preview
    assert "1 cells in the preview" in fixed.text
    # a dry run: a background job that writes nothing
    dry = _post(web, f"{draft}/start", {"dry_run": "1"})
    assert dry.status_code == 303
    status_url = str(dry.headers["location"])
    assert "draft=" in status_url
    live = web.get(status_url)
    assert 'hx-trigger="every 1s"' in live.text and 'id="import-cancel"' in live.text
    Dispatcher(runtime).run_due()
    report = web.get(status_url).text
    assert "every 1s" not in report and "nothing was written" in report
    assert (_count(report, "created"), _count(report, "failed")) == (2, 1)
    assert _names(web) == []
    # the real run from the dry run's report
    assert f"{draft}/start" in report
    run = _post(web, f"{draft}/start", {"dry_run": "0"})
    assert run.status_code == 303
    done_url = str(run.headers["location"])
    assert _post(web, f"{draft}/start", {"dry_run": "0"}).status_code == 404  # a second click
    Dispatcher(runtime).run_due()
    final = web.get(done_url).text
    assert (_count(final, "created"), _count(final, "failed")) == (2, 1)
    assert _names(web) == ["Acme", "Gamma"]
    assert "Row 3: Industry: &#39;nonsense&#39; is not an option of industry" in final
    assert web.get(draft).status_code == 404  # the draft went with the run
    href = re.search(r'id="import-error-file" href="([^"]+)"', final)
    assert href, final
    errors = list(csv.reader(io.StringIO(web.get(href.group(1)).text)))
    assert errors[0][:3] == ["row", "errors", "Company"] and errors[1][0] == "3"
    assert "industry" in errors[1][1] and len(errors) == 2
    undo = _post(web, f"{done_url}/undo", {})
    assert undo.status_code == 303
    after = web.get(done_url).text
    assert "Import undone: 2 records deleted" in after and 'id="import-undo"' not in after
    assert _names(web) == []
    # the saved mapping is offered with the next file of the same columns
    again = web.get(_draft(web)).text
    assert "has no column" not in again and 'id="import-actions"' in again


def test_cancel_stops_a_queued_import(web: TestClient[Any], runtime: Runtime) -> None:
    draft = _draft(web)
    _post(web, draft, {"mode": "insert", "col-0": "name"})
    url = str(_post(web, f"{draft}/start", {"dry_run": "0"}).headers["location"])
    cancelled = _post(web, f"{url}/cancel", {})
    assert cancelled.status_code == 303
    page = web.get(url).text
    assert "cancelled" in page and "every 1s" not in page
    Dispatcher(runtime).run_due()
    assert _names(web) == []


@pytest.mark.parametrize(
    ("content", "data", "expected"),
    [
        (b"name,Name\nA,B\n", {}, "appears twice"),
        ("name,industry\nCaf\u00e9,retail\n".encode("cp1252"), {}, "is not valid utf-8"),
        (b"", {}, "The file is empty"),
        (CSV, {"mode": "merge"}, "is not offered to you"),
    ],
    ids=["duplicate-headers", "wrong-encoding", "empty", "unknown-mode"],
)
def test_bad_files_are_refused_on_the_upload_page(
    web: TestClient[Any], content: bytes, data: dict[str, Any], expected: str
) -> None:
    answer = _upload(web, content, **data)
    assert answer.status_code == 422, answer.text
    assert 'id="import-problems"' in answer.text and expected in answer.text.replace("&#39;", "'")
    assert "nothing was imported" in answer.text
    assert _names(web) == []


def test_ragged_rows_and_unmapped_required_fields_show_in_the_mapping(
    web: TestClient[Any],
) -> None:
    draft = _draft(web, b"Account name,Industry\nAcme,retail\nBeta,retail,extra\n")
    text = web.get(draft).text
    assert "The row has 3 cells; the header has 2." in text
    skipped = _post(web, draft, {"mode": "insert", "col-0": "", "col-1": "industry"})
    assert "Required field &#39;name&#39; has no column" in skipped.text
    refused = _post(web, f"{draft}/start", {"dry_run": "0"})
    assert refused.status_code == 422 and "has no column" in refused.text
    assert _names(web) == []


def test_oversized_files_are_refused(web: TestClient[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_routes, "MAX_UPLOAD_BYTES", 64 * 1024)
    big = b"name\n" + b"x" * 200_000 + b"\n"
    answer = _upload(web, big)
    assert answer.status_code == 413
    assert "The file is larger than the" in answer.text and "nothing was imported" in answer.text
    assert _names(web) == []


def test_only_members_who_may_import_reach_the_wizard(
    web: TestClient[Any], runtime: Runtime
) -> None:
    draft = _draft(web)
    with TestClient(app=create_web_app(runtime)) as rep:
        assert sign_in(rep, "acme", "rep@acme.test").status_code == 303
        assert 'id="import-action"' not in rep.get("/t/acme/e/account").text
        assert rep.get(BASE).status_code == 403
        assert rep.get(draft).status_code == 403
        assert rep.get("/t/acme/imports/1").status_code == 404


def test_the_wizard_speaks_spanish(web: TestClient[Any]) -> None:
    spanish = {"Accept-Language": "es-ES,es;q=0.9"}
    page = web.get(BASE, headers=spanish).text
    assert "<h1>Importar Cuentas</h1>" in page and "Subir y asignar columnas" in page
    draft = _draft(web)
    mapping = web.get(draft, headers=spanish).text
    assert "Corrija la correspondencia antes de importar:" in mapping
    assert "(omitir esta columna)" in mapping and "Vista previa de las primeras 3 filas" in mapping
    refused = _upload(web, b"name,Name\nA,B\n")
    assert refused.status_code == 422
    again = web.post(
        f"{BASE}/upload",
        data={"_csrf_token": _token(web), "mode": "insert"},
        files={"file": ("x.csv", b"name,Name\nA,B\n", "text/csv")},
        headers=spanish,
    )
    assert "no se importó nada" in again.text


def test_htmx_uploads_stream_and_refuse_a_file_over_the_limit_midway(
    web: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"x-csrftoken": _token(web), "HX-Request": "true"}
    files = {"file": ("a.csv", CSV, "text/csv")}
    data = {"mode": "upsert", "key": "name"}
    answer = web.post(f"{BASE}/upload", data=data, files=files, headers=headers)
    assert answer.status_code == 204, answer.text
    draft = str(answer.headers["hx-redirect"])
    text = web.get(draft).text
    assert '<option value="upsert" selected>' in text.replace("\n", "")
    assert '<option value="name" selected>' in text
    monkeypatch.setattr(import_routes, "MAX_UPLOAD_BYTES", 1024)
    big = {"file": ("b.csv", b"name\n" + b"y" * 4096 + b"\n", "text/csv")}
    refused = web.post(f"{BASE}/upload", data=data, files=big, headers=headers)
    assert refused.status_code == 422 and "The file is larger than the" in refused.text
    assert _names(web) == []


def test_the_panel_shows_rows_rate_and_time_left_while_running(
    web: TestClient[Any], runtime: Runtime
) -> None:
    draft = _draft(web)
    _post(web, draft, {"mode": "insert", "col-0": "name"})
    url = str(_post(web, f"{draft}/start", {"dry_run": "0"}).headers["location"])
    import_id = int(url.rsplit("/", 1)[1])
    (runtime.config.data_dir / "imports" / "acme" / str(import_id) / "estimate").write_text("1000")
    table = imports_table(runtime.app_runtime("acme").app.metadata)
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        start = conn.execute(sa.select(table.c.created_at)).scalar_one()
        conn.execute(
            table.update().values(
                state="running", rows_done=500, updated_at=start + timedelta(seconds=10)
            )
        )
    panel = web.get(f"{url}?part=panel", headers={"HX-Request": "true"}).text
    assert "<html" not in panel and 'hx-trigger="every 1s"' in panel
    assert "500 of about 1,000 rows" in panel and "50 rows/s" in panel
    assert "about 10 s left" in panel and 'value="50"' in panel
