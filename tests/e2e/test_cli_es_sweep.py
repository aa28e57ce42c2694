"""Command-line output in Spanish (``LANG=es_ES.UTF-8``): the ``data:``/``backup:`` lines
of ``publish``, the rates of ``rates set``/``rates list`` and the columns of ``jobs status``
(gettext contexts)."""

from __future__ import annotations

import os

import pytest

from trellis.cli import main
from trellis.platform.automation import record_service
from trellis.platform.publish import publish
from trellis.platform.records.principal import SYSTEM
from trellis.platform.records.save_context import SaveContext
from trellis.platform.runtime import Runtime

from helpers import PackageWriter

ITEM = """
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true}
      fax: {type: string}
"""


def _spanish(monkeypatch: pytest.MonkeyPatch, runtime: Runtime) -> list[str]:
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    return ["--data-dir", str(runtime.config.data_dir)]


@pytest.fixture
def cli(
    runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Tenant ``acme`` with one item that has a fax; the CLI in Spanish."""
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"item": ITEM}))
    service = record_service(runtime.app_runtime("acme"))
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        ctx = SaveContext(conn, SYSTEM, runtime.clock.now(), source="import")
        service.create(ctx, runtime.app("acme").entities["item"], {"name": "Uno", "fax": "+34 1"})
    return _spanish(monkeypatch, runtime)


def test_publish_data_and_backup_lines_in_spanish(
    cli: list[str], write_package: PackageWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    without_fax = write_package({"item": ITEM.split("      fax:")[0]}, version="1.1.0")
    assert main(["publish", "acme", str(without_fax), "--allow-destructive", *cli]) == 0
    out = capsys.readouterr().out
    assert "\ncopia de seguridad: " in out and "\nbackup: " not in out
    again = write_package({"item": ITEM}, version="1.2.0")
    assert main(["publish", "acme", str(again), *cli]) == 0
    lines = capsys.readouterr().out.splitlines()
    data = [line for line in lines if line.startswith("datos: ")]
    assert data and not any(line.startswith("data: ") for line in lines)


def test_rates_set_and_list_write_numbers_in_spanish(
    cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    rate = ["rates", "set", "acme", "EUR", "USD", "1.0825", "--date", "2026-01-31", *cli]
    assert main(rate) == 0
    assert capsys.readouterr().out.splitlines() == ["2026-01-31 EUR USD 1,0825"]
    tiny = ["rates", "set", "acme", "EUR", "JPY", "17000.0000000001", "--date", "2026-02-01"]
    assert main([*tiny, *cli]) == 0
    capsys.readouterr()
    assert main(["rates", "list", "acme", *cli]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "2026-02-01 EUR JPY 17000,0000000001",  # every digit kept, no grouping
        "2026-01-31 EUR USD 1,0825",
    ]


def test_jobs_status_columns_use_the_jobs_column_context(
    cli: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["jobs", "status", *cli]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split() == [
        "organización",
        "encolados",
        "en_uso",
        "fallidos",
        "programados",
        "muertos",
        "hechos",
        "descartados",
    ]
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert main(["jobs", "status", *cli]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "tenant queued running failed scheduled dead done discarded"
