"""``POST …/{entity}/_import`` (202, a job) and ``GET …/_imports/{id}``: state, counts, report."""

from __future__ import annotations

import csv
import io

from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime

from helpers import Api

CSV = "Name,Industry,Employees\nAcme,Tech,10\nBeta,space,5\nGamma,retail,x\nDelta,,3\n"


def _upload(api: Api, content: bytes, query: str = "") -> object:
    files = {"file": ("accounts.csv", content, "text/csv")}
    return api.client.post(f"/t/acme/api/account/_import{query}", files=files, headers=api.headers)


def test_upload_runs_as_a_job_and_reports_state_counts_and_errors(
    api: Api, runtime: Runtime
) -> None:
    dry = _upload(api, CSV.encode(), "?dry_run=true")
    assert dry.status_code == 202, dry.text  # type: ignore[attr-defined]
    answer = _upload(api, CSV.encode())
    assert answer.status_code == 202  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["state"] == "queued"
    assert answer.headers["location"] == body["url"] == f"/t/acme/api/_imports/{body['id']}"  # type: ignore[attr-defined]
    assert api.get(f"_imports/{body['id']}").json()["state"] == "queued"

    Dispatcher(runtime).run_due()

    status = api.get(f"_imports/{body['id']}").json()
    assert status["state"] == "done" and status["rows"] == 4
    assert status["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 2}
    assert status["side_effects"] is False and status["dry_run"] is False
    assert status["first_errors"][0]["row"] == 3
    report = api.get(status["errors_url"].removeprefix("/t/acme/api/"))
    rows = list(csv.reader(io.StringIO(report.text)))
    assert [r[0] for r in rows] == ["row", "3", "4"] and rows[1][2] == "Beta"
    names = sorted(r["name"] for r in api.get("account").json()["items"])
    assert names == ["Acme", "Delta"]  # the dry run wrote nothing
    trial = api.get(f"_imports/{dry.json()['id']}").json()  # type: ignore[attr-defined]
    assert trial["dry_run"] is True and trial["counts"]["created"] == 2


def test_bad_uploads_are_refused_and_queue_nothing(api: Api) -> None:
    twice = _upload(api, b"name,Name\na,b\n")
    assert twice.status_code == 422  # type: ignore[attr-defined]
    assert "appears twice" in twice.json()["errors"]["file"][0]  # type: ignore[attr-defined]
    no_name = _upload(api, b"industry\ntech\n")
    assert "Required field 'name' has no column" in no_name.json()["errors"]["file"][0]  # type: ignore[attr-defined]
    assert _upload(api, CSV.encode(), "?mode=merge").status_code == 400  # type: ignore[attr-defined]
    assert _upload(api, CSV.encode(), "?mode=update").status_code == 422  # type: ignore[attr-defined]
    bad_map = _upload(api, CSV.encode(), "?map=%7B")
    assert list(bad_map.json()["errors"]) == ["map"]  # type: ignore[attr-defined]
    assert api.get("_imports/1").status_code == 404


def test_references_resolve_by_lookup_and_a_missing_one_fails_only_its_row(
    api: Api, runtime: Runtime
) -> None:
    assert api.post("account", json={"name": "Acme"}).status_code == 201
    content = b"last_name,account\nLee,Acme\nMoe,Nowhere\nNg,\n"
    files = {"file": ("contacts.csv", content, "text/csv")}
    answer = api.client.post(
        "/t/acme/api/contact/_import",
        params={"map": '{"lookups": {"account": "name"}}'},
        files=files,
        headers=api.headers,
    )
    assert answer.status_code == 202, answer.text
    Dispatcher(runtime).run_due()
    status = api.get(f"_imports/{answer.json()['id']}").json()
    assert status["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert status["first_errors"] == [
        {"row": 3, "errors": {"account": ["No account with name 'Nowhere'."]}}
    ]
    contacts = {
        c["last_name"]: c for c in api.get("contact", params={"expand": "account"}).json()["items"]
    }
    assert contacts["Lee"]["account"]["title"] == "Acme" and contacts["Ng"]["account"] is None


def test_upload_refusals_follow_accept_language(api: Api) -> None:
    files = {"file": ("accounts.csv", b"name,Name\na,b\n", "text/csv")}
    headers = {**api.headers, "Accept-Language": "es"}
    twice = api.client.post("/t/acme/api/account/_import", files=files, headers=headers)
    assert twice.status_code == 422
    assert twice.json()["errors"]["file"] == [
        "La columna «Name» aparece dos veces (columnas 1 y 2); cambie el nombre de una."
    ]
    files = {"file": ("accounts.csv", b"", "text/csv")}
    empty = api.client.post("/t/acme/api/account/_import", files=files, headers=headers)
    assert empty.json()["errors"]["file"] == [
        "El archivo está vacío: la primera fila debe nombrar las columnas."
    ]
