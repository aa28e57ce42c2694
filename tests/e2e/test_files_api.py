"""File fields over the API (issue 14, item 4): upload, download, limits, sniffing,
names, access, deleted records and versions; on SQLite and PostgreSQL, with files on
the local store and on moto's S3 server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate as validate_openapi

from trellis.platform.api.deps import API_STATE
from trellis.platform.authz.call import Call
from trellis.tenants.registry import TokenIdentity

from files_support import ELF, PDF, PE, PNG, FilesWorld, build_world, s3_server


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server for this module."""
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(
    scope="module",
    params=[("sqlite", "local"), ("sqlite", "s3"), ("postgres", "local"), ("postgres", "s3")],
    ids=lambda p: "-".join(p),
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str
) -> Iterator[FilesWorld]:
    database, store = request.param
    tmp: Path = tmp_path_factory.mktemp(f"files-{database}-{store}")
    yield from build_world(tmp, database, store, s3_endpoint)


def test_upload_and_download_round_trip_with_metadata_on_the_record(world: FilesWorld) -> None:
    folder = world.new_folder()
    response = world.upload(world.admin, folder, "attachments", "offer.pdf", PDF)
    assert response.status_code == 201, response.text
    [meta] = response.json()["attachments"]
    assert meta["name"] == "offer.pdf" and meta["size"] == len(PDF)
    assert meta["content_type"] == "application/pdf"
    assert meta["uploaded_by"] is not None and meta["uploaded_at"].endswith("Z")
    assert world.admin.get(f"folder/{folder}").json()["attachments"] == [meta]
    download = world.admin.get(f"folder/{folder}/_files/attachments/{meta['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith('inline; filename="offer.pdf"')
    assert download.headers["x-content-type-options"] == "nosniff"
    text = world.upload(world.admin, folder, "attachments", "notas año.txt", "señal\n".encode())
    second = text.json()["attachments"][1]
    assert second["content_type"] == "text/plain"
    got = world.admin.get(f"folder/{folder}/_files/attachments/{second['id']}")
    assert got.content == "señal\n".encode()
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''notas%20a%C3%B1o.txt" in got.headers["content-disposition"]
    assert len(world.stored_keys(folder)) == 2


def test_a_client_claimed_type_is_ignored_for_the_sniffed_one(world: FilesWorld) -> None:
    folder = world.new_folder()
    response = world.upload(
        world.admin, folder, "photo", "photo.pdf", PNG, content_type="application/pdf"
    )
    assert response.status_code == 201, response.text
    assert response.json()["photo"]["content_type"] == "image/png"


def test_an_upload_over_the_limit_is_413_and_stores_nothing(world: FilesWorld) -> None:
    folder = world.new_folder()
    big = b"a" * (1024 * 1024 + 1)  # photo: max_size_mb 1
    response = world.upload(world.admin, folder, "photo", "big.txt", big)
    assert response.status_code == 413, response.text
    assert "1 MiB" in response.json()["errors"]["file"][0]
    assert world.admin.get(f"folder/{folder}").json()["photo"] is None
    assert world.stored_keys(folder) == []


def test_a_streamed_upload_without_length_stops_at_the_limit(world: FilesWorld) -> None:
    folder = world.new_folder()
    boundary = "trellisboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(20):  # 1.25 MiB in 64 KiB chunks, no Content-Length
            yield b"b" * 65536
        yield tail

    response = world.admin.post(
        f"folder/{folder}/_files/photo",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413, response.text
    assert world.stored_keys(folder) == []


@pytest.mark.parametrize(("name", "data"), [("invoice.pdf", ELF), ("report.pdf", PE)])
def test_a_disguised_executable_is_415_and_stores_nothing(
    world: FilesWorld, name: str, data: bytes
) -> None:
    folder = world.new_folder()
    response = world.upload(
        world.admin, folder, "attachments", name, data, content_type="application/pdf"
    )
    assert response.status_code == 415, response.text
    assert "not accepted" in response.json()["errors"]["file"][0]
    assert world.admin.get(f"folder/{folder}").json()["attachments"] is None
    assert world.stored_keys(folder) == []


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("../../etc/passwd.txt", "passwd.txt"), ("C:\\Users\\ana\\oferta.pdf", "oferta.pdf")],
)
def test_a_path_in_the_file_name_is_stripped(world: FilesWorld, sent: str, kept: str) -> None:
    folder = world.new_folder()
    data = PDF if kept.endswith(".pdf") else b"root:x:0:0\n"
    response = world.upload(world.admin, folder, "attachments", sent, data)
    assert response.status_code == 201, response.text
    assert response.json()["attachments"][0]["name"] == kept
    assert all("/" not in key.split("/", 3)[3] for key in world.stored_keys(folder))


def test_callers_who_cannot_read_the_record_get_404(world: FilesWorld) -> None:
    folder = world.new_folder()
    meta = world.upload(world.admin, folder, "attachments", "a.pdf", PDF).json()["attachments"][0]
    secret = world.upload(world.admin, folder, "secret_file", "s.pdf", PDF).json()["secret_file"]
    path = f"folder/{folder}/_files/attachments/{meta['id']}"
    assert world.viewer.get(path).status_code == 404  # scope own: not their record
    assert world.viewer.get(f"folder/{folder}/_files/attachments").status_code == 404
    upload = world.upload(world.viewer, folder, "attachments", "x.pdf", PDF)
    assert upload.status_code == 404
    assert world.other.get(path).status_code == 404  # another tenant
    assert world.reader.get(path).status_code == 200  # reads every folder
    hidden = f"folder/{folder}/_files/secret_file/{secret['id']}"
    assert world.reader.get(hidden).status_code == 404
    assert "secret_file" not in world.reader.get(f"folder/{folder}").json()
    assert world.upload(world.reader, folder, "attachments", "r.pdf", PDF).status_code == 403
    assert len(world.stored_keys(folder)) == 2


def test_a_file_field_is_not_written_by_patch(world: FilesWorld) -> None:
    folder = world.new_folder()
    fake = {"id": "fdeadbeef", "name": "x", "size": 1, "content_type": "text/plain"}
    response = world.admin.patch(f"folder/{folder}", json={"photo": fake})
    assert response.status_code == 422
    assert "upload" in response.json()["errors"]["photo"][0]


def test_a_deleted_record_keeps_its_files_until_restored(world: FilesWorld) -> None:
    folder = world.new_folder()
    meta = world.upload(world.admin, folder, "attachments", "a.pdf", PDF).json()["attachments"][0]
    path = f"folder/{folder}/_files/attachments/{meta['id']}"
    assert world.admin.delete(f"folder/{folder}").status_code == 204
    assert world.admin.get(path).status_code == 404
    assert len(world.stored_keys(folder)) == 1
    # Restoring a record clears deleted_at (there is no restore route yet): files are back.
    table = world.runtime.app("files").entities["folder"].table
    with world.runtime.engines.tenant_connection("files", write=True) as conn, conn.begin():
        conn.execute(sa.update(table).where(table.c.id == folder).values(deleted_at=None))
    assert world.admin.get(path).content == PDF


def test_versions_are_kept_listed_and_downloadable(world: FilesWorld) -> None:
    folder = world.new_folder()
    first = world.upload(world.admin, folder, "contract", "v1.pdf", PDF).json()["contract"]
    second_pdf = PDF.replace(b"Catalog", b"Catalog /V 2")
    record = world.upload(world.admin, folder, "contract", "v2.pdf", second_pdf).json()
    current = record["contract"]
    assert current["name"] == "v2.pdf"
    assert [v["id"] for v in current["versions"]] == [first["id"]]
    assert current["versions"][0]["uploaded_by"] == first["uploaded_by"]
    assert current["versions"][0]["uploaded_at"] == first["uploaded_at"]
    listing = world.admin.get(f"folder/{folder}/_files/contract").json()["items"]
    assert [i["name"] for i in listing] == ["v2.pdf"]
    assert [v["name"] for v in listing[0]["versions"]] == ["v1.pdf"]
    old = world.admin.get(f"folder/{folder}/_files/contract/{first['id']}")
    assert old.status_code == 200 and old.content == PDF
    assert len(world.stored_keys(folder)) == 2


def test_an_unversioned_file_is_replaced_and_a_removed_one_is_gone(world: FilesWorld) -> None:
    folder = world.new_folder()
    first = world.upload(world.admin, folder, "photo", "a.png", PNG).json()["photo"]
    second = world.upload(world.admin, folder, "photo", "b.png", PNG).json()["photo"]
    assert world.admin.get(f"folder/{folder}/_files/photo/{first['id']}").status_code == 404
    assert world.stored_keys(folder) == [f"folder/{folder}/photo/{second['id']}"]
    removed = world.admin.delete(f"folder/{folder}/_files/photo/{second['id']}")
    assert removed.status_code == 204
    assert world.admin.get(f"folder/{folder}").json()["photo"] is None
    assert world.stored_keys(folder) == []


def test_store_version_stores_bytes_as_the_newest_version(world: FilesWorld) -> None:
    folder = world.new_folder()
    world.upload(world.admin, folder, "contract", "draft.pdf", PDF)
    api = world.client.app.state[API_STATE]
    identity = api.auth.identify(world.admin.headers["Authorization"], "files")
    call: Call = api.call_as("files", identity)
    assert isinstance(identity, TokenIdentity)
    entity = call.app.entities["folder"]
    meta = api.services.files.store_version(call, entity, folder, "contract", PDF, "quote.pdf")
    assert meta["name"] == "quote.pdf" and meta["content_type"] == "application/pdf"
    contract = world.admin.get(f"folder/{folder}").json()["contract"]
    assert contract["id"] == meta["id"]
    assert [v["name"] for v in contract["versions"]] == ["draft.pdf"]


def test_an_upload_larger_than_the_json_body_limit_is_accepted(world: FilesWorld) -> None:
    folder = world.new_folder()
    data = b"line of text\n" * (6 * 1024 * 1024 // 13)  # 6 MiB: over the 5 MiB JSON limit
    response = world.upload(world.admin, folder, "attachments", "big.txt", data)
    assert response.status_code == 201, response.text
    meta = response.json()["attachments"][0]
    assert meta["size"] == len(data)
    got = world.admin.get(f"folder/{folder}/_files/attachments/{meta['id']}")
    assert got.content == data


def test_the_openapi_document_describes_the_file_routes_per_role(world: FilesWorld) -> None:
    admin = world.admin.get("openapi.json").json()
    validate_openapi(admin)
    upload = admin["paths"]["/t/files/api/folder/{id}/_files/{field}"]
    field = next(p for p in upload["parameters"] if p.get("name") == "field")
    assert field["schema"]["enum"] == ["attachments", "contract", "photo", "secret_file"]
    assert {"201", "413", "415"} <= set(upload["post"]["responses"])
    one = admin["paths"]["/t/files/api/folder/{id}/_files/{field}/{file}"]
    assert set(one) >= {"get", "delete"}
    headers = one["get"]["responses"]["200"]["headers"]
    assert headers["X-Content-Type-Options"]["schema"] == {"const": "nosniff"}
    reader = world.reader.get("openapi.json").json()
    validate_openapi(reader)
    shown = reader["paths"]["/t/files/api/folder/{id}/_files/{field}"]["parameters"]
    assert next(p for p in shown if p.get("name") == "field")["schema"]["enum"] == [
        "attachments",
        "contract",
        "photo",
    ]
    allow = world.admin.client.options("/t/files/api/folder/1/_files/photo/f1").headers["allow"]
    assert {m.strip() for m in allow.split(",")} == {"GET", "DELETE", "OPTIONS"}


def test_malformed_uploads_and_unknown_names_are_refused(world: FilesWorld) -> None:
    folder = world.new_folder()
    as_json = world.admin.post(f"folder/{folder}/_files/photo", json={"file": "x"})
    assert as_json.status_code == 415
    assert "multipart/form-data" in as_json.json()["errors"]["file"][0]
    no_file = world.admin.post(f"folder/{folder}/_files/photo", data={"note": "no file"})
    assert no_file.status_code in (400, 415)  # an empty multipart body or a plain form
    other_part = world.admin.post(
        f"folder/{folder}/_files/photo", files={"other": ("a.txt", b"hi", "text/plain")}
    )
    assert other_part.status_code == 400
    assert "named 'file'" in other_part.json()["errors"]["file"][0]
    assert world.upload(world.admin, folder, "title", "a.txt", b"hi").status_code == 404
    assert world.upload(world.admin, folder, "nope", "a.txt", b"hi").status_code == 404
    assert world.upload(world.admin, 999_999, "photo", "a.txt", b"hi").status_code == 404
    assert world.admin.delete(f"folder/{folder}/_files/photo/fnothere").status_code == 404
    assert world.admin.get(f"folder/{folder}/_files/photo/fnothere").status_code == 404
    assert world.stored_keys(folder) == []
