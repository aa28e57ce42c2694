"""``trellis user create`` and ``trellis tenant create``: passwords, roles, existing accounts.

Most cases run ``main(argv)`` in-process against the parametrized runtime (SQLite and
PostgreSQL); standard input and a terminal are exercised with real processes.
"""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import time
from typing import Any

import pytest

from trellis.cli import main
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import verify_password
from trellis.tenants.registry.members import get_member

from conftest import REPO_ROOT
from helpers import PackageWriter

THING = "fields:\n  name: {type: string}\n"
ROLES = """roles:
  rep:
    entities:
      thing: {actions: [create, read]}
  viewer:
    entities:
      thing: {actions: [read]}
"""
GOOD = "a fine passphrase 42"
OTHER = "another fine passphrase"


@pytest.fixture
def cli(
    runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Tenant ``acme`` with roles rep and viewer; returns the ``--data-dir`` arguments."""
    root = write_package({"thing": THING})
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", root)
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal
    return ["--data-dir", str(runtime.config.data_dir)]


def _create(where: list[str], *args: str) -> int:
    return main(["user", "create", "acme", *args, *where])


def _password_ok(runtime: Runtime, email: str, password: str) -> bool:
    user_id = runtime.registry.user_id(email)
    stored = runtime.registry.password_hash(user_id) if user_id is not None else None
    return stored is not None and verify_password(stored, password)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password123", "common or breached"),
        ("Password1!", "common or breached"),
        ("qwertyuiop", "common or breached"),
        ("short", "at least 8 characters"),
        ("erin-is-my-password-7", "must not contain your email name"),
    ],
)
def test_user_create_refuses_passwords_the_sign_in_policy_refuses(
    runtime: Runtime, cli: list[str], capsys: Any, password: str, message: str
) -> None:
    assert _create(cli, "erin@acme.test", "--password", password, "--role", "rep") == 1
    assert message in capsys.readouterr().err
    assert runtime.registry.user_id("erin@acme.test") is None


def test_user_create_refuses_an_unknown_role_listing_the_known_ones(
    runtime: Runtime, cli: list[str], capsys: Any
) -> None:
    assert _create(cli, "erin@acme.test", "--password", GOOD, "--role", "reps") == 1
    err = capsys.readouterr().err
    assert "Unknown role 'reps' in tenant 'acme'" in err
    assert "known roles are admin, rep, viewer (did you mean 'rep'?)" in err
    assert runtime.registry.user_id("erin@acme.test") is None
    assert _create(cli, "erin@acme.test", "--password", GOOD, "--role", "admin") == 0
    assert get_member(runtime.registry, "acme", "erin@acme.test").roles == ("admin",)


def test_user_roles_add_refuses_an_unknown_role(
    runtime: Runtime, cli: list[str], capsys: Any
) -> None:
    assert _create(cli, "erin@acme.test", "--password", GOOD, "--role", "rep") == 0
    refused = main(["user", "roles", "acme", "erin@acme.test", "--add", "veiwer", *cli])
    assert refused == 1
    assert "(did you mean 'viewer'?)" in capsys.readouterr().err
    assert get_member(runtime.registry, "acme", "erin@acme.test").roles == ("rep",)


def test_user_create_of_an_existing_member_needs_reset_password(
    runtime: Runtime, cli: list[str], capsys: Any
) -> None:
    assert _create(cli, "erin@acme.test", "--password", GOOD, "--role", "rep") == 0
    assert "warning: --password shows the password" in capsys.readouterr().err
    assert _create(cli, "erin@acme.test", "--password", OTHER) == 1
    assert "already a member of tenant 'acme'" in capsys.readouterr().err
    assert _password_ok(runtime, "erin@acme.test", GOOD)
    assert not _password_ok(runtime, "erin@acme.test", OTHER)

    weak = _create(cli, "erin@acme.test", "--password", "password123", "--reset-password")
    assert weak == 1 and _password_ok(runtime, "erin@acme.test", GOOD)
    assert _create(cli, "erin@acme.test", "--password", OTHER, "--reset-password") == 0
    assert "password of erin@acme.test was reset" in capsys.readouterr().out
    assert _password_ok(runtime, "erin@acme.test", OTHER)
    info = runtime.tenant("acme", fresh=True)
    resets = runtime.registry.audit.entries(info.id, action="auth.password.reset")
    assert [(e.actor, e.target) for e in resets] == [("cli", "user:erin@acme.test")]


def test_an_account_of_another_tenant_joins_with_its_own_password(
    runtime: Runtime, cli: list[str], write_package: PackageWriter, capsys: Any
) -> None:
    runtime.registry.create_tenant("beta")
    publish(runtime, "beta", write_package({"thing": THING}))
    assert _create(cli, "erin@acme.test", "--password", GOOD) == 0
    with_password = ["user", "create", "beta", "erin@acme.test", "--password", OTHER, *cli]
    assert main(with_password) == 1
    assert "keeps its password" in capsys.readouterr().err
    assert main(["user", "create", "beta", "erin@acme.test", *cli]) == 0
    assert get_member(runtime.registry, "beta", "erin@acme.test").email == "erin@acme.test"
    assert _password_ok(runtime, "erin@acme.test", GOOD)


def test_user_create_reads_one_line_of_standard_input(
    runtime: Runtime, cli: list[str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{GOOD}\nnot this line\n"))
    assert _create(cli, "erin@acme.test", "--password-stdin") == 0
    assert "warning" not in capsys.readouterr().err
    assert _password_ok(runtime, "erin@acme.test", GOOD)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert _create(cli, "fred@acme.test", "--password-stdin") == 1
    assert "standard input held no password" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("iloveyou\n"))
    assert _create(cli, "fred@acme.test", "--password-stdin") == 1
    assert "common or breached" in capsys.readouterr().err
    assert runtime.registry.user_id("fred@acme.test") is None
    with pytest.raises(SystemExit) as both:
        _create(cli, "fred@acme.test", "--password-stdin", "--password", GOOD)
    assert both.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_user_create_without_a_password_off_a_terminal_is_refused(
    runtime: Runtime, cli: list[str], capsys: Any
) -> None:
    assert _create(cli, "erin@acme.test", "--role", "rep") == 1
    assert "standard input is not a terminal" in capsys.readouterr().err
    assert runtime.registry.user_id("erin@acme.test") is None


def test_tenant_create_applies_the_password_policy_and_keeps_existing_passwords(
    runtime: Runtime, cli: list[str], write_package: PackageWriter, capsys: Any
) -> None:
    package = str(write_package({"thing": THING}))
    create = ["tenant", "create", "beta", "--template", package, "--admin", "boss@beta.test"]
    assert main([*create, "--password", "password123", *cli]) == 1
    assert "common or breached" in capsys.readouterr().err
    assert runtime.registry.get_tenant("beta") is None

    assert _create(cli, "erin@acme.test", "--password", GOOD) == 0
    erin = ["tenant", "create", "gamma", "--template", package, "--admin", "erin@acme.test"]
    assert main([*erin, "--password", OTHER, *cli]) == 1
    assert "keeps its password" in capsys.readouterr().err
    assert runtime.registry.get_tenant("gamma") is None
    assert main([*erin, *cli]) == 0  # the existing account becomes admin, password kept
    assert _password_ok(runtime, "erin@acme.test", GOOD)
    assert get_member(runtime.registry, "gamma", "erin@acme.test").roles == ("admin",)
    again = main([*erin, "--password", OTHER, "--reset-password", *cli])
    assert again == 1 and "already exists" in capsys.readouterr().err
    assert _password_ok(runtime, "erin@acme.test", GOOD)


def _process_env(runtime: Runtime) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRELLIS_")}
    env["TRELLIS_DATA_DIR"] = str(runtime.config.data_dir)
    if runtime.config.database_url:
        env["TRELLIS_DATABASE_URL"] = runtime.config.database_url
        env["TRELLIS_SCHEMA_PREFIX"] = runtime.config.schema_prefix
    return env


def _in_terminal(env: dict[str, str], argv: list[str], answers: list[str]) -> tuple[int, str]:
    """Run ``trellis argv`` on a new pseudo-terminal, typing each answer at its prompt."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "trellis", *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=REPO_ROOT,
        start_new_session=True,  # no controlling terminal: getpass uses this one
    )
    os.close(slave)
    output, prompts = b"", (b"Password for ", b"Repeat the password: ")
    typed = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            output += chunk
            while typed < len(answers) and prompts[typed] in output:
                os.write(master, answers[typed].encode() + b"\n")
                typed += 1
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return code, output.decode(errors="replace")


def test_user_create_asks_twice_on_a_terminal(runtime: Runtime, cli: list[str]) -> None:
    env = _process_env(runtime)
    argv = ["user", "create", "acme", "erin@acme.test", "--role", "rep"]
    code, shown = _in_terminal(env, argv, [GOOD, GOOD])
    assert code == 0, shown
    assert "Password for erin@acme.test: " in shown and GOOD not in shown  # not echoed
    assert _password_ok(runtime, "erin@acme.test", GOOD)
    code, shown = _in_terminal(env, [*argv[:3], "fred@acme.test"], [GOOD, OTHER])
    assert code == 1 and "The two passwords differ" in shown, shown
    assert runtime.registry.user_id("fred@acme.test") is None


def test_user_create_reads_a_piped_password_in_a_real_process(
    runtime: Runtime, cli: list[str]
) -> None:
    argv = ["user", "create", "acme", "erin@acme.test", "--password-stdin", "--role", "viewer"]
    done = subprocess.run(
        [sys.executable, "-m", "trellis", *argv],
        input=f"{GOOD}\n",
        env=_process_env(runtime),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _password_ok(runtime, "erin@acme.test", GOOD)
    assert get_member(runtime.registry, "acme", "erin@acme.test").roles == ("viewer",)
