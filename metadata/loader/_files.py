"""Which files make up a package, and its digest."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

APP_FILE = "app.yaml"
ENTITY_DIR = "entities"
RULES_DIR = "rules"
PIPELINE_DIR = "pipelines"
WORKFLOW_DIR = "workflows"
ROLES_FILE = "roles.yaml"
DASHBOARD_DIR = "dashboards"
DOCUMENT_DIR = "documents"
ENTITY_SUFFIXES = (".yaml", ".yml")
#: Items later issues give meaning to; present without a warning (and not read yet).
TOLERATED = frozenset(
    {
        "layouts",
        "rules",
        "email_templates",
        "data",
        "sla",
        "reminders",
        "forms",
        "links",
        "portals",
        "calendars",
        "trellis.lock.yaml",  # stable node ids (platform/app_packages/lock.py)
    }
)
#: Every item the loader knows at the package root.
KNOWN = frozenset(
    {
        APP_FILE,
        ENTITY_DIR,
        PIPELINE_DIR,
        WORKFLOW_DIR,
        ROLES_FILE,
        DASHBOARD_DIR,
        DOCUMENT_DIR,
        *TOLERATED,
    }
)
_DIGEST_VERSION = b"trellis-package-digest-v1\0"
_CHUNK = 1 << 16


EMAIL_TEMPLATE_DIR = "email_templates"
EMAIL_TEMPLATE_SUFFIX = ".j2"


def email_template_names(root: Path) -> tuple[str, ...]:
    """Names of the ``email_templates/<name>.j2`` files under ``root``, sorted."""
    folder = root / EMAIL_TEMPLATE_DIR
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            f.name[: -len(EMAIL_TEMPLATE_SUFFIX)]
            for f in folder.iterdir()
            if f.is_file() and f.name.endswith(EMAIL_TEMPLATE_SUFFIX) and not is_ignored(f)
        )
    )


def is_ignored(path: Path) -> bool:
    """Items that are never package content: hidden, Python files, caches.

    Python files are how a seed folder becomes importable (``__init__.py``); they
    are not metadata.
    """
    name = path.name
    return name.startswith(".") or name == "__pycache__" or name.endswith((".py", ".pyc"))


@dataclass(frozen=True, slots=True)
class EntityFile:
    """One file under ``entities/``: its path relative to the package and its stem."""

    relative: str
    stem: str


def read_capped(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path``, or None when it holds more than ``limit`` bytes.

    At most ``limit + 1`` bytes are read, so a huge file costs no memory.

    Raises:
        OSError: when the file cannot be read.
    """
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def package_files(root: Path) -> list[str]:
    """Relative POSIX paths of every content file under ``root``, sorted.

    Folders reached through a symbolic link are not walked: a link to a parent
    would make the walk endless.
    """
    found: list[str] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        for entry in folder.iterdir():
            if is_ignored(entry):
                continue
            if entry.is_dir():
                if not entry.is_symlink():
                    stack.append(entry)
            elif entry.is_file():
                found.append(entry.relative_to(root).as_posix())
    return sorted(found)


def digest_files(root: Path) -> str:
    """SHA-256 over the relative paths and bytes of :func:`package_files`.

    Files are hashed in chunks, so a large data file costs no memory.
    """
    digest = hashlib.sha256(_DIGEST_VERSION)
    for relative in package_files(root):
        with (root / relative).open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            digest.update(f"{relative}\0{size}\0".encode())
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def entity_files(root: Path) -> tuple[list[EntityFile], list[str]]:
    """Entity files (sorted) and other items found under ``entities/``."""
    folder = root / ENTITY_DIR
    if not folder.is_dir():
        return [], []
    files: list[EntityFile] = []
    others: list[str] = []
    for entry in sorted(folder.iterdir()):
        if is_ignored(entry):
            continue
        relative = entry.relative_to(root).as_posix()
        if entry.is_file() and entry.suffix in ENTITY_SUFFIXES:
            files.append(EntityFile(relative, entry.stem))
        else:
            others.append(relative)
    return files, others


def unknown_items(root: Path) -> list[str]:
    """Names at the package root that the loader does not know."""
    return sorted(
        e.name
        for e in root.iterdir()
        if not is_ignored(e) and e.name not in KNOWN and not e.name.upper().startswith("README")
    )
