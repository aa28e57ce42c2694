"""Imports (API and wizard) and in-place file uploads stream past the 5 MiB body limit of
other requests."""

from __future__ import annotations

import pytest

from trellis.platform.api.hygiene import MAX_BODY_BYTES, UPLOAD_PATHS, _refusal


def _scope(path: str, length: int) -> dict[str, object]:
    headers = [(b"content-length", str(length).encode()), (b"content-type", b"multipart/form-data")]
    return {"type": "http", "method": "POST", "path": path, "query_string": b"", "headers": headers}


@pytest.mark.parametrize(
    "path",
    [
        "/t/acme/api/account/_import",
        "/t/acme/e/account/_import/upload",
        "/t/acme/e/folder/7/_field/contract/file",  # a file field edited in place
    ],
)
def test_import_uploads_pass_the_body_limit(path: str) -> None:
    assert UPLOAD_PATHS.match(path)
    assert _refusal(_scope(path, 50 * MAX_BODY_BYTES)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path",
    [
        "/t/acme/e/account/_import",
        "/t/acme/e/account/_import/abc",
        "/t/acme/api/account",
        "/t/acme/e/folder/7/_field/title",  # a typed value edited in place
        "/t/acme/e/folder/7/_field/contract/remove",
    ],
)
def test_other_paths_keep_the_body_limit(path: str) -> None:
    assert not UPLOAD_PATHS.match(path)
    refused = _refusal(_scope(path, MAX_BODY_BYTES + 1))  # type: ignore[arg-type]
    assert refused is not None and refused.status == 413
