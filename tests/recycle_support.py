"""A tenant with a parent, cascading children, a rollup, a unique and a hidden field, and
members with and without the recycle bin's permissions (shared by one test module)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.config.clock import FakeClock
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api

TENANT = "bin"
OTHER = "other"
PROJECT = """\
label: Project
title: name
fields:
  name: {type: string, required: true}
  code: {type: string, unique: true}
  budget: {type: integer}
  secret: {type: string}
  tasks: {type: integer, rollup: {from: task.project, agg: count}}
"""
TASK = """\
label: Task
title: title
fields:
  title: {type: string, required: true}
  project: {type: reference, to: project, on_delete: cascade}
  hours: {type: integer}
  ref: {type: string, unique: true}
"""
NOTE = """\
label: Note
title: text
fields:
  text: {type: string, required: true}
  task: {type: reference, to: task, on_delete: cascade}
"""
ROLES = """\
roles:
  rep:
    entities:
      project:
        actions: [create, read, update, delete]
        scope: own
        fields: {secret: hidden}
      task: {actions: [create, read, update, delete], scope: own}
      note: {actions: [create, read], scope: own}
  viewer:
    entities:
      project: {actions: [read], scope: all}
      task: {actions: [read], scope: all}
  janitor:
    entities:
      project: {actions: [read, delete, purge], scope: all}
      task: {actions: [read, delete], scope: all}
"""
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@dataclass
class BinWorld:
    """Tenant ``bin`` (and ``other``) on a clock the tests move, with members by role."""

    runtime: Runtime
    client: TestClient  # type: ignore[type-arg]
    clock: FakeClock
    apis: dict[str, Api] = field(default_factory=dict)
    #: Password of every member (screen tests sign in with it).
    password: str = "long enough secret"
    ids: dict[str, int] = field(default_factory=dict)

    def make(self, who: str, entity: str, **body: Any) -> dict[str, Any]:
        response = self.apis[who].post(entity, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())


def _tenant(runtime: Runtime, root: Path, tenant: str) -> None:
    runtime.registry.create_tenant(tenant)
    publish(runtime, tenant, root)


def build_bin_world(backend: str, tmp: Path) -> Iterator[BinWorld]:
    """The world on ``backend`` (sqlite or postgres), torn down after the module."""
    data_dir = tmp / "data"
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if backend == "sqlite":
        config = RuntimeConfig(data_dir=data_dir, version_check_interval=0.0)
    else:
        config = RuntimeConfig(
            data_dir=data_dir,
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    root = tmp / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: bin\nversion: 1.0.0\nlabel: Bin\n", encoding="utf-8")
    for name, text in (("project", PROJECT), ("task", TASK), ("note", NOTE)):
        (root / "entities" / f"{name}.yaml").write_text(text, encoding="utf-8")
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    clock = FakeClock(START)
    runtime = Runtime(config, clock=clock)
    try:
        _tenant(runtime, root, TENANT)
        _tenant(runtime, root, OTHER)
        with TestClient(app=create_web_app(runtime)) as client:
            world = BinWorld(runtime, client, clock)
            reg = runtime.registry
            people = {
                "admin": (TENANT, ["admin"]),
                "rep": (TENANT, ["rep"]),
                "rep2": (TENANT, ["rep"]),
                "viewer": (TENANT, ["viewer"]),
                "janitor": (TENANT, ["janitor"]),
                "outsider": (OTHER, ["admin"]),
            }
            for who, (tenant, roles) in people.items():
                email = f"{who}@{tenant}.test"
                world.ids[who] = reg.ensure_user(email, "long enough secret")
                reg.add_membership(tenant, world.ids[who], roles)
                world.apis[who] = Api(client, tenant, reg.create_token(tenant, email))
            yield world
    finally:
        runtime.close()
        if backend == "postgres":
            drop_schemas(PG_URL, prefix)
