"""A user's own settings kept in the system database: language, time zone, density."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.platform.config import Clock
from trellis.platform.i18n import SUPPORTED_LOCALES, supported
from trellis.platform.i18n.translator import known_zone
from trellis.tenants.registry import TenantRegistry

#: How tightly lists are drawn; the first is the default.
DENSITIES = ("comfortable", "compact")


class PreferenceError(ValueError):
    """A setting value the platform does not offer."""


class UserPreferences:
    """Reads and writes ``user_preferences`` (one row per user; NULL means the default)."""

    def __init__(self, registry: TenantRegistry, *, clock: Clock) -> None:
        self._registry = registry
        self._table = registry.metadata.tables["user_preferences"]
        self._clock = clock

    def locale(self, user_id: int) -> str | None:
        """The user's chosen locale, or None to follow the tenant and the browser."""
        t = self._table
        with self._registry.connect() as conn:
            found = conn.execute(sa.select(t.c.locale).where(t.c.user_id == user_id)).first()
        return supported(found.locale) if found is not None else None

    def timezone(self, user_id: int) -> str | None:
        """The user's chosen time zone, or None to follow the tenant's ``timezone``."""
        t = self._table
        with self._registry.connect() as conn:
            found = conn.execute(sa.select(t.c.timezone).where(t.c.user_id == user_id)).first()
        return known_zone(found.timezone) if found is not None else None

    def density(self, user_id: int) -> str:
        """The user's list density (``DENSITIES``), ``comfortable`` unless they chose."""
        t = self._table
        with self._registry.connect() as conn:
            found = conn.execute(sa.select(t.c.density).where(t.c.user_id == user_id)).first()
        chosen = found.density if found is not None else None
        return chosen if chosen in DENSITIES else DENSITIES[0]

    def set_density(self, user_id: int, density: str) -> None:
        """Store the user's list density.

        Raises:
            PreferenceError: ``density`` is not one of ``DENSITIES``.
        """
        if density not in DENSITIES:
            raise PreferenceError(f"Density '{density}' is not offered.")
        self._write(user_id, density=density)

    def set_timezone(self, user_id: int, zone: str | None) -> None:
        """Store the user's IANA time zone; None or ``""`` goes back to the tenant's.

        Raises:
            PreferenceError: ``zone`` is not a known IANA time zone.
        """
        value = zone or None
        if value is not None and known_zone(value) is None:
            raise PreferenceError(f"Time zone '{zone}' is not known.")
        self._write(user_id, timezone=value)

    def set_locale(self, user_id: int, locale: str | None) -> None:
        """Store the user's locale; None or ``""`` goes back to the default.

        Raises:
            PreferenceError: ``locale`` is not a shipped locale.
        """
        value = locale or None
        if value is not None and value not in SUPPORTED_LOCALES:
            raise PreferenceError(f"Locale '{locale}' is not offered.")
        self._write(user_id, locale=value)

    def _write(self, user_id: int, **values: str | None) -> None:
        t = self._table
        now = self._clock.now()
        with self._registry.connect(write=True) as conn, conn.begin():
            updated = conn.execute(
                t.update().where(t.c.user_id == user_id).values(**values, updated_at=now)
            )
            if updated.rowcount == 0:
                conn.execute(t.insert().values(user_id=user_id, **values, updated_at=now))


__all__ = ["DENSITIES", "PreferenceError", "UserPreferences"]
