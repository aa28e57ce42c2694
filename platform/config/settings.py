"""``RuntimeConfig``: every setting of a deployment, built once from ``TRELLIS_*`` variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from trellis.platform.config.env import (
    DEFAULT_DATA_DIR,
    DEFAULT_RQ_QUEUE,
    environment,
    read_settings,
    unknown_variables,
    warn_stderr,
)


@dataclass(frozen=True, slots=True)
class RuntimeConfig:
    """Where data lives and how the runtime behaves.

    ``database_url`` None means the embedded default: SQLite files under
    ``data_dir`` (``system.db`` plus one file per tenant). A PostgreSQL URL puts
    the system tables in schema ``<prefix>trellis`` and each tenant in schema
    ``<prefix>t_<name>`` of that database. :meth:`from_env` fills it from the
    ``TRELLIS_*`` variables (docs/configuration.md); code below reads this object,
    never the environment.
    """

    data_dir: Path
    database_url: str | None = field(default=None, repr=False)  # may hold a password
    schema_prefix: str = ""
    redis_url: str | None = field(default=None, repr=False)
    #: Seconds a SQLite writer waits for another's lock before the request answers 503.
    sqlite_busy_timeout: float = 10.0
    #: Seconds between checks of a tenant's published version (other processes publish).
    version_check_interval: float = 1.0
    #: Past this many rows a list reports an estimated count.
    count_cap: int = 1000
    max_page_size: int = 500
    default_page_size: int = 50
    #: Minutes without a request after which a sign-in session ends.
    session_idle_minutes: float = 30.0
    #: Hours after sign-in after which a session ends whatever the activity.
    session_max_hours: float = 12.0
    #: Where sessions live: ``auto`` (Redis, the database while it is down; memory
    #: without Redis), ``database`` or ``memory`` (platform/sessions/factory.py).
    session_store: str = "auto"
    #: Failed sign-ins in a row that lock an account, and for how many minutes.
    signin_max_failures: int = 5
    signin_lockout_minutes: float = 15.0
    #: Mark cookies ``Secure`` (and send HSTS) even over plain HTTP (behind a TLS proxy).
    secure_cookies: bool = False
    #: Requests a minute per API token, and per client address without a token (0: off).
    rate_limit_token: int = 6000
    rate_limit_ip: int = 12000
    #: Public form posts and signed-link actions a minute per address and tenant (0: off).
    rate_limit_public: int = 20
    #: The tenant whose sign-in ``/`` sends browsers to (``trellis serve`` sets its demo
    #: tenant); None: ``/`` is a neutral page. Never derived from the tenant list.
    home_tenant: str | None = None
    #: Size of the demo data ``trellis serve`` generates in its demo tenant (0: none).
    demo_scale: float = 0.05
    #: The deployment's secret key; None: ``<data dir>/secret.key`` (config/secret.py).
    secret_key: str | None = field(default=None, repr=False)
    #: Key that wraps each tenant's data key (``encrypted: true`` fields); None:
    #: ``<data dir>/master.key``. ``master_key_previous``: the one before a change.
    master_key: str | None = field(default=None, repr=False)
    master_key_previous: str | None = field(default=None, repr=False)
    #: SMTP server of tenants without their own (``smtp://…``), and its sender address.
    smtp_url: str | None = field(default=None, repr=False)
    smtp_from: str | None = None
    #: The RQ queue of this deployment (Redis mode).
    rq_queue: str = DEFAULT_RQ_QUEUE
    #: Scheduled backups: how many of each tenant's are kept (0: none made), and the
    #: hours between two (``<data dir>/backups/<tenant>/``; docs/backup.md).
    backup_keep: int = 0
    backup_every_hours: float = 24.0
    #: Days a deleted record stays in the recycle bin before the purge job removes it.
    recycle_retention_days: float = 30.0
    #: Let webhooks reach loopback, private and link-local addresses.
    webhook_allow_private: bool = False
    #: Non-public webhook targets allowed one by one (``TRELLIS_WEBHOOK_ALLOW``).
    webhook_allow: str = ""
    #: Where uploaded files live: ``local`` (``<data dir>/files/<tenant>/``) or ``s3``.
    file_store: str = "local"
    #: The S3-compatible store: bucket, endpoint (None: AWS), region and key prefix.
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = ""
    #: Largest upload in MiB of file fields without their own ``max_size_mb``.
    upload_max_mb: int = 25
    #: A list query at least this slow (ms) is noted for ``trellis db advise`` (0: off).
    slow_list_ms: float = 200.0

    @classmethod
    def from_env(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        warn: Callable[[str], None] = warn_stderr,
    ) -> RuntimeConfig:
        """Build the configuration from ``TRELLIS_*`` variables; ``data_dir`` wins when given.

        Unknown ``TRELLIS_*`` variables are passed to ``warn`` (standard error by default).

        Raises:
            ConfigError: a variable has a bad value; the message names it, its value and
                what is expected.
        """
        env = environment() if environ is None else environ
        for message in unknown_variables(env):
            warn(message)
        values = read_settings(env)
        if data_dir:
            values["data_dir"] = Path(data_dir)
        values.setdefault("data_dir", Path(DEFAULT_DATA_DIR))
        return cls(**values)  # type: ignore[arg-type]

    @property
    def is_postgres(self) -> bool:
        """Whether tenant data and the system database live in PostgreSQL."""
        return bool(self.database_url) and str(self.database_url).startswith("postgresql")

    def with_overrides(self, **changes: object) -> RuntimeConfig:
        """Return a copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def config_from_env(data_dir: str | os.PathLike[str] | None = None) -> RuntimeConfig:
    """``RuntimeConfig.from_env(data_dir)``: the configuration of this process."""
    return RuntimeConfig.from_env(data_dir)


__all__ = ["RuntimeConfig", "config_from_env"]
