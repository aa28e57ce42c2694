"""File field building blocks: names, sniffing, the stored value, the local store."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.metadata.model import FieldDef, FieldType
from trellis.platform.files.local_store import LocalFileStore
from trellis.platform.files.names import MAX_NAME, clean_name
from trellis.platform.files.sniff import RefusedContentError, sniff
from trellis.platform.files.stored import NewFile, file_json, find_file, with_upload, without_file

AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@given(st.text(max_size=400))
def test_a_cleaned_name_has_no_folder_part_and_is_never_empty(raw: str) -> None:
    name = clean_name(raw)
    assert name and "/" not in name and "\\" not in name
    assert not name.startswith(".") and len(name) <= MAX_NAME
    assert all(ord(c) >= 32 for c in name)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\oferta.pdf", "oferta.pdf"),
        ("..", "file"),
        (".bashrc", "bashrc"),
        ("año\x00 nuevo.txt", "año nuevo.txt"),
        ("x" * 300 + ".pdf", "x" * (MAX_NAME - 4) + ".pdf"),
    ],
)
def test_clean_name_examples(raw: str, cleaned: str) -> None:
    assert clean_name(raw) == cleaned


@pytest.mark.parametrize(
    "head",
    [
        b"\x7fELF\x02\x01\x01" + bytes(60),
        b"MZ\x90\x00" + bytes(60),
        b"\xcf\xfa\xed\xfe" + bytes(60),
        b"#!/bin/sh\nrm -rf /\n",
        b"SQLite format 3\x00" + bytes(100),
        bytes(range(256)),
    ],
    ids=["elf", "pe", "mach-o", "script", "sqlite", "binary"],
)
def test_executables_and_unknown_formats_are_refused(head: bytes) -> None:
    with pytest.raises(RefusedContentError):
        sniff(head, "harmless.pdf")


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"%PDF-1.7\n", "a.exe", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + bytes(30), "a.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(30), "a", "image/jpeg"),
        (b"nombre;ciudad\nAna;Sevilla\n", "datos.csv", "text/csv"),
        (b"<script>alert(1)</script>", "page.html", "text/plain"),
    ],
)
def test_accepted_formats_are_typed_by_their_bytes(head: bytes, name: str, kind: str) -> None:
    assert sniff(head, name) == kind


def _field(**kw: bool) -> FieldDef:
    return FieldDef("doc", FieldType.FILE, "Doc", **kw)  # type: ignore[arg-type]


def _file(file_id: str) -> dict[str, object]:
    return file_json(file_id, NewFile(f"{file_id}.pdf", 3, "application/pdf"), AT, 7)


@given(st.integers(1, 6))
def test_a_versioned_field_keeps_every_upload_newest_first(uploads: int) -> None:
    f, value = _field(versioned=True), None
    for n in range(uploads):
        value, dropped = with_upload(f, value, _file(f"f{n}"))
        assert dropped == []
    assert isinstance(value, dict) and value["id"] == f"f{uploads - 1}"
    assert [v["id"] for v in value["versions"]] == [f"f{n}" for n in reversed(range(uploads - 1))]
    assert all(find_file(f, value, f"f{n}") is not None for n in range(uploads))


def test_single_replaces_multiple_appends_and_removal_drops_versions() -> None:
    single, _ = with_upload(_field(), None, _file("a"))
    assert with_upload(_field(), single, _file("b")) == (_file("b"), ["a"])
    many, _ = with_upload(_field(multiple=True), None, _file("a"))
    many, _ = with_upload(_field(multiple=True), many, _file("b"))
    assert [m["id"] for m in many] == ["a", "b"]
    assert without_file(_field(multiple=True), many, "a") == ([_file("b")], ["a"])
    versioned, _ = with_upload(_field(versioned=True), None, _file("a"))
    versioned, _ = with_upload(_field(versioned=True), versioned, _file("b"))
    assert without_file(_field(versioned=True), versioned, "b") == (None, ["b", "a"])
    assert without_file(_field(versioned=True), versioned, "a") == (versioned, [])


def test_the_local_store_writes_whole_files_and_reads_them_back(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    store.put("acme", "folder/1/doc/f1", io.BytesIO(b"x" * 200_000))
    assert b"".join(store.chunks("acme", "folder/1/doc/f1")) == b"x" * 200_000
    assert [p.name for p in (tmp_path / "acme" / "folder" / "1" / "doc").iterdir()] == ["f1"]
    store.delete("acme", "folder/1/doc/f1")
    assert not store.exists("acme", "folder/1/doc/f1")
    with pytest.raises(FileNotFoundError):
        store.chunks("acme", "folder/1/doc/f1")
