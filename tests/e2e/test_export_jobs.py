"""Export jobs: ``POST …/{entity}/_export_jobs`` (202), ``GET _exports/{id}`` and the signed,
expiring download link; only the asker (or an admin) sees a job."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from authz_support import World, build_world
from litestar.testing import TestClient
from openpyxl import load_workbook

from trellis.platform.config.clock import FakeClock
from trellis.platform.exports.store import tenant_folder
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    return clocked_runtime


@pytest.fixture
def world(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> World:  # type: ignore[type-arg]
    return build_world(runtime, client, write_package)


def _start(api: Api, entity: str, body: object) -> object:
    return api.post(f"{entity}/_export_jobs", json=body)


def _get(api: Api, url: str) -> object:
    return api.client.get(url, headers=api.headers)


def _conforms(api: Api, name: str, body: object) -> None:
    """``body`` is valid against the component schema ``name`` of the tenant's OpenAPI."""
    doc = api.get("openapi.json").json()
    root = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    assert list(jsonschema.Draft202012Validator(root).iter_errors(body)) == [], (name, body)


def _deals(world: World) -> None:
    world.member("a", ["rep"])
    world.member("b", ["rep"])
    alpha = world.make("a", "account", name="Alpha", city="Paris")
    world.make("a", "deal", name="=A deal", amount="100", account=alpha, stage="new",
               close_date="2026-03-10")  # fmt: skip
    world.make("b", "deal", name="B deal", amount="5", stage="new", close_date="2026-03-11")


def test_export_job_leaves_a_signed_expiring_link_for_its_asker(
    world: World, runtime: Runtime, clock: FakeClock
) -> None:
    _deals(world)
    a, b = world.apis["a"], world.apis["b"]
    answer = _start(a, "deal", {"format": "csv", "fields": ["name", "account"]})
    assert answer.status_code == 202, answer.text  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["state"] == "queued" and answer.headers["location"] == body["url"]  # type: ignore[attr-defined]
    _conforms(a, "Trellis_ExportQueued", body)
    queued = _get(a, body["url"]).json()  # type: ignore[attr-defined]
    assert queued["download_url"] is None
    _conforms(a, "Trellis_Export", queued)

    Dispatcher(runtime).run_due()

    status = _get(a, body["url"]).json()  # type: ignore[attr-defined]
    assert status["state"] == "done" and status["rows"] == 1, status
    assert status["fields"] == ["name", "account"]
    _conforms(a, "Trellis_Export", status)
    link = status["download_url"]
    got = _get(a, link)
    assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(got.text)))  # type: ignore[attr-defined]
    assert rows == [{"id": rows[0]["id"], "name": "'=A deal", "account": "Alpha"}]
    assert _get(world.admin, link).status_code == 200  # type: ignore[attr-defined]
    # Another member: no such export, whether they hold the link or not.
    assert _get(b, body["url"]).status_code == 404  # type: ignore[attr-defined]
    assert _get(b, link).status_code == 404  # type: ignore[attr-defined]
    # A tampered link (signature, expiry) is refused.
    query = parse_qs(urlsplit(link).query)
    path = urlsplit(link).path
    forged = f"{path}?expires={int(query['expires'][0]) + 3600}&signature={query['signature'][0]}"
    assert _get(a, forged).status_code == 403  # type: ignore[attr-defined]
    assert _get(a, f"{path}?expires={query['expires'][0]}&signature=00").status_code == 403  # type: ignore[attr-defined]
    assert _get(a, path).status_code == 403  # type: ignore[attr-defined]
    audit = world.admin.get("_audit", params={"action": "export"}).json()["items"]
    assert audit[0]["actor"] == "a@scope.test" and audit[0]["detail"]["rows"] == 1

    clock.advance(25 * 3600)
    assert _get(a, body["url"]).json()["state"] == "expired"  # type: ignore[attr-defined]
    gone = _get(a, link)
    assert gone.status_code == 410 and "expired" in gone.text  # type: ignore[attr-defined]
    Dispatcher(runtime).run_due()  # the round purges expired exports
    assert not any(tenant_folder(runtime.config, "scope").iterdir())
    assert _get(a, body["url"]).status_code == 404  # type: ignore[attr-defined]


def test_bad_export_jobs_are_refused_and_queue_nothing(world: World, runtime: Runtime) -> None:
    _deals(world)
    world.member("v", ["viewer"])
    a = world.apis["a"]
    forbidden = _start(world.apis["v"], "deal", {"format": "csv"})
    assert forbidden.status_code == 403 and "export" in forbidden.text  # type: ignore[attr-defined]
    bad_format = _start(a, "deal", {"format": "pdf"})
    assert bad_format.status_code == 400  # type: ignore[attr-defined]
    assert list(bad_format.json()["errors"]) == ["format"]  # type: ignore[attr-defined]
    bad_filter = _start(a, "deal", {"filter": "amount >"})
    assert bad_filter.status_code == 400  # type: ignore[attr-defined]
    assert list(bad_filter.json()["errors"]) == ["filter"]  # type: ignore[attr-defined]
    unknown = _start(a, "deal", {"format": "csv", "colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.json()["errors"]  # type: ignore[attr-defined]
    assert _start(a, "deal", {"ids": "yes"}).status_code == 400  # type: ignore[attr-defined]
    as_text = _start(a, "deal", {"fields": "name,amount"})
    assert as_text.status_code == 400 and list(as_text.json()["errors"]) == ["fields"]  # type: ignore[attr-defined]
    hidden = _start(a, "deal", {"fields": ["name", "nope"]})
    assert hidden.status_code == 400 and "nope" in hidden.text  # type: ignore[attr-defined]
    assert _start(a, "nothing", {}).status_code == 404  # type: ignore[attr-defined]
    assert _get(a, "/t/scope/api/_exports/0123456789abcdef").status_code == 404  # type: ignore[attr-defined]
    assert _get(a, "/t/scope/api/_exports/..").status_code == 404  # type: ignore[attr-defined]
    folder = tenant_folder(runtime.config, "scope")
    assert not folder.exists() or not any(folder.iterdir())
    # The streamed export refuses the same way before any byte.
    assert world.apis["v"].get("deal/_export").status_code == 403
    streamed = a.get("deal/_export", params={"filter": "amount >"})
    assert streamed.status_code == 400 and list(streamed.json()["errors"]) == ["filter"]


def test_every_format_of_a_job_matches_the_streamed_export(world: World, runtime: Runtime) -> None:
    _deals(world)
    a = world.apis["a"]
    world.make("a", "deal", name="Vertical\x0btab", amount="1", stage="new",
               close_date="2026-03-12")  # fmt: skip
    urls = {
        fmt: _start(a, "deal", {"format": fmt, "ids": True}).json()["url"]  # type: ignore[attr-defined]
        for fmt in ("csv", "json", "jsonl", "xlsx")
    }
    Dispatcher(runtime).run_due()
    for fmt, url in urls.items():
        link = _get(a, url).json()["download_url"]  # type: ignore[attr-defined]
        job = _get(a, link).content  # type: ignore[attr-defined]
        streamed = a.get("deal/_export", params={"format": fmt, "ids": "true"}).content
        if fmt == "xlsx":  # a control character xlsx cannot hold becomes U+FFFD
            for content in (job, streamed):
                sheet = load_workbook(io.BytesIO(content), read_only=True).active
                assert sheet is not None
                rows = list(sheet.iter_rows(values_only=True))
                column = rows[0].index("name")
                assert "Vertical\ufffdtab" in [r[column] for r in rows[1:]]
        else:
            assert job == streamed, fmt


def test_a_member_who_lost_the_right_before_the_job_ran_gets_a_failed_job(
    world: World, runtime: Runtime
) -> None:
    _deals(world)
    a = world.apis["a"]
    url = _start(a, "deal", {"format": "jsonl"}).json()["url"]  # type: ignore[attr-defined]
    demoted = world.admin.patch(f"_users/{world.ids['a']}", json={"roles": ["viewer"]})
    assert demoted.status_code == 200, demoted.text
    Dispatcher(runtime).run_due()
    status = _get(a, url).json()  # type: ignore[attr-defined]
    assert status["state"] == "failed" and "export" in status["message"], status
    assert status["download_url"] is None
    folder = tenant_folder(runtime.config, "scope") / status["id"]
    assert sorted(p.name for p in folder.iterdir()) == ["state.json"]  # no partial file
