"""Template packages: a zip of an app package with a manifest of checksums.

``trellis-package.yaml`` names the template, its version, the platform version it
requires, its sample data and the SHA-256 of every file. Reading a package checks all of
it before anything is touched: entry names, checksums, YAML, the platform version.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from trellis.platform.app_packages.canonical import YAML_SUFFIXES, canonical_yaml, parse_yaml
from trellis.platform.app_packages.export import zip_bytes

MANIFEST = "trellis-package.yaml"
FORMAT = 1
#: A package bigger than this (unpacked) is refused: templates are small text files.
MAX_UNPACKED = 32 * 1024 * 1024


class PackageError(Exception):
    """A template package is refused; nothing was touched."""


@dataclass(frozen=True, slots=True)
class TemplatePackage:
    """A checked template package: its manifest and files (manifest excluded)."""

    name: str
    version: str
    requires: str
    files: Mapping[str, str]

    def label(self) -> str:
        """``name version`` as messages show it."""
        return f"{self.name} {self.version}"


def checksum(text: str) -> str:
    """``sha256:<hex>`` of a file's UTF-8 bytes."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_manifest(files: Mapping[str, str], app: Mapping[str, Any]) -> str:
    """The manifest text for ``files`` of the package whose app.yaml is ``app``."""
    requires = app.get("requires") if isinstance(app.get("requires"), dict) else {}
    manifest = {
        "format": FORMAT,
        "name": str(app.get("name")),
        "version": str(app.get("version")),
        "requires": {"trellis": str((requires or {}).get("trellis", ">=0"))},
        "sample_data": sorted(p for p in files if p.startswith("data/")),
        "checksums": {path: checksum(files[path]) for path in sorted(files)},
    }
    return canonical_yaml(manifest)


def pack(folder: Path, output: Path) -> TemplatePackage:
    """Validate the app package in ``folder`` and write it as a template package.

    Raises:
        MetadataError: the package is invalid (nothing written).
    """
    from trellis.metadata.loader import load_package
    from trellis.platform.publish import package_files
    from trellis.rules.checker import RuleExpressionChecker

    load_package(folder, checker=RuleExpressionChecker())
    files = package_files(folder)
    app = parse_yaml(files["app.yaml"], "app.yaml")
    manifest = build_manifest(files, app)
    data = zip_bytes({**files, MANIFEST: manifest})
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{output.name}-", dir=output.parent)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temp, output)
    return read_package(data)


def _safe_name(name: str) -> str:
    """The entry's path, or ``PackageError`` when it is absolute or leaves the folder."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or posix.is_absolute() or ":" in posix.parts[0]:
        raise PackageError(f"Entry '{name}' is an absolute path: refused.")
    if ".." in posix.parts:
        raise PackageError(f"Entry '{name}' leaves the package folder ('..'): refused.")
    return posix.as_posix()


def _entries(data: bytes) -> dict[str, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageError("Not a template package: the file is not a zip archive.") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            raise PackageError("The package unpacks to more than 32 MiB: refused.")
        entries: dict[str, str] = {}
        for info in infos:
            name = _safe_name(info.filename)
            try:
                entries[name] = archive.read(info).decode("utf-8")
            except UnicodeDecodeError:
                raise PackageError(f"Entry '{name}' is not UTF-8 text.") from None
    return entries


def _manifest(entries: Mapping[str, str]) -> dict[str, Any]:
    if MANIFEST not in entries:
        raise PackageError(f"The package has no {MANIFEST}: make it with 'trellis template pack'.")
    manifest = parse_yaml(entries[MANIFEST], MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("checksums"), dict):
        raise PackageError(f"{MANIFEST} lists no checksums.")
    for key in ("name", "version"):
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            raise PackageError(f"{MANIFEST} has no {key}.")
    return manifest


def _check_sums(entries: Mapping[str, str], sums: Mapping[str, Any]) -> None:
    for path in sorted(entries):
        if path == MANIFEST:
            continue
        if path not in sums:
            raise PackageError(f"'{path}' has no checksum in {MANIFEST}: refused.")
        if sums[path] != checksum(entries[path]):
            raise PackageError(f"'{path}' does not match its checksum: the package was altered.")
    for path in sorted(set(sums) - set(entries)):
        raise PackageError(f"'{path}' is listed in {MANIFEST} but missing from the package.")


def check_platform(requires: str) -> None:
    """Refuse a package that needs a newer Trellis than this one."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    from trellis.platform.config.version import __version__

    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier:
        raise PackageError(f"Required platform version '{requires}' is not valid.") from None
    if not spec.contains(Version(__version__), prereleases=True):
        raise PackageError(
            f"The package requires Trellis {requires}; this is Trellis {__version__}: "
            "upgrade the platform first."
        )


def read_package(data: bytes) -> TemplatePackage:
    """Check a template package's bytes and return its files.

    Raises:
        PackageError: not a zip, an entry outside the folder, no or a bad manifest, a
            missing or wrong checksum, or a newer required platform version.
        MetadataError: a YAML file does not parse (with its position).
    """
    entries = _entries(data)
    manifest = _manifest(entries)
    _check_sums(entries, manifest["checksums"])
    files = {p: t for p, t in entries.items() if p != MANIFEST}
    for path, text in sorted(files.items()):
        if path.endswith(YAML_SUFFIXES):
            parse_yaml(text, path)
    requires = manifest.get("requires")
    needed = str(requires.get("trellis", ">=0")) if isinstance(requires, dict) else ">=0"
    check_platform(needed)
    return TemplatePackage(str(manifest["name"]), str(manifest["version"]), needed, files)


def read_package_file(path: Path) -> TemplatePackage:
    """:func:`read_package` of a file (``PackageError`` when it cannot be read)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackageError(f"Cannot read '{path}': {exc.strerror}.") from None
    return read_package(data)


__all__ = [
    "MANIFEST",
    "PackageError",
    "TemplatePackage",
    "build_manifest",
    "check_platform",
    "checksum",
    "pack",
    "read_package",
    "read_package_file",
]
