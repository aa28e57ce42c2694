"""The application services without HTTP: domain values in, domain values out.

Run on SQLite and PostgreSQL through the CRM template, as a member's session would
call them (the screens do exactly this).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trellis.platform.authz.call import Call
from trellis.platform.automation import record_service
from trellis.platform.publish import publish
from trellis.platform.records.errors import ConflictError, ForbiddenError, NotFoundError
from trellis.platform.runtime import PartKey, Runtime
from trellis.platform.services import IdempotencyKey, ListArgs, Page, RecordBody, Services
from trellis.platform.services.caller import readable_entity

from ui_support import CRM, PASSWORD, add_user, crm_tenant


def call_of(services: Services, runtime: Runtime, email: str) -> Call:
    user = runtime.registry.ensure_user(email, PASSWORD)
    identity = runtime.registry.member_identity("acme", user)
    assert identity is not None
    return services.call_as("acme", identity)


@pytest.fixture
def services(runtime: Runtime) -> Services:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    return Services(runtime)


def test_records_round_trip_as_domain_values(services: Services, runtime: Runtime) -> None:
    call = call_of(services, runtime, "admin@acme.test")
    account = readable_entity(call, "account")
    records = services.records

    created = records.create(call, account, {"name": "Globex"})
    assert isinstance(created, RecordBody)
    assert (created.record["name"], created.version, created.replayed) == ("Globex", 1, False)

    ident = created.record["id"]
    read = records.read(call, account, ident)
    assert read.record == created.record

    updated = records.update(call, account, ident, {"name": "Globex Corp"}, 1)
    assert (updated.record["name"], updated.version) == ("Globex Corp", 2)

    page = records.page(call, account, ListArgs(filter='name == "Globex Corp"'))
    assert isinstance(page, Page)
    assert [item["id"] for item in page.items] == [ident]
    assert page.as_json()["count"] == 1

    records.delete(call, account, ident, 2)
    with pytest.raises(NotFoundError):
        records.read(call, account, ident)


def test_an_idempotent_create_replays_its_first_record(
    services: Services, runtime: Runtime
) -> None:
    call = call_of(services, runtime, "admin@acme.test")
    account = readable_entity(call, "account")
    key = IdempotencyKey("k-1", b'{"name": "Initech"}')

    first = services.records.create(call, account, {"name": "Initech"}, key)
    again = services.records.create(call, account, {"name": "Initech"}, key)

    assert (again.record, again.replayed) == (first.record, True)
    assert services.records.page(call, account, ListArgs()).count == 1
    with pytest.raises(ConflictError):
        services.records.create(
            call, account, {"name": "Other"}, IdempotencyKey("k-1", b'{"name": "Other"}')
        )


def test_services_enforce_the_callers_roles(services: Services, runtime: Runtime) -> None:
    rep = call_of(services, runtime, "rep@acme.test")
    admin = call_of(services, runtime, "admin@acme.test")
    account = readable_entity(admin, "account")
    theirs = services.records.create(admin, account, {"name": "Hooli"}).record["id"]

    with pytest.raises(NotFoundError):
        readable_entity(rep, "no_such_entity")
    with pytest.raises((ForbiddenError, NotFoundError)):
        services.records.delete(rep, readable_entity(rep, "account"), theirs, None)
    assert services.records.read(admin, account, theirs).record["name"] == "Hooli"


def test_one_app_runtime_per_version_builds_each_part_once(
    services: Services, runtime: Runtime
) -> None:
    rt = runtime.app_runtime("acme")
    assert runtime.app_runtime("acme") is rt
    assert call_of(services, runtime, "admin@acme.test").rt is rt

    built: list[int] = []
    key: PartKey[object] = PartKey("test.part")

    def build(_rt: object) -> object:
        built.append(1)
        return object()

    assert rt.part(key, build) is rt.part(key, build)
    assert built == [1]
    assert record_service(rt) is record_service(rt)
    assert services.workflows.runner(call_of(services, runtime, "admin@acme.test")).saver is (
        record_service(rt)
    )


def test_a_new_version_gets_a_new_app_runtime(
    services: Services, runtime: Runtime, tmp_path: Path
) -> None:
    before = runtime.app_runtime("acme")
    package = tmp_path / "crm"
    shutil.copytree(CRM, package)
    app_yaml = package / "app.yaml"
    app_yaml.write_text(app_yaml.read_text().replace('version: "1.0.0"', 'version: "1.0.1"'))
    publish(runtime, "acme", package)

    after = runtime.app_runtime("acme")
    assert after.version_no == before.version_no + 1
    assert after is not before
    assert record_service(after) is not record_service(before)
