"""Shared set-up of the backup and restore tests: two installations side by side, the
CLI's environment, a package with roles, and reading and editing archives."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services

from conftest import PG_URL, drop_schemas
from helpers import PackageWriter

#: A password good enough for the registry.
SECRET = "long enough secret 42"


@contextmanager
def two_installations(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    """A SQLite runtime and a PostgreSQL runtime (two installations), side by side."""
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    lite = Runtime(RuntimeConfig(data_dir=tmp_path / "lite", version_check_interval=0.0))
    pg = Runtime(
        RuntimeConfig(
            data_dir=tmp_path / "pg",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    )
    try:
        yield lite, pg
    finally:
        lite.close()
        pg.close()
        drop_schemas(PG_URL, prefix)


def cli_env(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point the CLI at ``runtime``'s installation; returns the ``--data-dir`` arguments."""
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    return ["--data-dir", str(runtime.config.data_dir)]


def package_with_roles(write_package: PackageWriter, entities: dict[str, str], roles: str) -> Path:
    """A package of ``entities`` with ``roles`` as its roles.yaml."""
    root = write_package(entities)
    (root / "roles.yaml").write_text(roles, encoding="utf-8")
    return root


def call_as(runtime: Runtime, tenant: str, user: int) -> tuple[Services, Any]:
    """The services and a call made by member ``user`` of ``tenant``."""
    services = Services(runtime)
    identity = runtime.registry.member_identity(tenant, user)
    assert identity is not None
    return services, services.call_as(tenant, identity)


def table_rows(runtime: Runtime, tenant: str, table: str) -> list[dict[str, Any]]:
    """Every row of the tenant's ``table``, by id."""
    with runtime.engines.tenant_connection(tenant) as conn:
        t = runtime.app(tenant).metadata.tables[table]
        return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]


def entry_rows(path: Path, name: str) -> list[dict[str, Any]]:
    """The JSON Lines rows of the archive's entry ``name``."""
    with zipfile.ZipFile(path) as archive:
        return [json.loads(line) for line in archive.read(name).splitlines()]


def data_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The rows of every data, history and internal entry (not the audit or manifest)."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: [json.loads(line) for line in archive.read(name).splitlines()]
            for name in archive.namelist()
            if name.endswith(".jsonl") and not name.startswith("audit/")
        }


def rewrite_archive(
    source: Path,
    target: Path,
    name: str,
    data: bytes | None,
    *,
    fix: bool = False,
    format_version: int | None = None,
) -> None:
    """Copy the archive with entry ``name`` holding ``data`` (None: without it, and
    without its manifest entry). ``fix`` puts its checksum into the manifest (an edit
    that passes the checksums); ``format_version`` sets the manifest's. Rewriting
    ``manifest.json`` itself writes ``data`` as it is."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        manifest = json.loads(old.read("manifest.json"))
        if data is None:
            del manifest["entries"][name]
        elif fix:
            entry = manifest["entries"][name]
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["size"] = len(data)
        if format_version is not None:
            manifest["format_version"] = format_version
        edited = data is None or fix or format_version is not None
        for item in old.infolist():
            if item.filename == name:
                if data is not None:
                    new.writestr(item, data)
            elif item.filename == "manifest.json" and edited:
                new.writestr(item, json.dumps(manifest).encode())
            else:
                new.writestr(item, old.read(item.filename))
