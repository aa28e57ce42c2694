"""Fixtures for the rule expression tests: real SQLite and PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from rules_test_support import DEFAULT_PG_URL, PG_URL_ENV, Db, build_tables, sqlite_database

os.environ.setdefault(PG_URL_ENV, DEFAULT_PG_URL)


@pytest.fixture
def sqlite_db() -> Iterator[Db]:
    """A fresh in-memory SQLite database for one test."""
    db = sqlite_database()
    yield db
    db.engine.dispose()


@pytest.fixture(scope="session")
def pg_db() -> Iterator[Db]:
    """The PostgreSQL test database, in a schema made for this session and dropped after."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"{PG_URL_ENV} is not set: the PostgreSQL variants of the rule tests need it")
    schema = f"trellis_rules_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    meta = sa.MetaData(schema=schema)
    tables = build_tables(meta)
    meta.create_all(engine)
    try:
        yield Db("postgresql", engine, tables)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Db:
    """Each real database in turn."""
    name = "sqlite_db" if request.param == "sqlite" else "pg_db"
    result: Db = request.getfixturevalue(name)
    return result
