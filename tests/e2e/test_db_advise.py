"""The slow-list log and ``trellis db advise``: slow lists are noted by shape (never by
value), at most once a minute per shape, and turn into index declarations that go away
once published."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.cli import main
from trellis.platform.api.app import create_app
from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.db.view_tables import SLOW_LISTS_TABLE
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.slow_lists import read_slow_lists

from helpers import ACCOUNT, CONTACT, Api, PackageWriter, make_tenant

#: Every list is "slow" at this threshold (a real duration is always above it).
EVERY_LIST_MS = 1e-6
BY_INDUSTRY = {"filter": 'industry == "tech" and employees > 10', "sort": "-founded"}


@pytest.fixture
def noting(config: RuntimeConfig, clock: FakeClock) -> Iterator[Runtime]:
    """A runtime that notes every list, on the test's clock."""
    runtime = Runtime(replace(config, slow_list_ms=EVERY_LIST_MS), clock=clock)
    yield runtime
    runtime.close()


@pytest.fixture
def acme(noting: Runtime, write_package: PackageWriter) -> Iterator[Api]:
    """Tenant acme's API on the noting runtime."""
    token = make_tenant(noting, write_package, "acme")
    with TestClient(app=create_app(noting)) as client:
        yield Api(client, "acme", token)


def _rows(runtime: Runtime) -> list[dict[str, object]]:
    table = runtime.app("acme").metadata.tables[SLOW_LISTS_TABLE]
    with runtime.engines.tenant_connection("acme") as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def test_slow_lists_are_noted_by_shape_once_a_minute_without_values(
    noting: Runtime, acme: Api, clock: FakeClock
) -> None:
    assert acme.get("account", params=BY_INDUSTRY).status_code == 200
    assert acme.get("account", params=BY_INDUSTRY).status_code == 200  # counted, not written
    rows = _rows(noting)
    assert [(r["entity"], r["count"]) for r in rows] == [("account", 1)]
    assert "tech" not in str(rows[0]["shape"]) and "10" not in str(rows[0]["shape"])
    clock.advance(61)
    assert acme.get("account", params=BY_INDUSTRY).status_code == 200
    [row] = _rows(noting)
    assert row["count"] == 3 and float(str(row["max_ms"])) >= float(str(row["total_ms"])) / 3
    [noted] = read_slow_lists(noting, "acme")
    assert noted.shape.equal == ("industry",) and noted.shape.range == ("employees",)
    assert noted.shape.sort == ("-founded",)
    # A refused list (bad filter) is not a slow list.
    assert acme.get("account", params={"filter": "nope =="}).status_code == 400
    assert len(_rows(noting)) == 1


def test_nothing_is_noted_below_the_threshold_or_when_off(
    config: RuntimeConfig, write_package: PackageWriter
) -> None:
    for threshold in (0.0, 1e9):
        runtime = Runtime(replace(config, slow_list_ms=threshold))
        try:
            if runtime.registry.get_tenant("acme") is None:
                token = make_tenant(runtime, write_package, "acme")
            with TestClient(app=create_app(runtime)) as client:
                assert Api(client, "acme", token).get("account", params=BY_INDUSTRY).status_code
            assert _rows(runtime) == []
        finally:
            runtime.close()


def _cli_env(monkeypatch: pytest.MonkeyPatch, config: RuntimeConfig, lang: str) -> list[str]:
    for name in [n for n in os.environ if n.startswith("TRELLIS_") or n.startswith("LC_")]:
        monkeypatch.delenv(name)
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    monkeypatch.setenv("LANG", lang)
    return ["--data-dir", str(config.data_dir)]


def test_advise_proposes_the_index_until_it_is_published_then_clears_the_log(
    noting: Runtime,
    acme: Api,
    write_package: PackageWriter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert acme.get("account", params=BY_INDUSTRY).status_code == 200
    assert acme.get("account", params={"filter": 'name contains "ac"'}).status_code == 200
    # A reference has its index already: nothing to advise for this one.
    assert acme.get("contact", params={"filter": "account == 1"}).status_code == 200
    where = _cli_env(monkeypatch, noting.config, "C.UTF-8")
    assert main(["db", "advise", "acme", *where]) == 0
    out = capsys.readouterr().out
    assert "3 shape(s), 3 list(s)" in out
    assert "entities/account.yaml: add under indexes:" in out
    assert "  - [industry, founded, employees]" in out
    assert "name: {indexed: trigram}" in out and "contact" not in out
    where = _cli_env(monkeypatch, noting.config, "es_ES.UTF-8")
    assert main(["db", "advise", "acme", *where]) == 0
    assert "entities/account.yaml: añada en indexes:" in capsys.readouterr().out
    # Declared and published, the index serves those lists: only the trigram remains.
    indexed = ACCOUNT + "    indexes:\n      - [industry, founded, employees]\n"
    publish(noting, "acme", write_package({"account": indexed, "contact": CONTACT}))
    assert main(["db", "advise", "acme", "--clear", *where]) == 0
    out = capsys.readouterr().out
    assert "indexes:" not in out and "name: {indexed: trigram}" in out
    assert "Se vació el registro (3 fila(s))." in out
    assert _rows(noting) == []


def test_advise_refuses_bad_and_unknown_tenants_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = RuntimeConfig(data_dir=tmp_path / "data")
    where = _cli_env(monkeypatch, config, "C.UTF-8")
    assert main(["db", "advise", "Not A Tenant", *where]) == 1
    assert "error:" in capsys.readouterr().err
    assert main(["db", "advise", "ghost", *where]) == 1
    assert "ghost" in capsys.readouterr().err


def test_advise_on_a_tenant_without_the_log_table_points_to_migrate(
    noting: Runtime,
    acme: Api,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A tenant published before the log existed: a clear error, then migrate mends it."""
    table = noting.app("acme").metadata.tables[SLOW_LISTS_TABLE]
    with noting.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        table.drop(conn)
    where = _cli_env(monkeypatch, noting.config, "es_ES.UTF-8")
    assert main(["db", "advise", "acme", *where]) == 1
    err = capsys.readouterr().err
    assert "No se puede leer el registro de listas lentas de 'acme'" in err
    assert "'trellis migrate --tenant acme'" in err and "Traceback" not in err
    assert main(["migrate", "--tenant", "acme", *where]) == 0
    capsys.readouterr()
    assert main(["db", "advise", "acme", *where]) == 0
    assert "0 patrón(es) de consulta, 0 lista(s)." in capsys.readouterr().out
