"""Every ``TRELLIS_*`` environment variable: its parser, default and meaning, read in one place.

This is the only module of the platform that reads ``os.environ``. Each variable is
parsed and checked once, at start; a bad value is refused with a message naming the
variable, the value and what is expected (every problem at once, in a
:class:`ConfigError`). A ``TRELLIS_*`` variable that is not a setting is reported with
a "did you mean" (a warning, not a failure). docs/configuration.md lists the same table.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from trellis.platform.config._parsers import (
    Parser,
)
from trellis.platform.config._parsers import (
    address as _address,
)
from trellis.platform.config._parsers import (
    choice as _choice,
)
from trellis.platform.config._parsers import (
    flag as _flag,
)
from trellis.platform.config._parsers import (
    number as _number,
)
from trellis.platform.config._parsers import (
    path as _path,
)
from trellis.platform.config._parsers import (
    queue as _queue,
)
from trellis.platform.config._parsers import (
    smtp_url as _smtp_url,
)
from trellis.platform.config._parsers import (
    text as _text,
)
from trellis.platform.config._parsers import (
    url as _url,
)

PREFIX = "TRELLIS_"
DEFAULT_DATA_DIR = "./trellis-data"
DEFAULT_RQ_QUEUE = "trellis-jobs"


class ConfigError(ValueError):
    """One or more ``TRELLIS_*`` variables have bad values (one message per line)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class Variable:
    """One ``TRELLIS_*`` variable: which setting it fills, how it is read, what it means."""

    name: str
    #: The :class:`~trellis.platform.config.RuntimeConfig` field; None for variables of
    #: the test suite and tools, which the runtime never reads.
    field: str | None
    parse: Parser | None
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "TRELLIS_DATA_DIR", "data_dir", _path, DEFAULT_DATA_DIR,
        "Folder of the SQLite files (embedded default), `secret.key` and the written-out "
        "app packages. The `--data-dir` flag wins.",
    ),
    Variable(
        "TRELLIS_DATABASE_URL", "database_url",
        _url(
            ("postgresql",),
            "Not supported: use a postgresql+psycopg:// URL, or leave it unset for the "
            "embedded SQLite default.",
        ),
        "unset: SQLite files under the data dir",
        "PostgreSQL URL: system tables in schema `<prefix>trellis`, each tenant in "
        "`<prefix>t_<name>`.",
    ),
    Variable(
        "TRELLIS_SQLITE_BUSY_TIMEOUT", "sqlite_busy_timeout", _number(0), "10",
        "Seconds a SQLite write waits for another writer's lock; past it the request "
        "answers 503 with `Retry-After` and writes nothing.",
    ),
    Variable(
        "TRELLIS_SCHEMA_PREFIX", "schema_prefix", _text, "empty",
        "Prefix of PostgreSQL schema names, Redis keys and the invalidation channel, so "
        "deployments can share one server.",
    ),
    Variable(
        "TRELLIS_REDIS_URL", "redis_url",
        _url(("redis", "rediss", "unix"), "Not a Redis URL: use redis://host:6379/0."),
        "unset: no Redis",
        "Redis shared by every process: sessions, rate-limit counts, cache invalidation, "
        "and RQ jobs for `trellis worker`.",
    ),
    Variable(
        "TRELLIS_SECRET_KEY", "secret_key", _text, "unset: `<data dir>/secret.key`",
        "Key of CSRF tokens and of stored secrets (SMTP passwords, TOTP). Processes on "
        "several machines must share it.",
    ),
    Variable(
        "TRELLIS_MASTER_KEY", "master_key", _text, "unset: `<data dir>/master.key`",
        "Key wrapping each tenant's data key for `encrypted: true` fields (docs/privacy.md). "
        "Keep it apart from the database and its backups.",
    ),
    Variable(
        "TRELLIS_MASTER_KEY_PREVIOUS", "master_key_previous", _text, "unset",
        "The master key before a change: data keys it wraps stay readable until "
        "`trellis keys rotate` re-wraps them.",
    ),
    Variable(
        "TRELLIS_SESSION_IDLE_MINUTES", "session_idle_minutes", _number(1), "30",
        "Minutes without a request after which a sign-in session ends (at least 1).",
    ),
    Variable(
        "TRELLIS_SESSION_STORE", "session_store", _choice("auto", "database", "memory"), "auto",
        "Where sign-in sessions live: `auto` is Redis when `TRELLIS_REDIS_URL` is set (the "
        "system database while Redis is down), else process memory; `database` is always "
        "the system database (shared by processes, kept across restarts); `memory`.",
    ),
    Variable(
        "TRELLIS_SESSION_MAX_HOURS", "session_max_hours", _number(0.1), "12",
        "Hours after sign-in after which a session ends whatever the activity (at least 0.1).",
    ),
    Variable(
        "TRELLIS_SIGNIN_MAX_FAILURES", "signin_max_failures", _number(1, whole=True), "5",
        "Failed sign-ins in a row that lock an email address (a whole number, at least 1).",
    ),
    Variable(
        "TRELLIS_SIGNIN_LOCKOUT_MINUTES", "signin_lockout_minutes", _number(1), "15",
        "Minutes a locked address must wait (at least 1).",
    ),
    Variable(
        "TRELLIS_SECURE_COOKIES", "secure_cookies", _flag, "0",
        "1: cookies are `Secure` and HSTS is sent even over plain HTTP (behind a "
        "TLS-terminating proxy).",
    ),
    Variable(
        "TRELLIS_RATE_LIMIT_TOKEN", "rate_limit_token", _number(0, whole=True), "6000",
        "Requests a minute per API token (0: no limit).",
    ),
    Variable(
        "TRELLIS_RATE_LIMIT_IP", "rate_limit_ip", _number(0, whole=True), "12000",
        "Requests a minute per client address without a token (0: no limit).",
    ),
    Variable(
        "TRELLIS_RATE_LIMIT_PUBLIC", "rate_limit_public", _number(0, whole=True), "20",
        "Public form posts and signed-link actions a minute per client address and tenant "
        "(0: no limit).",
    ),
    Variable(
        "TRELLIS_DEMO_SCALE", "demo_scale", _number(0), "0.05",
        "Size of the demo data `trellis serve` generates in its demo tenant on first start "
        "(1: the full demo, 0: none).",
    ),
    Variable(
        "TRELLIS_SMTP_URL", "smtp_url", _smtp_url, "unset: e-mail jobs fail",
        "SMTP server of every tenant without its own: `smtp://[user:password@]host:port`, "
        "`smtps://` for TLS from the start, `?starttls=1` to upgrade, `?from=` the sender.",
    ),
    Variable(
        "TRELLIS_SMTP_FROM", "smtp_from", _address, "`from=` of the URL, else trellis@localhost",
        "Sender address of e-mails sent through `TRELLIS_SMTP_URL`.",
    ),
    Variable(
        "TRELLIS_RQ_QUEUE", "rq_queue", _queue, DEFAULT_RQ_QUEUE,
        "RQ queue that `trellis serve` fills and `trellis worker` empties (with Redis).",
    ),
    Variable(
        "TRELLIS_WEBHOOK_ALLOW_PRIVATE", "webhook_allow_private", _flag, "0",
        "1: webhooks may target loopback, private and link-local addresses.",
    ),
    Variable(
        "TRELLIS_WEBHOOK_ALLOW", "webhook_allow", _text, "empty",
        "Comma list of host names, addresses and networks (CIDR) webhooks may reach although "
        "they are not public (e.g. `hooks.internal, 10.1.0.0/16`).",
    ),
    Variable(
        "TRELLIS_RECYCLE_RETENTION_DAYS", "recycle_retention_days", _number(0), "30",
        "Days a deleted record stays in the recycle bin (restorable) before the purge job "
        "removes it for good, with its history (0: at the job's next run).",
    ),
    Variable(
        "TRELLIS_BACKUP_KEEP", "backup_keep", _number(0, whole=True), "0",
        "Scheduled backups: how many of each tenant's the job dispatcher keeps in "
        "`<data dir>/backups/<tenant>/`, newest first (0: none are made).",
    ),
    Variable(
        "TRELLIS_BACKUP_EVERY_HOURS", "backup_every_hours", _number(1), "24",
        "Hours between two scheduled backups of a tenant (at least 1).",
    ),
    Variable(
        "TRELLIS_FILE_STORE", "file_store", _choice("local", "s3"), "local",
        "Where uploaded files live: `local` is `<data dir>/files/<tenant>/`; `s3` an "
        "S3-compatible object store (`TRELLIS_S3_*`, the `s3` extra, credentials from "
        "`AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` or boto3's other sources).",
    ),
    Variable(
        "TRELLIS_S3_BUCKET", "s3_bucket", _text, "unset",
        "Bucket of the `s3` file store (needed when `TRELLIS_FILE_STORE=s3`).",
    ),
    Variable(
        "TRELLIS_S3_ENDPOINT_URL", "s3_endpoint_url",
        _url(("http", "https"), "Not an HTTP URL: use https://host[:port]."),
        "unset: AWS",
        "Endpoint of an S3-compatible store other than AWS (MinIO, Ceph, a cloud's S3 API).",
    ),
    Variable(
        "TRELLIS_S3_REGION", "s3_region", _text, "unset: boto3's default",
        "Region of the `s3` file store.",
    ),
    Variable(
        "TRELLIS_S3_PREFIX", "s3_prefix", _text, "empty",
        "Key prefix in the bucket; each tenant's files are under `<prefix><tenant>/`.",
    ),
    Variable(
        "TRELLIS_UPLOAD_MAX_MB", "upload_max_mb", _number(1, whole=True), "25",
        "Largest upload in MiB for file fields without their own `max_size_mb` (a whole "
        "number, at least 1); a larger one answers 413 and stores nothing.",
    ),
    Variable(
        "TRELLIS_SLOW_LIST_MS", "slow_list_ms", _number(0), "200",
        "A list query taking at least this many milliseconds is noted (its shape: fields "
        "and sort, no values) for `trellis db advise` (0: none noted).",
    ),
    Variable(
        "TRELLIS_TEST_PG_URL", None, None, "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "Tests only: the PostgreSQL server of the test suite.",
    ),
    Variable(
        "TRELLIS_TEST_REDIS_URL", None, None, "redis://127.0.0.1:6379/11",
        "Tests only: the Redis of the session, invalidation and job tests.",
    ),
    Variable(
        "TRELLIS_CHROMIUM", None, None, "/usr/bin/chromium",
        "Tests and `docs/make_screenshots.py` only: the Chromium the browser tests drive.",
    ),
    Variable(
        "TRELLIS_SCHEMATHESIS_EXAMPLES", None, None, "3",
        "Tests only: examples per operation and mode of the schemathesis API tests (a deep "
        "run takes more).",
    ),
)  # fmt: skip
_NAMES = frozenset(v.name for v in VARIABLES)


def cli_locale(environ: Mapping[str, str] | None = None) -> str | None:
    """The language of command-line output: ``LC_ALL``, else ``LC_MESSAGES``, else ``LANG``
    (POSIX order; ``es_ES.UTF-8`` gives Spanish, an unshipped one English)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return env[name]
    return None


def environment() -> Mapping[str, str]:
    """The process environment (the one place the platform reads it)."""
    return os.environ


def read_settings(environ: Mapping[str, str]) -> dict[str, object]:
    """The :class:`RuntimeConfig` fields set by ``environ``; unset or empty ones are left out.

    Raises:
        ConfigError: one or more variables have bad values (all are reported).
    """
    values: dict[str, object] = {}
    problems: list[str] = []
    for variable in VARIABLES:
        raw = environ.get(variable.name)
        if variable.field is None or variable.parse is None or raw is None or not raw.strip():
            continue
        try:
            values[variable.field] = variable.parse(variable.name, raw)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError(problems)
    return values


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A warning for each ``TRELLIS_*`` variable that is no setting, with a "did you mean"."""
    found: list[str] = []
    for name in sorted(environ):
        if not name.startswith(PREFIX) or name in _NAMES:
            continue
        close = difflib.get_close_matches(name, sorted(_NAMES), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        found.append(f"{name} is not a Trellis setting; it is ignored{hint}.")
    return found


def warn_stderr(message: str) -> None:
    """Write a configuration warning to standard error."""
    sys.stderr.write(f"warning: {message}\n")


__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_RQ_QUEUE",
    "VARIABLES",
    "ConfigError",
    "Variable",
    "cli_locale",
    "environment",
    "read_settings",
    "unknown_variables",
    "warn_stderr",
]
