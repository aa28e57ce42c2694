"""A confirmed destructive publish is preceded by a tenant backup that restores (issue 16)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.backup.restore import restore_backup
from trellis.platform.config.clock import FakeClock
from trellis.platform.drafts.backups import backup_before_publish, backup_folder
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TENANT = "bak"
ITEM = """
    label: Item
    fields:
      name: {type: string, required: true}
      fax: {type: string}
"""
PATH = "_meta/draft/entities/item.yaml"


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    return clocked_runtime


@pytest.fixture
def admin(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    from trellis.platform.publish import publish

    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    reg = runtime.registry
    reg.add_membership(
        TENANT, reg.ensure_user("admin@bak.test", "correct horse battery"), ["admin"]
    )
    return Api(client, TENANT, reg.create_token(TENANT, "admin@bak.test"))


def _drop_fax(admin: Api) -> None:
    read = admin.get(PATH)
    text = read.text.replace("  fax: {type: string}\n", "")
    headers = {"If-Match": read.headers["etag"], "Content-Type": "text/plain"}
    assert admin.put(PATH, content=text.encode(), headers=headers).status_code == 200


def test_a_destructive_publish_writes_a_backup_first_that_restores(
    admin: Api, runtime: Runtime
) -> None:
    assert admin.post("item", json={"name": "a", "fax": "+1 555 1"}).status_code == 201
    _drop_fax(admin)

    refused = admin.post("_meta/draft/publish", json={})
    assert refused.status_code == 409
    assert refused.json()["destructive"] == ["drops `fax` of item: 1 non-empty value"]
    assert not backup_folder(runtime, TENANT).exists()  # no backup for a refused publish

    done = admin.post("_meta/draft/publish", json={"confirm_destructive": True})
    assert done.status_code == 200, done.text
    backup = done.json()["plan"]["backup"]
    assert backup.startswith(f"backups/{TENANT}/{TENANT}-v1-") and backup.endswith(".zip")
    archive = runtime.config.data_dir / backup
    assert archive.is_file()
    info = runtime.tenant(TENANT, fresh=True)
    (entry,) = runtime.registry.audit.entries(info.id, action="metadata.draft_publish")
    assert entry.detail["backup"] == backup

    restored = restore_backup(runtime, TENANT, archive, as_name="bak-copy")
    assert restored.tenant == "bak-copy"
    app = runtime.app("bak-copy")
    assert "fax" in app.model.entities["item"].fields  # the version before the publish
    with runtime.engines.tenant_connection("bak-copy") as conn:
        schema = runtime.engines.tenant_schema("bak-copy")
        item = sa.table("item", sa.column("fax"), schema=schema)
        assert conn.execute(sa.select(item.c.fax)).scalar() == "+1 555 1"


def test_only_the_newest_automatic_backups_are_kept(
    admin: Api, runtime: Runtime, clock: FakeClock
) -> None:
    written = []
    for _ in range(4):
        written.append(backup_before_publish(runtime, TENANT, 1, keep=2))
        clock.advance(1)
    names = sorted(p.name for p in backup_folder(runtime, TENANT).iterdir())
    assert names == sorted(w.rsplit("/", 1)[1] for w in written[-2:])
