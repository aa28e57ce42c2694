"""One configuration: every ``TRELLIS_*`` variable read once, checked, documented."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from trellis.cli import main
from trellis.platform.config import ConfigError, RuntimeConfig
from trellis.platform.config.env import VARIABLES

REPO_ROOT = Path(__file__).resolve().parents[3]
#: Folders whose code must take settings from RuntimeConfig, never the environment.
SCANNED = ("platform", "ui", "tenants", "rules", "metadata")
#: The one place allowed to read it.
ALLOWED = REPO_ROOT / "platform" / "config"
READERS = frozenset({"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"})
GOOD = {
    "TRELLIS_DATA_DIR": "/srv/trellis",
    "TRELLIS_DATABASE_URL": "postgresql+psycopg://app:pw@db:5432/trellis",
    "TRELLIS_SQLITE_BUSY_TIMEOUT": "2.5",
    "TRELLIS_SCHEMA_PREFIX": "prod_",
    "TRELLIS_REDIS_URL": "redis://cache:6379/0",
    "TRELLIS_SECRET_KEY": "k" * 40,
    "TRELLIS_MASTER_KEY": "m" * 40,
    "TRELLIS_BACKUP_KEEP": "7",
    "TRELLIS_BACKUP_EVERY_HOURS": "12",
    "TRELLIS_MASTER_KEY_PREVIOUS": "p" * 40,
    "TRELLIS_SESSION_IDLE_MINUTES": "10",
    "TRELLIS_SESSION_MAX_HOURS": "1.5",
    "TRELLIS_SESSION_STORE": "database",
    "TRELLIS_SIGNIN_MAX_FAILURES": "3",
    "TRELLIS_SIGNIN_LOCKOUT_MINUTES": "20",
    "TRELLIS_SECURE_COOKIES": "yes",
    "TRELLIS_RATE_LIMIT_TOKEN": "120",
    "TRELLIS_RATE_LIMIT_IP": "0",
    "TRELLIS_RATE_LIMIT_PUBLIC": "5",
    "TRELLIS_DEMO_SCALE": "0.5",
    "TRELLIS_SMTP_URL": "smtps://mailer:secret@mail.example.com:465",
    "TRELLIS_SMTP_FROM": "crm@example.com",
    "TRELLIS_RQ_QUEUE": "crm-jobs",
    "TRELLIS_WEBHOOK_ALLOW_PRIVATE": "1",
    "TRELLIS_WEBHOOK_ALLOW": "hooks.internal, 10.1.0.0/16",
    "TRELLIS_RECYCLE_RETENTION_DAYS": "7",
    "TRELLIS_FILE_STORE": "s3",
    "TRELLIS_S3_BUCKET": "crm-files",
    "TRELLIS_S3_ENDPOINT_URL": "https://objects.internal:9000",
    "TRELLIS_S3_REGION": "eu-west-1",
    "TRELLIS_S3_PREFIX": "prod/",
    "TRELLIS_UPLOAD_MAX_MB": "50",
    "TRELLIS_SLOW_LIST_MS": "75",
}


def _env_reads(path: Path) -> list[str]:
    """Where ``path`` reads the process environment (``os.environ``, ``getenv``, ``environ``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in READERS:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {a.name for a in node.names} & READERS
            found.extend((node.lineno, f"from os import {n}") for n in names)
    return [f"{path.name}:{line} {what}" for line, what in sorted(found)]


def test_every_variable_is_read_into_the_config() -> None:
    config = RuntimeConfig.from_env(environ=GOOD, warn=pytest.fail)
    assert config.data_dir == Path("/srv/trellis")
    assert config.database_url == GOOD["TRELLIS_DATABASE_URL"] and config.is_postgres
    assert (config.schema_prefix, config.redis_url) == ("prod_", "redis://cache:6379/0")
    assert config.secret_key == "k" * 40
    assert (config.master_key, config.master_key_previous) == ("m" * 40, "p" * 40)
    assert (config.backup_keep, config.backup_every_hours) == (7, 12.0)
    assert (config.session_idle_minutes, config.session_max_hours) == (10.0, 1.5)
    assert config.session_store == "database"
    assert (config.signin_max_failures, config.signin_lockout_minutes) == (3, 20.0)
    assert config.secure_cookies is True and config.webhook_allow_private is True
    assert (config.rate_limit_token, config.rate_limit_ip) == (120, 0)
    assert config.smtp_url == GOOD["TRELLIS_SMTP_URL"] and config.smtp_from == "crm@example.com"
    assert config.rq_queue == "crm-jobs"
    assert config.sqlite_busy_timeout == 2.5
    assert config.webhook_allow == "hooks.internal, 10.1.0.0/16"
    assert config.recycle_retention_days == 7.0
    assert (config.file_store, config.s3_bucket, config.s3_prefix) == ("s3", "crm-files", "prod/")
    assert config.s3_endpoint_url == "https://objects.internal:9000"
    assert (config.s3_region, config.upload_max_mb) == ("eu-west-1", 50)
    assert config.demo_scale == 0.5
    assert config.slow_list_ms == 75.0
    read = {v.field for v in VARIABLES if v.field is not None}
    assert read == {v.field for v in VARIABLES if v.name in GOOD}  # GOOD covers them all


def test_unset_and_empty_variables_keep_the_defaults() -> None:
    empty = {v.name: "" for v in VARIABLES}
    config = RuntimeConfig.from_env(environ=empty, warn=pytest.fail)
    assert config == RuntimeConfig(data_dir=Path("./trellis-data"))
    assert RuntimeConfig.from_env("given", environ=GOOD).data_dir == Path("given")  # flag wins


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRELLIS_SESSION_IDLE_MINUTES", "abc", "has value 'abc'. Not a number."),
        ("TRELLIS_SESSION_IDLE_MINUTES", "nan", "has value 'nan'. Not a number."),
        ("TRELLIS_SESSION_MAX_HOURS", "0.01", "has value '0.01'. It must be at least 0.1."),
        ("TRELLIS_SIGNIN_MAX_FAILURES", "2.5", "has value '2.5'. Not a whole number."),
        ("TRELLIS_RATE_LIMIT_TOKEN", "-1", "has value '-1'. It must be at least 0."),
        ("TRELLIS_SECURE_COOKIES", "maybe", "has value 'maybe'. Not a valid bool"),
        ("TRELLIS_WEBHOOK_ALLOW_PRIVATE", "2", "has value '2'. Not a valid bool"),
        ("TRELLIS_DATABASE_URL", "mysql://db/x", "has value 'mysql://db/x'. Not supported"),
        ("TRELLIS_REDIS_URL", "localhost:6379", "has value 'localhost:6379'. Not a Redis URL"),
        ("TRELLIS_REDIS_URL", "redis://h:99999/0", "has value 'redis://h:99999/0'. Not a Redis"),
        ("TRELLIS_SMTP_URL", "mail.example.com", "has value 'mail.example.com'. Not an SMTP"),
        ("TRELLIS_SMTP_FROM", "crm", "has value 'crm'. Not an e-mail address"),
        ("TRELLIS_RQ_QUEUE", "my jobs", "has value 'my jobs'. A queue name has no spaces"),
    ],
)
def test_a_bad_value_is_refused_naming_variable_value_and_expectation(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        RuntimeConfig.from_env(environ={name: value})
    assert str(caught.value).startswith(f"{name} {message}")
    assert isinstance(caught.value, ValueError)  # callers catching ValueError still do


def test_every_bad_value_is_reported_at_once() -> None:
    bad = {"TRELLIS_SESSION_IDLE_MINUTES": "soon", "TRELLIS_RATE_LIMIT_IP": "many"}
    with pytest.raises(ConfigError) as caught:
        RuntimeConfig.from_env(environ=bad)
    assert caught.value.problems == (
        "TRELLIS_SESSION_IDLE_MINUTES has value 'soon'. Not a number.",
        "TRELLIS_RATE_LIMIT_IP has value 'many'. Not a number.",
    )


def test_passwords_in_urls_never_appear_in_messages_or_repr() -> None:
    with pytest.raises(ConfigError) as caught:
        RuntimeConfig.from_env(environ={"TRELLIS_SMTP_URL": "smtp//mailer:hunter2@mail:25"})
    assert "hunter2" not in str(caught.value)
    assert "smtp//mailer:***@mail:25" in str(caught.value)
    config = RuntimeConfig.from_env(environ=GOOD)
    shown = repr(config)
    assert "pw@db" not in shown and "secret@mail" not in shown and "k" * 40 not in shown


def test_unknown_trellis_variables_warn_with_did_you_mean_and_do_not_fail() -> None:
    warnings: list[str] = []
    env = {"TRELLIS_SESION_IDLE_MINUTES": "5", "TRELLIS_ZZZ": "1", "HOME": "/root"}
    config = RuntimeConfig.from_env(environ=env, warn=warnings.append)
    assert config.session_idle_minutes == 30.0  # the misspelt one is ignored
    assert warnings == [
        "TRELLIS_SESION_IDLE_MINUTES is not a Trellis setting; it is ignored "
        "(did you mean TRELLIS_SESSION_IDLE_MINUTES?).",
        "TRELLIS_ZZZ is not a Trellis setting; it is ignored.",
    ]
    tooling = {"TRELLIS_TEST_PG_URL": "x", "TRELLIS_TEST_REDIS_URL": "x", "TRELLIS_CHROMIUM": "x"}
    RuntimeConfig.from_env(environ=tooling, warn=pytest.fail)  # known: no warning


def test_the_cli_warns_about_an_unknown_variable_on_stderr_and_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TRELLIS_RATE_LIMIT_IPS", "10")
    assert main(["jobs", "status", "--data-dir", str(tmp_path / "data")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("tenant ")
    assert captured.err == (
        "warning: TRELLIS_RATE_LIMIT_IPS is not a Trellis setting; it is ignored "
        "(did you mean TRELLIS_RATE_LIMIT_IP?).\n"
    )


def test_a_bad_value_stops_any_command_with_exit_code_2_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRELLIS_SIGNIN_MAX_FAILURES", "lots")
    data = tmp_path / "data"
    assert main(["jobs", "status", "--data-dir", str(data)]) == 2
    assert capsys.readouterr().err == (
        "error: TRELLIS_SIGNIN_MAX_FAILURES has value 'lots'. Not a number.\n"
    )
    assert not data.exists()


def test_docs_table_lists_every_variable_with_its_default() -> None:
    text = (REPO_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(TRELLIS_[A-Z0-9_]+)` \| (.+?) \| (.+?) \|$", text, re.MULTILINE)
    assert [name for name, _, _ in rows] == [v.name for v in VARIABLES]
    for (_name, default, meaning), variable in zip(rows, VARIABLES, strict=True):
        assert default == variable.default and meaning == variable.meaning
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/configuration.md" in readme


def test_nothing_outside_platform_config_reads_the_environment() -> None:
    found: list[str] = []
    for folder in SCANNED:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            if ALLOWED not in path.parents:
                found.extend(
                    f"{path.relative_to(REPO_ROOT).parent}/{hit}" for hit in _env_reads(path)
                )
    assert found == []


def test_the_environment_scan_catches_each_way_of_reading_it(tmp_path: Path) -> None:
    planted = tmp_path / "bad.py"
    planted.write_text(
        "import os\nfrom os import environ, getenv\n"
        "a = os.environ.get('TRELLIS_X')\nb = os.getenv('TRELLIS_Y')\n",
        encoding="utf-8",
    )
    assert _env_reads(planted) == [
        "bad.py:2 from os import environ",
        "bad.py:2 from os import getenv",
        "bad.py:3 environ",
        "bad.py:4 getenv",
    ]
