"""Casbin policies stored by the policy store in the system database (``casbin_rule``).

Publishes write a tenant's ``p`` rows, role changes its ``g`` rows, and an enforcer is
built from the stored rows, re-writing stale ``p`` rows first. Real SQLite and
PostgreSQL (the ``runtime`` fixture runs each test on both).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.cli import main
from trellis.platform.authz import EnforcerCache, policy_rules
from trellis.platform.authz.policy_store import RULES, PolicyStore
from trellis.platform.config import RuntimeConfig
from trellis.platform.db.engines import EngineRegistry
from trellis.platform.db.sync import ensure_schema
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

DEAL = """
    label: Deal
    title: name
    fields:
      name: {type: string, required: true}
"""
NOTE = """
    label: Note
    fields:
      body: {type: text}
"""
ROLES_V1 = """
roles:
  rep:
    entities:
      deal: {actions: [create, read, update], scope: own}
      note: {actions: [read], scope: all}
  viewer:
    entities:
      deal: {actions: [read], scope: all}
"""
#: ``viewer`` removed, ``rep`` loses update on deal and everything on note.
ROLES_V2 = """
roles:
  rep:
    entities:
      deal: {actions: [create, read], scope: own}
"""
PASSWORD = "long enough secret"


def _package(write_package: PackageWriter, roles: str, version: str = "1.0.0") -> Path:
    root = write_package({"deal": DEAL, "note": NOTE}, version=version)
    (root / "roles.yaml").write_text(roles.lstrip(), encoding="utf-8")
    return root


def _tenant(runtime: Runtime, write_package: PackageWriter, name: str) -> None:
    runtime.registry.create_tenant(name)
    publish(runtime, name, _package(write_package, ROLES_V1))


def _rows(runtime: Runtime, ptype: str, tenant: str) -> list[tuple[str, ...]]:
    """The stored rows of ``tenant`` (``p``: v1 is the domain, ``g``: v2), sorted."""
    c = RULES.c
    domain = c.v1 if ptype == "p" else c.v2
    query = sa.select(c.v0, c.v1, c.v2, c.v3).where(c.ptype == ptype, domain == tenant)
    with runtime.engines.system_connection() as conn:
        found = conn.execute(query).all()
    return sorted(tuple(v for v in row if v is not None) for row in found)


def _expected(runtime: Runtime, tenant: str) -> list[tuple[str, ...]]:
    return sorted(tuple(r) for r in policy_rules(runtime.app(tenant).model, tenant))


def _member(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tenant: str,
    name: str,
    roles: list[str],
) -> Api:
    email = f"{name}@{tenant}.test"
    user_id = runtime.registry.ensure_user(email, PASSWORD)
    runtime.registry.add_membership(tenant, user_id, roles)
    return Api(client, tenant, runtime.registry.create_token(tenant, email))


@pytest.fixture
def second(config: RuntimeConfig) -> Iterator[Runtime]:
    """Another process's view of the same databases."""
    rt = Runtime(config)
    yield rt
    rt.close()


def test_the_table_lives_in_the_system_database(runtime: Runtime) -> None:
    schema = runtime.engines.system_schema
    with runtime.engines.system.connect() as conn:
        assert "casbin_rule" in sa.inspect(conn).get_table_names(schema=schema)
        if schema is not None:
            assert "casbin_rule" not in sa.inspect(conn).get_table_names(schema="public")


def test_publish_stores_the_roles_as_p_rows(runtime: Runtime, write_package: PackageWriter) -> None:
    _tenant(runtime, write_package, "acme")
    stored = _rows(runtime, "p", "acme")
    assert stored == _expected(runtime, "acme")
    assert ("admin", "acme", "*", "*") in stored
    assert ("rep", "acme", "deal", "update") in stored
    assert ("viewer", "acme", "deal", "read") in stored


def test_republish_replaces_the_rows_and_keeps_other_tenants(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package, "acme")
    _tenant(runtime, write_package, "other")
    other_before = _rows(runtime, "p", "other")

    publish(runtime, "acme", _package(write_package, ROLES_V2, version="2.0.0"))

    stored = _rows(runtime, "p", "acme")
    assert stored == [
        ("admin", "acme", "*", "*"),
        ("rep", "acme", "deal", "create"),
        ("rep", "acme", "deal", "read"),
    ]
    assert stored == _expected(runtime, "acme")
    assert _rows(runtime, "p", "other") == other_before


def test_g_rows_follow_role_changes(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    write_package: PackageWriter,
) -> None:
    _tenant(runtime, write_package, "acme")
    admin = _member(runtime, client, "acme", "boss", ["admin"])
    bob = _member(runtime, client, "acme", "bob", [])
    bob_id = runtime.registry.user_id("bob@acme.test")
    sub = f"user:{bob_id}"

    granted = admin.patch(f"_users/{bob_id}", json={"roles": ["rep", "viewer"]})
    assert granted.status_code == 200, granted.text
    assert [r for r in _rows(runtime, "g", "acme") if r[0] == sub] == [
        (sub, "rep", "acme"),
        (sub, "viewer", "acme"),
    ]
    assert bob.get("deal").status_code == 200

    removed = admin.patch(f"_users/{bob_id}", json={"roles": []})
    assert removed.status_code == 200, removed.text
    assert [r for r in _rows(runtime, "g", "acme") if r[0] == sub] == []
    assert bob.get("deal").status_code == 403


def test_the_cli_stores_g_rows(
    runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tenant(runtime, write_package, "acme")
    config = runtime.config
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    where = ["--data-dir", str(config.data_dir)]
    email = "erin@acme.test"

    created = ["user", "create", "acme", email, "--password", PASSWORD, "--role", "rep"]
    assert main([*created, *where]) == 0
    sub = f"user:{runtime.registry.user_id(email)}"
    assert [r for r in _rows(runtime, "g", "acme") if r[0] == sub] == [(sub, "rep", "acme")]

    changed = ["user", "roles", "acme", email, "--add", "viewer", "--remove", "rep"]
    assert main([*changed, *where]) == 0
    assert [r for r in _rows(runtime, "g", "acme") if r[0] == sub] == [(sub, "viewer", "acme")]


def test_a_request_stores_roles_changed_elsewhere(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    write_package: PackageWriter,
) -> None:
    """Roles granted without the API (registry call, seed) are stored at the next request."""
    _tenant(runtime, write_package, "acme")
    carol = _member(runtime, client, "acme", "carol", ["viewer"])
    sub = f"user:{runtime.registry.user_id('carol@acme.test')}"

    assert carol.get("deal").status_code == 200
    assert [r for r in _rows(runtime, "g", "acme") if r[0] == sub] == [(sub, "viewer", "acme")]


def test_a_user_without_role_is_denied(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    write_package: PackageWriter,
) -> None:
    _tenant(runtime, write_package, "acme")
    nobody = _member(runtime, client, "acme", "nobody", [])

    response = nobody.get("deal")
    assert response.status_code == 403
    assert "no role" in response.text


def test_a_fresh_runtime_builds_from_the_stored_rows(
    runtime: Runtime, second: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package, "acme")
    user_id = runtime.registry.ensure_user("dan@acme.test", PASSWORD)
    runtime.policies.replace_user("acme", f"user:{user_id}", ["viewer"])
    app = second.app("acme")

    enforcer = EnforcerCache(store=second.policies).get("acme", app.version_no, app.model)

    # No sync_user: the user's roles come from the stored g rows.
    assert enforcer.allowed(user_id, "deal", "read")
    assert not enforcer.allowed(user_id, "deal", "create")


def test_tampered_p_rows_are_rewritten_by_the_next_build(
    runtime: Runtime, second: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package, "acme")
    _tenant(runtime, write_package, "other")
    other_before = _rows(runtime, "p", "other")
    with runtime.engines.system_connection(write=True) as conn, conn.begin():
        c = RULES.c
        conn.execute(RULES.delete().where(c.ptype == "p", c.v1 == "acme", c.v0 == "rep"))
        conn.execute(RULES.insert().values(ptype="p", v0="viewer", v1="acme", v2="x", v3="y"))
    app = second.app("acme")
    cache = EnforcerCache(store=second.policies)

    enforcer = cache.get("acme", app.version_no, app.model)
    enforcer.sync_user(7, ("rep",))

    assert _rows(runtime, "p", "acme") == _expected(runtime, "acme")
    assert _rows(runtime, "p", "other") == other_before
    assert enforcer.allowed(7, "deal", "update")
    cache.evict("acme")
    assert len(cache) == 0


def test_stores_created_at_once_share_one_table(config: RuntimeConfig) -> None:
    """Processes starting together create ``casbin_rule`` once, without errors."""
    setup = EngineRegistry(config)
    with setup.system.begin() as conn:
        ensure_schema(conn, setup.system_schema)
    registries = [EngineRegistry(config) for _ in range(4)]
    start = threading.Barrier(len(registries))
    errors: list[BaseException] = []

    def create(engines: EngineRegistry) -> None:
        start.wait()
        try:
            PolicyStore(engines)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(r,)) for r in registries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with setup.system.connect() as conn:
        names = sa.inspect(conn).get_table_names(schema=setup.system_schema)
    for engines in [setup, *registries]:
        engines.dispose()
    assert errors == []
    assert "casbin_rule" in names
