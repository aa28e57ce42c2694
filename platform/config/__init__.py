"""Runtime configuration, read from the environment and command-line flags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_DATA_DIR = "./trellis-data"
TENANT_NAME = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


@dataclass(frozen=True, slots=True)
class RuntimeConfig:
    """Where data lives and how the runtime behaves.

    ``database_url`` None means the embedded default: SQLite files under
    ``data_dir`` (``system.db`` plus one file per tenant). A PostgreSQL URL puts
    the system tables in schema ``<prefix>trellis`` and each tenant in schema
    ``<prefix>t_<name>`` of that database.
    """

    data_dir: Path
    database_url: str | None = None
    schema_prefix: str = ""
    redis_url: str | None = None
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
    #: Failed sign-ins in a row that lock an account, and for how many minutes.
    signin_max_failures: int = 5
    signin_lockout_minutes: float = 15.0
    #: Mark cookies ``Secure`` even over plain HTTP (behind a TLS-terminating proxy).
    secure_cookies: bool = False
    #: Requests a minute per API token, and per client address without a token (0: off).
    rate_limit_token: int = 6000
    rate_limit_ip: int = 12000
    #: The tenant whose sign-in ``/`` sends browsers to (``trellis serve`` sets its demo
    #: tenant); None: ``/`` is a neutral page. Never derived from the tenant list.
    home_tenant: str | None = None

    @property
    def is_postgres(self) -> bool:
        """Whether tenant data and the system database live in PostgreSQL."""
        return bool(self.database_url) and str(self.database_url).startswith("postgresql")

    def with_overrides(self, **changes: object) -> RuntimeConfig:
        """Return a copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def config_from_env(data_dir: str | os.PathLike[str] | None = None) -> RuntimeConfig:
    """Build the configuration from ``TRELLIS_*`` variables; ``data_dir`` wins when given."""
    chosen = data_dir or os.environ.get("TRELLIS_DATA_DIR") or DEFAULT_DATA_DIR
    return RuntimeConfig(
        data_dir=Path(chosen),
        database_url=os.environ.get("TRELLIS_DATABASE_URL") or None,
        schema_prefix=os.environ.get("TRELLIS_SCHEMA_PREFIX", ""),
        redis_url=os.environ.get("TRELLIS_REDIS_URL") or None,
    ).with_overrides(**_identity_from_env())


def _env_number(name: str, default: float, *, minimum: float) -> float:
    """A positive number from ``name``; raises ``ValueError`` naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} has value '{raw}'. Not a number.") from None
    if value < minimum:
        raise ValueError(f"{name} has value '{raw}'. It must be at least {minimum:g}.")
    return value


def _identity_from_env() -> dict[str, object]:
    """Session, lockout, cookie and rate-limit settings from ``TRELLIS_*`` variables."""
    return {
        "session_idle_minutes": _env_number("TRELLIS_SESSION_IDLE_MINUTES", 30.0, minimum=1),
        "session_max_hours": _env_number("TRELLIS_SESSION_MAX_HOURS", 12.0, minimum=0.1),
        "signin_max_failures": int(_env_number("TRELLIS_SIGNIN_MAX_FAILURES", 5, minimum=1)),
        "signin_lockout_minutes": _env_number("TRELLIS_SIGNIN_LOCKOUT_MINUTES", 15.0, minimum=1),
        "secure_cookies": os.environ.get("TRELLIS_SECURE_COOKIES", "").strip().lower()
        in ("1", "true", "yes"),
        "rate_limit_token": int(_env_number("TRELLIS_RATE_LIMIT_TOKEN", 6000, minimum=0)),
        "rate_limit_ip": int(_env_number("TRELLIS_RATE_LIMIT_IP", 12000, minimum=0)),
    }


def check_tenant_name(name: str) -> str:
    """Return ``name`` if it is a valid tenant name; raises ``ValueError`` otherwise."""
    if not TENANT_NAME.match(name):
        raise ValueError(
            f"Tenant name '{name}' is not valid: use 2-40 characters, lower-case letters, "
            "digits and '-', starting with a letter."
        )
    return name


__all__ = ["DEFAULT_DATA_DIR", "RuntimeConfig", "check_tenant_name", "config_from_env"]
