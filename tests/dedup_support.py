"""A tenant whose people carry duplicate rules, with records pointing at them in every way
a field can (reference, many_to_many, any_reference), and members of several roles."""

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

TENANT = "dup"
OTHER = "dup-other"
PERSON = """\
label: Person
title: last_name
fields:
  first_name: {type: string}
  last_name: {type: string, required: true}
  email: {type: email}
  phone: {type: phone}
  city: {type: string}
  labels: {type: tags}
  code: {type: string, unique: true}
duplicates:
  - {name: same_email, match: exact, fields: [email], action: block}
  - {name: same_phone, match: exact, fields: [phone]}
  - name: similar_name
    match: fuzzy
    fields: [first_name, last_name]
    threshold: 0.85
    blocking: [{field: last_name, prefix: 2}]
    action: warn
"""
CASE = """\
label: Case
title: subject
fields:
  subject: {type: string, required: true}
  person: {type: reference, to: person, on_delete: cascade}
"""
GATHERING = """\
label: Gathering
title: topic
fields:
  topic: {type: string, required: true}
  people: {type: many_to_many, to: person}
"""
MEMO = """\
label: Memo
title: body
fields:
  body: {type: string, required: true}
  about: {type: any_reference, targets: [person, case]}
"""
ROLES = """\
roles:
  rep:
    entities:
      person: {actions: [create, read, update, delete], scope: own}
      case: {actions: [create, read, update], scope: own}
  editor:
    entities:
      person: {actions: [create, read, update], scope: all}
"""
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@dataclass
class DupWorld:
    """Tenant ``dup`` (and ``dup-other``) with members by role, on a fake clock."""

    runtime: Runtime
    client: TestClient  # type: ignore[type-arg]
    clock: FakeClock
    apis: dict[str, Api] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def make(self, who: str, entity: str, **body: Any) -> dict[str, Any]:
        response = self.apis[who].post(f"{entity}?allow_duplicate=true", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())


def write_package(root: Path) -> Path:
    """The test package (app, entities, roles) under ``root``."""
    (root / "entities").mkdir(parents=True, exist_ok=True)
    (root / "app.yaml").write_text("name: dup\nversion: 1.0.0\nlabel: Dup\n", encoding="utf-8")
    files = {"person": PERSON, "case": CASE, "gathering": GATHERING, "memo": MEMO}
    for name, text in files.items():
        (root / "entities" / f"{name}.yaml").write_text(text, encoding="utf-8")
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    return root


def runtime_config(backend: str, data_dir: Path, prefix: str) -> RuntimeConfig:
    """A runtime's configuration on ``backend`` (sqlite or postgres)."""
    if backend == "sqlite":
        return RuntimeConfig(data_dir=data_dir, version_check_interval=0.0)
    return RuntimeConfig(
        data_dir=data_dir, database_url=PG_URL, schema_prefix=prefix, version_check_interval=0.0
    )


def build_dup_world(backend: str, tmp: Path) -> Iterator[DupWorld]:
    """The world on ``backend``, torn down after the module."""
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    root = write_package(tmp / "pkg")
    clock = FakeClock(START)
    runtime = Runtime(runtime_config(backend, tmp / "data", prefix), clock=clock)
    try:
        for tenant in (TENANT, OTHER):
            runtime.registry.create_tenant(tenant)
            publish(runtime, tenant, root)
        with TestClient(app=create_web_app(runtime)) as client:
            world = DupWorld(runtime, client, clock)
            reg = runtime.registry
            people = {
                "admin": (TENANT, ["admin"]),
                "rep": (TENANT, ["rep"]),
                "editor": (TENANT, ["editor"]),
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
