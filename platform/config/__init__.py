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
    )


def check_tenant_name(name: str) -> str:
    """Return ``name`` if it is a valid tenant name; raises ``ValueError`` otherwise."""
    if not TENANT_NAME.match(name):
        raise ValueError(
            f"Tenant name '{name}' is not valid: use 2-40 characters, lower-case letters, "
            "digits and '-', starting with a letter."
        )
    return name


__all__ = ["DEFAULT_DATA_DIR", "RuntimeConfig", "check_tenant_name", "config_from_env"]
