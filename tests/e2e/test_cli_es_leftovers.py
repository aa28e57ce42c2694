"""More command-line output in Spanish (``LANG=es_ES.UTF-8``): dedup, token list, jobs,
gdpr erase, rates refusals, import map errors, the publish plan and serve's start-up."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trellis.cli import main
from trellis.platform.automation import record_service
from trellis.platform.publish import publish
from trellis.platform.records.principal import SYSTEM
from trellis.platform.records.save_context import SaveContext
from trellis.platform.runtime import Runtime
from trellis.serve_cli import startup_lines

from helpers import PackageWriter

PERSON = """
    label: {en: Person, es: Persona}
    title: name
    fields:
      name: {type: string, required: true, pii: true}
      email: {type: email}
      phone: {type: phone}
    duplicates:
      - {name: same_phone, match: exact, fields: [phone]}
"""
PEOPLE = [
    {"name": "Ana", "email": "ana@x.test", "phone": "+34 600 11 22"},
    {"name": "Anna", "phone": "+34 600 11 22"},
]


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
    """Tenant ``acme`` with two people sharing a phone and an admin; the CLI in Spanish."""
    reg = runtime.registry
    reg.create_tenant("acme")
    publish(runtime, "acme", write_package({"person": PERSON}))
    reg.add_membership("acme", reg.ensure_user("boss@acme.test", "long enough secret"), ["admin"])
    app = runtime.app("acme")
    service = record_service(runtime.app_runtime("acme"))
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        ctx = SaveContext(conn, SYSTEM, runtime.clock.now(), source="import")
        ctx.allow_duplicate = True
        for person in PEOPLE:
            service.create(ctx, app.entities["person"], person)
    return _spanish(monkeypatch, runtime)


def test_dedup_token_list_jobs_and_gdpr_erase_in_spanish(
    cli: list[str], runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dedup", "scan", "acme", "person", *cli]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("1 grupo de duplicados; 2 filas leídas en ")
    assert main(["dedup", "scan", "acme", "persona", *cli]) == 1
    assert "La organización «acme» no tiene la entidad «persona»." in capsys.readouterr().err
    assert main(["dedup", "scan", "acme", "person", "--rule", "nope", *cli]) == 1
    assert "La entidad «person» no tiene la regla «nope»" in capsys.readouterr().err

    runtime.registry.create_token("acme", "boss@acme.test")
    assert main(["token", "list", "acme", *cli]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert "  boss@acme.test  creado " in line and "  caduca -  último uso -" in line

    assert main(["jobs", "status", *cli]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "organización encolados en_uso fallidos programados muertos hechos descartados"
    assert main(["jobs", "run-due", *cli]) == 0
    assert "acme: 0 temporizadores disparados, 0 trabajos hechos" in capsys.readouterr().out

    erase = ["gdpr", "erase", "acme", "--email", "ana@x.test", "--dry-run", *cli]
    assert main(erase) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["dry_run"] is True  # the JSON stays as the API's
    assert captured.err.startswith("Simulación: se borrarían ")
    assert "registros de ana@x.test; no se ha cambiado nada." in captured.err


def test_rates_and_import_map_refusals_in_spanish(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rate = ["rates", "set", "acme", "EUR", "EUR", "0", "--date", "31/01/2026", *cli]
    assert main(rate) == 1
    err = capsys.readouterr().err
    assert "Un tipo de cambio convierte entre dos monedas distintas." in err
    assert "«0» no es un número de 0.0000000001 a menos de" in err
    assert "«31/01/2026» no es una fecha como 2026-01-31." in err
    bad = tmp_path / "rates.csv"
    bad.write_text("date,from,to,rate\n2026-04-01,EUR,SEK,11\n2026-04-02,EUR,SEK,abc\n")
    assert main(["rates", "import", "acme", str(bad), *cli]) == 1
    err = capsys.readouterr().err
    assert "error: no se guardaron los tipos de cambio:" in err
    assert "línea 3: rate: «abc» no es un número" in err

    source = tmp_path / "people.csv"
    source.write_text("name\nBea\n")
    mapping = tmp_path / "map.yaml"
    for text, expected in [
        ("columns: [name]\n", "map.yaml: columns debe ser un diccionario."),
        ("colums: {}\n", "map.yaml: clave(s) desconocida(s) colums."),
        ("columns: {name: [x]}\n", "map.yaml: columns: «name» debe nombrar un campo."),
        ("- a\n", "map.yaml debe ser un diccionario con 'columns', 'lookups' …."),
    ]:
        mapping.write_text(text)
        args = ["import", "acme", "person", str(source), "--map", str(mapping), "--dry-run"]
        assert main([*args, *cli]) == 1
        err = capsys.readouterr().err
        assert "error: se rechazó la importación:" in err
        assert expected in err


def test_publish_plan_and_refusal_in_spanish(
    cli: list[str], write_package: PackageWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    more = PERSON.replace(
        "phone: {type: phone}", "phone: {type: phone}\n      city: {type: string}"
    )
    grown = write_package({"person": more}, version="1.1.0")
    assert main(["publish", "acme", str(grown), "--dry-run", *cli]) == 0
    out = capsys.readouterr().out
    assert "Plan para la organización «acme» (testapp 1.1.0):" in out
    assert "+ add column person city" in out
    assert out.rstrip().endswith("Simulación: no se ha aplicado nada.")
    fewer = PERSON.split("      phone:")[0]
    assert main(["publish", "acme", str(write_package({"person": fewer}, version="1.2.0")), *cli])
    err = capsys.readouterr().err
    assert "Esta publicación perdería u ocultaría datos; confírmela para seguir:" in err
    assert "quita `phone` de person: 2 valores no vacíos" in err
    assert "No se ha aplicado nada; añada --allow-destructive para seguir adelante." in err


def test_serve_start_up_lines_in_spanish(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    url = "http://127.0.0.1:8000"
    assert startup_lines(url, tmp_path, tmp_path / "demo-credentials.txt") == [
        f"Trellis está sirviendo {url} (datos en {tmp_path}).",
        "Organización de demostración creada. Administrador: admin@demo.test; la contraseña "
        "y un token de API",
        f"están en {tmp_path / 'demo-credentials.txt'} (solo usted puede leerlo).",
        f"Inicie sesión en {url}/t/demo/login",
        "Pruebe: curl -H 'Authorization: Bearer <el token de ese archivo>' "
        f"{url}/t/demo/api/account",
    ]
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert startup_lines(url, tmp_path, None)[1] == (
        "Make an API token with: trellis token create demo admin@demo.test"
    )


def test_member_and_worker_refusals_in_spanish(
    cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "roles", "acme", "boss@acme.test", *cli]) == 1
    assert "error: Indique --add ROL o --remove ROL." in capsys.readouterr().err
    assert main(["user", "roles", "acme", "boss@acme.test", "--add", "admn", *cli]) == 1
    assert "Rol desconocido «admn» en la organización «acme»: los roles conocidos son admin " in (
        capsys.readouterr().err
    )
    assert main(["user", "set", "acme", "boss@acme.test", *cli]) == 1
    assert "Indique --team, --add-team, --remove-team" in capsys.readouterr().err
    assert main(["user", "show", "acme", "boss@acme.test", *cli]) == 0
    assert capsys.readouterr().out == (
        "boss@acme.test  roles: admin  equipos: (ninguno)  responsable: -  atributos: (ninguno)\n"
    )
    assert main(["jobs", "run-due", "--now", "mañana", *cli]) == 1
    assert "--now tiene el valor «mañana»." in capsys.readouterr().err
