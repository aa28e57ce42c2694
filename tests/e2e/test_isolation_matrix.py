"""The tenant-isolation matrix, generated from the compiled CRM app's metadata.

Every entity x every read path x every role (and the admin) of tenant ``north``, with
ids, filters and cursors taken from tenant ``south`` and from other owners: no
foreign row, count or aggregate ever shows, and an id the caller may not reach
answers exactly as a missing one (same status, same body apart from the id).
Entities, reference fields, pipelines, workflows, dashboards and roles all come from
the package, so a new one is covered without touching this file. Each test prints how
many combinations it checked and asserts a lower bound.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api
from isolation_checks import check_entity, check_member, check_screens
from isolation_support import HOME, OTHER, build_tenant, populate
from isolation_world import World


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Both tenants, built once per backend (the version check as configured by default:
    nothing is published while the matrix reads)."""
    data_dir = tmp_path_factory.mktemp("iso")
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        config = RuntimeConfig(data_dir=data_dir)
    else:
        config = RuntimeConfig(data_dir=data_dir, database_url=PG_URL, schema_prefix=prefix)
    runtime = Runtime(config)
    try:
        with TestClient(app=create_web_app(runtime)) as client:
            home = build_tenant(runtime, client, HOME)
            other = build_tenant(runtime, client, OTHER)
            app = runtime.app(HOME)
            populate(other, runtime.app(OTHER), extra=True)
            populate(home, app)
            for tenant in (home, other):
                for entity in app.entities:
                    for record in sorted(tenant.ids(entity))[:2]:
                        text = f"Note on {tenant.rows[entity][record].get('id')} from {tenant.name}"
                        tenant.admin.post(f"{entity}/{record}/_comments", json={"body": text})
            yield World(runtime, client, app, home, other)
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _report(world: World, what: str, bound: int) -> None:
    counts = world.counter.by_path
    print(f"\n{what}: {world.counter.total} combinations checked")  # noqa: T201
    for path in sorted(counts):
        print(f"  {path}: {counts[path]}")  # noqa: T201
    assert world.counter.total >= bound, counts
    world.counter.by_path.clear()


def test_entity_read_paths(world: World) -> None:
    """Lists, filters, cursors, fields, expand, by-id paths, autocomplete and export."""
    world.counter.by_path.clear()
    for member in world.members:
        for entity in sorted(world.app.entities):
            check_entity(world, member, entity)
    roles = len(world.members)
    _report(world, "entity read paths", roles * len(world.app.entities) * 20)


def test_tenant_wide_read_paths(world: World) -> None:
    """Search, OpenAPI, _check, notifications, stages, forecast, dashboards, logs."""
    world.counter.by_path.clear()
    for member in world.members:
        check_member(world, member)
    _report(world, "tenant-wide read paths", len(world.members) * 30)


def test_tokens_of_one_tenant_open_nothing_in_the_other(world: World) -> None:
    world.counter.by_path.clear()
    paths = [*sorted(world.app.entities), "_search?q=a", "_notifications", "_rule_runs"]
    for member in world.members:
        cross = Api(world.client, OTHER, member.api.token)
        for path in paths:
            for record in ("", *(f"/{i}" for i in world.foreign_ids(path.split("?")[0]))):
                if record and path.startswith("_"):
                    continue
                response = cross.get(path + record)
                assert response.status_code == 401, (member.role, path, response.text)
                world.shows_only_readable(member, response.text, ("cross token", path))
                world.counter.add("foreign tenant URL")
    _report(world, "cross-tenant tokens", len(world.members) * len(paths))


def test_screens(world: World) -> None:
    """Record page, list page and lookup fragment of every entity for every role."""
    world.counter.by_path.clear()
    for member in world.members:
        check_screens(world, member)
    _report(world, "screens", len(world.members) * len(world.app.entities) * 4)
