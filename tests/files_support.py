"""A world for the file field tests: a tenant with file fields on SQLite or PostgreSQL,
its files on the local store or on moto's S3 server (127.0.0.1, never the internet)."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from litestar.testing import TestClient
from moto.server import ThreadedMotoServer

from trellis.platform.api.app import create_app
from trellis.platform.api.deps import API_STATE
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from conftest import PG_URL, drop_schemas
from helpers import Api

BUCKET = "trellis-test-files"
FOLDER = """
label: Folder
title: title
fields:
  title: {type: string, required: true}
  attachments: {type: file, multiple: true}
  contract: {type: file, versioned: true}
  photo: {type: file, max_size_mb: 1}
  secret_file: {type: file}
"""
ROLES = """
roles:
  viewer:
    entities:
      folder: {actions: [read, update], scope: own}
  reader:
    entities:
      folder:
        actions: [read]
        scope: all
        fields: {secret_file: hidden}
"""
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(120)
PE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(120)


@dataclass
class FilesWorld:
    """The tenant ``files`` (admin, viewer and reader tokens) and tenant ``other``."""

    runtime: Runtime
    client: TestClient  # type: ignore[type-arg]
    admin: Api
    viewer: Api
    reader: Api
    other: Api
    store_kind: str

    def new_folder(self, title: str = "Docs") -> int:
        response = self.admin.post("folder", json={"title": title})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def upload(
        self, api: Api, record_id: int, field: str, name: str, data: bytes, **kw: Any
    ) -> Any:
        files = {"file": (name, data, kw.pop("content_type", "application/octet-stream"))}
        return api.post(f"folder/{record_id}/_files/{field}", files=files, **kw)

    def stored_keys(self, record_id: int) -> list[str]:
        """The keys the file store holds for ``record_id`` of tenant ``files``."""
        store = self.runtime_store()
        prefix = f"folder/{record_id}/"
        if self.store_kind == "local":
            root = self.runtime.config.data_dir / "files" / "files"
            return sorted(
                str(p.relative_to(root)) for p in (root / prefix).rglob("*") if p.is_file()
            )
        client = store.client
        tenant = f"{store.prefix}files/"
        found = client.list_objects_v2(Bucket=BUCKET, Prefix=tenant + prefix)
        return sorted(o["Key"][len(tenant) :] for o in found.get("Contents", ()))

    def runtime_store(self) -> Any:
        api = self.client.app.state[API_STATE]
        return api.services.files.store


@contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free port of 127.0.0.1, with a bucket and dummy credentials."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


def write_files_package(root: Path) -> Path:
    """The package of the file tests: entity ``folder`` with file fields, two roles."""
    (root / "entities").mkdir(parents=True, exist_ok=True)
    (root / "app.yaml").write_text("name: filesapp\nversion: 1.0.0\nlabel: Files\n", "utf-8")
    (root / "entities" / "folder.yaml").write_text(textwrap.dedent(FOLDER).lstrip(), "utf-8")
    (root / "roles.yaml").write_text(textwrap.dedent(ROLES).lstrip(), "utf-8")
    return root


def build_world(
    tmp: Path, database: str, store_kind: str, endpoint: str | None
) -> Iterator[FilesWorld]:
    """Build the world (one runtime, two tenants); drop its PostgreSQL schemas after."""
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    settings: dict[str, Any] = {"data_dir": tmp / "data", "version_check_interval": 0.0}
    if database == "postgres":
        settings.update(database_url=PG_URL, schema_prefix=prefix)
    if store_kind == "s3":
        settings.update(
            file_store="s3",
            s3_bucket=BUCKET,
            s3_endpoint_url=endpoint,
            s3_region="us-east-1",
            s3_prefix=f"{prefix}/",
        )
    runtime = Runtime(RuntimeConfig(**settings))
    package = write_files_package(tmp / "pkg")
    reg = runtime.registry
    tokens: dict[str, str] = {}
    for tenant in ("files", "other"):
        reg.create_tenant(tenant)
        publish(runtime, tenant, package)
        admin = reg.ensure_user(f"admin@{tenant}.test", "correct horse battery")
        reg.add_membership(tenant, admin, ["admin"])
        tokens[tenant] = reg.create_token(tenant, f"admin@{tenant}.test")
    for role in ("viewer", "reader"):
        user = reg.ensure_user(f"{role}@files.test", "correct horse battery")
        reg.add_membership("files", user, [role])
        tokens[role] = reg.create_token("files", f"{role}@files.test")
    try:
        with TestClient(app=create_app(runtime)) as client:
            yield FilesWorld(
                runtime,
                client,
                Api(client, "files", tokens["files"]),
                Api(client, "files", tokens["viewer"]),
                Api(client, "files", tokens["reader"]),
                Api(client, "other", tokens["other"]),
                store_kind,
            )
    finally:
        runtime.close()
        if database == "postgres":
            drop_schemas(PG_URL, prefix)
