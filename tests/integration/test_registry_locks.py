"""Read-check-write changes of the registry run under one lock with their write.

A version check, a role merge or a reporting-loop check that reads before the lock
lets concurrent changes based on the same state all pass (lost updates, two
publishes of one version, a manager loop). These run real threads on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import RegistryError, VersionConflictError
from trellis.tenants.registry.access_admin import change_roles
from trellis.tenants.registry.members import get_member, update_member

from helpers import PackageWriter

THING = "fields:\n  name: {type: string}\n"
PASSWORD = "long enough secret"


def _tenant(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"thing": THING}))


def _member(runtime: Runtime, name: str) -> int:
    user = runtime.registry.ensure_user(f"{name}@acme.test", PASSWORD)
    runtime.registry.add_membership("acme", user, [])
    return user


def _together(jobs: list[Callable[[], object]]) -> list[object]:
    """Run ``jobs`` in threads released at once; each result or the exception raised."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        start.wait(timeout=30)
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_publish_with_a_stale_expected_version_changes_nothing(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    wider = write_package({"thing": THING, "other": THING})
    with pytest.raises(VersionConflictError) as caught:
        publish(runtime, "acme", wider, expected_version=7)
    assert (caught.value.expected, caught.value.current) == (7, 1)
    assert runtime.tenant("acme", fresh=True).current_version == 1
    with runtime.engines.tenant_connection("acme") as conn:
        schema = runtime.engines.tenant_schema("acme")
        assert "other" not in sa.inspect(conn).get_table_names(schema=schema)
    assert publish(runtime, "acme", wider, expected_version=1).version_no == 2


def test_record_version_checks_the_expected_version_in_its_own_transaction(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    reg = runtime.registry
    info = runtime.tenant("acme", fresh=True)
    with pytest.raises(VersionConflictError), reg.connect(write=True) as conn, conn.begin():
        reg.record_version(
            conn,
            info,
            app_name="testapp",
            app_version="1.0.0",
            digest="x" * 64,
            files={},
            plan="",
            published_by="test",
            expected_version=0,
        )
    assert reg.get_version(info.id, 2) is None
    assert runtime.tenant("acme", fresh=True).current_version == 1


def test_concurrent_publishes_of_one_version_one_wins(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    packages = [
        write_package({"thing": THING, f"extra{i}": THING}, version=f"1.{i}.0") for i in range(6)
    ]
    results = _together(
        [lambda p=p: publish(runtime, "acme", p, expected_version=1) for p in packages]
    )
    conflicts = [r for r in results if isinstance(r, VersionConflictError)]
    assert len(conflicts) == 5, results
    assert runtime.tenant("acme", fresh=True).current_version == 2


def test_concurrent_role_changes_of_one_member_all_survive(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    _member(runtime, "erin")
    roles = [f"role{i}" for i in range(8)]
    results = _together(
        [
            lambda r=r: change_roles(runtime.registry, "acme", "erin@acme.test", add=(r,))
            for r in roles
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert get_member(runtime.registry, "acme", "erin@acme.test").roles == tuple(roles)


def test_concurrent_manager_changes_never_make_a_reporting_loop(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    _member(runtime, "ann")
    _member(runtime, "bob")
    reg = runtime.registry
    for _round in range(5):
        results = _together(
            [
                lambda: update_member(reg, "acme", "ann@acme.test", manager="bob@acme.test"),
                lambda: update_member(reg, "acme", "bob@acme.test", manager="ann@acme.test"),
            ]
        )
        refused = [r for r in results if isinstance(r, RegistryError)]
        assert len(refused) == 1 and "loop" in str(refused[0]), results
        ann = get_member(reg, "acme", "ann@acme.test")
        bob = get_member(reg, "acme", "bob@acme.test")
        assert ann.manager_id is None or bob.manager_id is None
        for email in ("ann@acme.test", "bob@acme.test"):
            update_member(reg, "acme", email, manager="")
