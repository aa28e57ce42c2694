"""Editing a file field in place on the record page: upload, replace, remove, through the
files service, with 413, 415 and 422 shown in the editor and a stale version as a 409."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from files_support import ELF, PDF, PNG, write_files_package
from ui_records import record
from ui_support import add_user, csrf_cookie, post_form, sign_in

HX = {"HX-Request": "true"}


@pytest.fixture
def screens(runtime: Runtime, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """Tenant ``files`` (entity ``folder`` with file fields); a client signed in as admin."""
    runtime.registry.create_tenant("files")
    publish(runtime, "files", write_files_package(tmp_path / "pkg"))
    add_user(runtime, "files", "admin@files.test", ["admin"])
    add_user(runtime, "files", "reader@files.test", ["reader"])
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "files", "admin@files.test").status_code == 303
        yield client


def _folder(client: TestClient[Any]) -> int:
    answer = post_form(client, "/t/files/e/folder", {"title": "Docs"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def _upload(
    client: TestClient[Any], folder: int, field: str, name: str, data: bytes, version: Any
) -> Any:
    """Post the editor's upload form as htmx does (CSRF header, multipart body)."""
    url = f"/t/files/e/folder/{folder}/_field/{field}/file?place=s&version={version}"
    headers = {**HX, "x-csrftoken": csrf_cookie(client, "/t/files/")}
    return client.post(
        url, files={"file": (name, data, "application/octet-stream")}, headers=headers
    )


def _stored(runtime: Runtime, folder: int, field: str) -> list[Path]:
    root = runtime.config.data_dir / "files" / "files" / "folder" / str(folder) / field
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_file_is_uploaded_replaced_and_removed_in_place(
    screens: TestClient[Any], runtime: Runtime
) -> None:
    folder = _folder(screens)
    base = f"/t/files/e/folder/{folder}"
    assert f"{base}/_field/photo?place=s" in screens.get(base).text  # an edit button
    editor = screens.get(f"{base}/_field/photo?place=s", headers=HX).text
    assert 'hx-encoding="multipart/form-data"' in editor
    assert 'id="inline-s-photo-input" type="file" name="file"' in editor
    assert f'hx-post="{base}/_field/photo/file?place=s&amp;version=1"' in editor

    saved = _upload(screens, folder, "photo", "first.png", PNG, 1)
    assert saved.status_code == 200, saved.text
    assert saved.headers["hx-trigger"] == "record-saved"
    assert (
        "first.png" in saved.text and 'id="record-version" name="version" value="2"' in saved.text
    )
    first = record(runtime, "files", "folder", folder)["photo"]
    assert first["name"] == "first.png" and len(_stored(runtime, folder, "photo")) == 1

    editor = screens.get(f"{base}/_field/photo?place=s", headers=HX).text
    assert "Replace the file" in editor and f'name="file_id" value="{first["id"]}"' in editor
    replaced = _upload(screens, folder, "photo", "second.png", PNG, 2)
    assert replaced.status_code == 200, replaced.text
    second = record(runtime, "files", "folder", folder)["photo"]
    assert second["name"] == "second.png" and len(_stored(runtime, folder, "photo")) == 1

    removed = post_form(
        screens,
        f"{base}/_field/photo/remove?place=s",
        {"file_id": second["id"], "version": 3},
        headers=HX,
    )
    assert removed.status_code == 200, removed.text
    after = record(runtime, "files", "folder", folder)
    assert after["photo"] is None and after["version"] == 4
    assert _stored(runtime, folder, "photo") == []


def test_a_versioned_field_keeps_the_replaced_file_and_a_form_post_works_without_scripts(
    screens: TestClient[Any], runtime: Runtime
) -> None:
    folder = _folder(screens)
    url = f"/t/files/e/folder/{folder}/_field/contract/file?place=s&version=1"
    token = csrf_cookie(screens, "/t/files/")
    answer = screens.post(  # no header: the token travels in the form (read in memory)
        url, data={"_csrf_token": token}, files={"file": ("v1.pdf", PDF, "application/pdf")}
    )
    assert answer.status_code == 200, answer.text
    assert _upload(screens, folder, "contract", "v2.pdf", PDF, 2).status_code == 200
    contract = record(runtime, "files", "folder", folder)["contract"]
    assert contract["name"] == "v2.pdf" and [v["name"] for v in contract["versions"]] == ["v1.pdf"]


def test_refusals_are_shown_in_the_editor_and_store_nothing(
    screens: TestClient[Any], runtime: Runtime
) -> None:
    folder = _folder(screens)
    big = _upload(screens, folder, "photo", "big.png", PNG + bytes(1024 * 1024), 1)
    assert big.status_code == 413
    assert 'class="field-error"' in big.text and "larger than 1 MiB" in big.text
    assert 'id="inline-s-photo-input"' in big.text  # the editor again, to choose another

    program = _upload(screens, folder, "photo", "setup.exe", ELF, 1)
    assert program.status_code == 415 and 'class="field-error"' in program.text

    # What a browser sends when no file was chosen: the part, with an empty file name.
    empty = '--b0\r\nContent-Disposition: form-data; name="file"; filename=""\r\n\r\n\r\n--b0--\r\n'
    nothing = screens.post(
        f"/t/files/e/folder/{folder}/_field/photo/file?place=s&version=1",
        content=empty.encode(),
        headers={
            **HX,
            "x-csrftoken": csrf_cookie(screens, "/t/files/"),
            "Content-Type": "multipart/form-data; boundary=b0",
        },
    )
    assert nothing.status_code == 422 and "Choose a file to upload." in nothing.text
    assert 'aria-invalid="true"' in nothing.text

    assert record(runtime, "files", "folder", folder)["version"] == 1
    assert _stored(runtime, folder, "photo") == []


def test_a_stale_version_is_a_conflict_in_place_with_both_values(
    screens: TestClient[Any], runtime: Runtime
) -> None:
    folder = _folder(screens)
    assert _upload(screens, folder, "photo", "theirs.png", PNG, 1).status_code == 200
    stale = _upload(screens, folder, "photo", "mine.png", PNG, 1)
    assert stale.status_code == 409, stale.text
    theirs = stale.text.split("data-theirs>")[1].split("<")[0]
    yours = stale.text.split("data-yours>")[1].split("<")[0]
    assert (theirs, yours) == ("theirs.png", "mine.png")
    assert "version=2" in stale.text  # saving again is against the current version
    stored = record(runtime, "files", "folder", folder)["photo"]
    assert stored["name"] == "theirs.png" and len(_stored(runtime, folder, "photo")) == 1

    gone = post_form(
        screens,
        f"/t/files/e/folder/{folder}/_field/photo/remove?place=s",
        {"file_id": stored["id"], "version": 1},
        headers=HX,
    )
    assert gone.status_code == 409 and "data-theirs>theirs.png<" in gone.text
    assert record(runtime, "files", "folder", folder)["photo"]["name"] == "theirs.png"


def test_the_typed_value_route_and_readers_cannot_write_a_file_field(
    screens: TestClient[Any], runtime: Runtime
) -> None:
    folder = _folder(screens)
    base = f"/t/files/e/folder/{folder}"
    typed = post_form(screens, f"{base}/_field/photo?place=s", {"photo": "x", "version": 1})
    assert typed.status_code == 400 and "Upload a file" in typed.text
    with TestClient(app=create_web_app(runtime)) as reader:
        assert sign_in(reader, "files", "reader@files.test").status_code == 303
        assert f"{base}/_field/photo?" not in reader.get(base).text
        refused = _upload(reader, folder, "photo", "a.png", PNG, 1)
        assert refused.status_code == 403
    assert record(runtime, "files", "folder", folder)["photo"] is None


def test_a_file_larger_than_a_form_body_streams_within_the_fields_own_limit(
    screens: TestClient[Any], runtime: Runtime
) -> None:
    folder = _folder(screens)
    big = PDF + bytes(6 * 1024 * 1024)  # over the 5 MiB of other bodies, under the 25 MiB
    saved = _upload(screens, folder, "contract", "scan.pdf", big, 1)
    assert saved.status_code == 200, saved.text
    stored = record(runtime, "files", "folder", folder)["contract"]
    assert stored["name"] == "scan.pdf" and stored["size"] == len(big)


def test_an_upload_or_removal_without_the_csrf_token_is_refused(
    screens: TestClient[Any], runtime: Runtime
) -> None:
    folder = _folder(screens)
    base = f"/t/files/e/folder/{folder}/_field/photo"
    upload = screens.post(
        f"{base}/file?place=s&version=1",
        files={"file": ("a.png", PNG, "image/png")},
        headers=HX,
    )
    assert upload.status_code == 403
    assert _stored(runtime, folder, "photo") == []
    assert _upload(screens, folder, "photo", "a.png", PNG, 1).status_code == 200
    file_id = record(runtime, "files", "folder", folder)["photo"]["id"]
    removal = screens.post(f"{base}/remove?place=s", data={"file_id": file_id, "version": 2})
    assert removal.status_code == 403
    assert record(runtime, "files", "folder", folder)["photo"]["id"] == file_id
