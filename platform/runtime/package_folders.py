"""Stored package versions written out as folders that appear whole or not at all.

A version's files are written into a temporary sibling folder (``.tmp-…``), each
file and folder fsynced, then renamed to the final name, so a process that finds
``packages/<tenant>/v<n>-<digest>`` finds every file of it. Writers of one tenant
take an exclusive lock on ``packages/<tenant>/.lock`` (``flock``; other processes
and threads wait), so a temporary folder seen while holding it is a crash's
leftover and is removed. Readers take no lock and only ever open final names.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writers are not serialised
    fcntl = None  # type: ignore[assignment]

#: Temporary folders start with this; readers never open them.
TEMP_PREFIX = ".tmp-"
#: Written last into a complete folder: the version's digest.
COMPLETE_MARKER = ".complete"
LOCK_FILE = ".lock"


class PackageFolderError(ValueError):
    """A stored file name would leave the package folder."""


def _relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or ".." in path.parts or "\\" in name:
        raise PackageFolderError(f"Stored package file '{name}' is not a relative path.")
    return path


def _fsync_dir(path: Path) -> None:
    """Make a folder's entries (new files, a rename) durable (POSIX only)."""
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def _writer_lock(parent: Path) -> Iterator[None]:
    """Hold the tenant's writer lock (blocking) while the block runs."""
    with open(parent / LOCK_FILE, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def is_complete(folder: Path, digest: str) -> bool:
    """Whether ``folder`` holds a whole written-out version with ``digest``."""
    try:
        return (folder / COMPLETE_MARKER).read_text(encoding="utf-8") == digest
    except OSError:
        return False


def _remove_leftovers(parent: Path, final: Path, digest: str) -> None:
    """Drop crashed writers' temporary folders and an incomplete folder at ``final``.

    Called under the writer lock: no live writer owns a temporary folder now. A
    final folder without its marker can only come from writers of older releases.
    """
    for entry in parent.iterdir():
        if entry.name.startswith(TEMP_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
    if final.exists() and not is_complete(final, digest):
        aside = parent / f"{TEMP_PREFIX}old-{final.name}-{uuid.uuid4().hex}"
        final.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)


def write_version_folder(final: Path, files: Mapping[str, str], digest: str) -> Path:
    """Write ``files`` as folder ``final`` unless it is already there; returns ``final``.

    The folder appears atomically: written and fsynced under a temporary name, then
    renamed into place and the parent fsynced.

    Raises:
        PackageFolderError: a file name is absolute or climbs out with ``..``.
    """
    if is_complete(final, digest):
        return final
    names = {name: _relative(name) for name in files}
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _writer_lock(parent):
        if is_complete(final, digest):  # another writer finished while we waited
            return final
        _remove_leftovers(parent, final, digest)
        temp = parent / f"{TEMP_PREFIX}{final.name}-{uuid.uuid4().hex}"
        temp.mkdir()
        folders = {temp}
        for name, text in files.items():
            target = temp.joinpath(*names[name].parts)
            for folder in reversed(target.relative_to(temp).parents[:-1]):
                made = temp / folder
                made.mkdir(exist_ok=True)
                folders.add(made)
            _write_file(target, text)
        _write_file(temp / COMPLETE_MARKER, digest)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            _fsync_dir(folder)
        temp.rename(final)
        _fsync_dir(parent)
    return final


__all__ = [
    "COMPLETE_MARKER",
    "TEMP_PREFIX",
    "PackageFolderError",
    "is_complete",
    "write_version_folder",
]
