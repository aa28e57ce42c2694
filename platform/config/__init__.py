"""Runtime configuration and the runtime's clock.

``RuntimeConfig.from_env()`` reads every ``TRELLIS_*`` variable once (config/env.py is
the platform's only reader of the environment; docs/configuration.md lists them);
``Clock`` (config/clock.py) is where the runtime asks the time.
"""

from __future__ import annotations

import re

from trellis.platform.config.clock import Clock, FakeClock, SystemClock
from trellis.platform.config.env import DEFAULT_DATA_DIR, ConfigError
from trellis.platform.config.settings import RuntimeConfig, config_from_env

TENANT_NAME = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


def check_tenant_name(name: str) -> str:
    """Return ``name`` if it is a valid tenant name; raises ``ValueError`` otherwise."""
    if not TENANT_NAME.match(name):
        raise ValueError(
            f"Tenant name '{name}' is not valid: use 2-40 characters, lower-case letters, "
            "digits and '-', starting with a letter."
        )
    return name


__all__ = [
    "DEFAULT_DATA_DIR",
    "Clock",
    "ConfigError",
    "FakeClock",
    "RuntimeConfig",
    "SystemClock",
    "check_tenant_name",
    "config_from_env",
]
