"""Command-line output in Spanish (``LANG=es_ES.UTF-8``): tenants, members, tokens, links."""

from __future__ import annotations

import os

import pytest

from trellis.cli import main
from trellis.platform.runtime import Runtime

from helpers import PackageWriter

PERSON = "label: {en: Person, es: Persona}\nfields:\n  name: {type: string, required: true}\n"


@pytest.fixture
def where(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The runtime's databases for in-process commands, in Spanish; ``--data-dir`` args."""
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    return ["--data-dir", str(runtime.config.data_dir)]


def test_tenant_member_and_token_commands_answer_in_spanish(
    where: list[str], write_package: PackageWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    package = str(write_package({"person": PERSON}))
    assert main(["metadata", "validate", package]) == 0
    assert capsys.readouterr().out == "Correcto: testapp 1.0.0, 1 entidad, sin errores.\n"
    create = ["tenant", "create", "acme", "--template", package, "--admin", "boss@acme.test"]
    assert main([*create, "--password", "s3cret-pass", *where]) == 0
    assert capsys.readouterr().out == (
        "Organización «acme» creada a partir de testapp 1.0.0, 1 entidad; "
        "administrador: boss@acme.test.\n"
    )
    assert main([*create, "--password", "s3cret-pass", *where]) == 1
    assert "error: La organización «acme» ya existe." in capsys.readouterr().err
    user = ["user", "create", "acme", "ana@acme.test", "--password", "another-pass1"]
    assert main([*user, *where]) == 0
    assert capsys.readouterr().out == (
        "El usuario ana@acme.test es miembro de «acme» con los roles: (ninguno).\n"
    )
    assert main(["token", "create", "acme", "ana@acme.test", *where]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert (
        first
        == "Token de API de ana@acme.test en la organización «acme» (se muestra una sola vez):"
    )
    expires = ["token", "create", "acme", "ana@acme.test", "--expires", "soon", *where]
    assert main(expires) == 1
    assert "--expires «soon» no es una duración" in capsys.readouterr().err


def test_english_stays_the_default_of_the_command_line(
    where: list[str],
    write_package: PackageWriter,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    package = str(write_package({"person": PERSON}))
    assert main(["metadata", "validate", package]) == 0
    assert capsys.readouterr().out == "OK: testapp 1.0.0, 1 entity, no errors.\n"
