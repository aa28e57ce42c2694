"""``trellis import`` answers in Spanish when the environment asks for it (``LANG``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trellis.cli import main
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import PackageWriter

PERSON = """
    label: {en: Person, es: Persona}
    fields:
      name: {type: string, required: true}
      score: {type: integer}
      joined: {type: date}
"""


@pytest.fixture
def cli(
    runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Tenant ``acme`` with admin boss, the CLI in Spanish; the ``--data-dir`` arguments."""
    reg = runtime.registry
    reg.create_tenant("acme")
    publish(runtime, "acme", write_package({"person": PERSON}))
    reg.add_membership("acme", reg.ensure_user("boss@acme.test", "long enough secret"), ["admin"])
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    return ["--data-dir", str(runtime.config.data_dir)]


def test_import_summary_and_row_errors_are_spanish(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "people.csv"
    source.write_text("name,score,joined\nAna,10,2026-01-31\nBea,abc,\nCid,1,31/01/2026\n")
    assert main(["import", "acme", "person", str(source), "--dry-run", *cli]) == 0
    out = capsys.readouterr().out
    assert (
        "simulación (no se ha escrito nada): creados 1, actualizados 0, sin cambios 0, "
        "con errores 2" in out
    )
    assert "  fila 3: score: «abc» no es un número entero." in out
    assert "  fila 4: joined: «31/01/2026» no es una fecha con el formato YYYY-MM-DD." in out

    assert main(["import", "acme", "person", str(source), *cli]) == 0
    captured = capsys.readouterr()
    assert "importación 1 iniciada (se reanuda con --resume 1)" in captured.err
    assert "filas/s" in captured.err
    assert "importación 1: creados 1" in captured.out
    assert main(["import", "undo", "acme", "1", *cli]) == 0
    undone = capsys.readouterr().out
    assert undone == "importación 1 deshecha: 1 eliminados, 0 restaurados, 0 omitidos\n"
    assert main(["import", "undo", "acme", "1", *cli]) == 1
    assert "error: La importación 1 ya está deshecha." in capsys.readouterr().err


def test_a_refused_import_names_its_problems_in_spanish(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "people.csv"
    source.write_text("score,score\n1,2\n")
    assert main(["import", "acme", "person", str(source), *cli]) == 1
    err = capsys.readouterr().err
    assert "error: se rechazó la importación:" in err
    assert "La columna «score» aparece dos veces (columnas 1 y 2); cambie el nombre de una." in err
    source.write_text("score\n1\n")
    assert main(["import", "acme", "person", str(source), *cli]) == 1
    err = capsys.readouterr().err
    assert "El campo obligatorio «name» no tiene columna; añada una o asígnelo con --map." in err
    assert main(["import", "acme", "person", *cli]) == 1
    assert "indique el archivo que se va a importar" in capsys.readouterr().err
