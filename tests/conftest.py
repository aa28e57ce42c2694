"""Shared fixtures: real SQLite and real PostgreSQL runtimes, packages, API clients."""

from __future__ import annotations

import gc
import os
import textwrap
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import argon2
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.api.app import create_app
from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.passwords import use_hash_parameters

from browser_support import browser, live, page  # noqa: F401  (fixtures of tests/browser)
from helpers import Api, PackageWriter, make_tenant
from leak_watch import _connection_leak_watch  # noqa: F401  (autouse, every module)

REPO_ROOT = Path(__file__).resolve().parent.parent
# Two test-only speed-ups. Argon2's cheapest profile: every tenant set-up hashes a
# password, and the production profile (64 MiB, 3 passes) made that a large share of a
# test's set-up. And rarer garbage collections, with what the imports built frozen out
# of the collector: building an app allocates many small objects, so collections ran
# often, and each full one walked the whole import-time heap.
use_hash_parameters(argon2.profiles.CHEAPEST)
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 20)

#: The files with the most seconds of tests (a CI run's ``--durations``), longest first.
#: xdist (``--dist loadfile --no-loadscope-reorder``) hands them out first, so no long
#: file starts near the end of the run and keeps one worker busy after the other is done.
LONGEST_FILES = (
    "tests/integration/test_jobs_redis.py",
    "tests/e2e/test_openapi_contract.py",
    "tests/e2e/test_schemathesis.py",
    "tests/integration/test_concurrency.py",
    "tests/e2e/test_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first, then the files with more tests first (xdist's own order).

    The sort is stable and keys on the file only, so tests keep their order in a file.
    """
    files = [item.nodeid.split("::")[0] for item in items]
    sizes = Counter(files)
    first = {name: index for index, name in enumerate(LONGEST_FILES)}
    order = {name: index for index, name in enumerate(dict.fromkeys(files))}
    keys = {name: (first.get(name, len(first)), -sizes[name], order[name]) for name in order}
    items.sort(key=lambda item: keys[item.nodeid.split("::")[0]])


PG_URL = os.environ.get("TRELLIS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def drop_schemas(url: str, prefix: str, attempts: int = 5) -> None:
    """Drop every schema whose name starts with ``prefix`` (test clean-up).

    A ``DROP SCHEMA … CASCADE`` can meet a deadlock with autovacuum or another test's
    catalog work on a busy server; the deadlocked transaction is rolled back whole, so
    it is simply run again.
    """
    engine = sa.create_engine(url)
    try:
        for attempt in range(attempts):
            try:
                _drop_schemas_once(engine, prefix)
                return
            except sa.exc.OperationalError as error:
                if "deadlock" not in str(error) or attempt == attempts - 1:
                    raise
    finally:
        engine.dispose()


def _drop_schemas_once(engine: sa.Engine, prefix: str) -> None:
    with engine.begin() as conn:
        names = (
            conn.execute(
                sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                {"p": prefix.replace("_", r"\_") + "%"},
            )
            .scalars()
            .all()
        )
        for name in names:
            conn.execute(sa.schema.DropSchema(name, cascade=True))


@pytest.fixture(params=["sqlite", "postgres"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RuntimeConfig]:
    """A runtime configuration on SQLite files or on a private set of PostgreSQL schemas."""
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        yield RuntimeConfig(data_dir=data_dir, version_check_interval=0.0)
        return
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    yield RuntimeConfig(
        data_dir=data_dir, database_url=PG_URL, schema_prefix=prefix, version_check_interval=0.0
    )
    drop_schemas(PG_URL, prefix)


@pytest.fixture
def runtime(config: RuntimeConfig) -> Iterator[Runtime]:
    """A runtime over ``config``."""
    rt = Runtime(config)
    yield rt
    rt.close()


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand (``clocked_runtime`` runs on it)."""
    return FakeClock()


@pytest.fixture
def clocked_runtime(config: RuntimeConfig, clock: FakeClock) -> Iterator[Runtime]:
    """A runtime over ``config`` on ``clock``: its caches expire when the test moves it.

    A test module uses it for every fixture built on ``runtime`` by overriding that
    fixture: ``def runtime(clocked_runtime): return clocked_runtime``.
    """
    rt = Runtime(config, clock=clock)
    yield rt
    rt.close()


@pytest.fixture
def write_package(tmp_path: Path) -> PackageWriter:
    """Write an app package folder: ``write_package(entities={"name": yaml}, version=...)``."""
    counter = iter(range(1000))

    def write(
        entities: dict[str, str],
        *,
        version: str = "1.0.0",
        name: str = "testapp",
        folder: str | None = None,
    ) -> Path:
        root = tmp_path / (folder or f"pkg{next(counter)}")
        (root / "entities").mkdir(parents=True, exist_ok=True)
        (root / "app.yaml").write_text(
            f"name: {name}\nversion: {version}\nlabel: Test app\n", encoding="utf-8"
        )
        for entity, text in entities.items():
            (root / "entities" / f"{entity}.yaml").write_text(
                textwrap.dedent(text).lstrip(), encoding="utf-8"
            )
        return root

    return write


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """A test client over the runtime's web app."""
    with TestClient(app=create_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def api(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    """The API of tenant 'acme' (test package) with an admin token."""
    return Api(client, "acme", make_tenant(runtime, write_package, "acme"))
