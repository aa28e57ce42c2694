"""File screens without a browser: the fragment, the form fallback, CSRF before the body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from files_support import PDF, write_files_package
from ui_support import add_user, csrf_cookie, sign_in


@pytest.fixture
def screens(runtime: Runtime, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """Tenant ``files`` with file fields; a client signed in as its admin."""
    runtime.registry.create_tenant("files")
    publish(runtime, "files", write_files_package(tmp_path / "pkg"))
    add_user(runtime, "files", "admin@files.test", ["admin"])
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "files", "admin@files.test").status_code == 303
        yield client


def _folder(client: TestClient[Any]) -> int:
    token = csrf_cookie(client, "/t/files/")
    answer = client.post(
        "/t/files/e/folder",
        data={"title": "Docs", "_csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def test_a_form_upload_without_scripts_lists_and_downloads_the_file(
    screens: TestClient[Any],
) -> None:
    folder = _folder(screens)
    base = f"/t/files/e/folder/{folder}"
    answer = screens.post(
        f"{base}/_files/contract",
        data={"_csrf_token": csrf_cookie(screens, "/t/files/")},
        files={"file": ("../acuerdo.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert 'hx-get="/t/files/e/folder/' in screens.get(base).text
    fragment = screens.get(f"{base}/_files", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "acuerdo.pdf" in fragment.text
    href = fragment.text.split('href="', 2)[1].split('"', 1)[0]
    download = screens.get(href)
    assert download.content == PDF and download.headers["x-content-type-options"] == "nosniff"


def test_an_upload_without_a_csrf_header_is_refused_before_its_body_is_read(
    screens: TestClient[Any], runtime: Runtime
) -> None:
    folder = _folder(screens)
    boundary = "b0undary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n'
            f"{csrf_cookie(screens, '/t/files/')}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"'
            "\r\n\r\n"
        ).encode()
        for _ in range(100):  # 6.4 MiB, no Content-Length: not read as a form
            yield b"x" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = screens.post(
        f"/t/files/e/folder/{folder}/_files/attachments",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    stored = runtime.config.data_dir / "files" / "files" / "folder" / str(folder)
    assert not stored.exists()
