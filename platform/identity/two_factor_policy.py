"""A tenant's two-factor policy: ``two_factor: required`` in its ``app.yaml``.

When a tenant requires it, a member without a confirmed TOTP second factor may only reach
their account page (to turn it on) and gets no new API token. Tokens made before the
policy keep working until revoked (``trellis token list`` / ``token revoke``).
"""

from __future__ import annotations

from trellis.platform.identity.totp import TwoFactor
from trellis.platform.runtime import Runtime, TenantNotFoundError

TWO_FACTOR_REQUIRED = "Your organisation requires two-factor sign-in: turn it on below to continue."


class TwoFactorRequiredError(Exception):
    """The tenant requires two-factor sign-in and the member has not turned it on."""


def requires_two_factor(runtime: Runtime, tenant: str) -> bool:
    """Whether ``tenant``'s published app sets ``two_factor: required``."""
    try:
        return runtime.app(tenant).model.two_factor_required
    except TenantNotFoundError:
        return False


def must_enrol(runtime: Runtime, tenant: str, user_id: int) -> bool:
    """Whether ``user_id`` must turn on two-factor sign-in before using ``tenant``."""
    if not requires_two_factor(runtime, tenant):
        return False
    return not TwoFactor(runtime.registry, runtime.config, clock=runtime.clock).is_enabled(user_id)


def check_token_allowed(runtime: Runtime, tenant: str, email: str) -> None:
    """Refuse an API token for a member of a tenant requiring two-factor who has none.

    Raises:
        TwoFactorRequiredError: with the reason, naming the member and the tenant.
    """
    user_id = runtime.registry.user_id(email)
    if user_id is not None and must_enrol(runtime, tenant, user_id):
        raise TwoFactorRequiredError(
            f"Tenant '{tenant}' requires two-factor sign-in and {email} has not turned it "
            "on: they sign in to the screens and turn it on first."
        )


__all__ = [
    "TWO_FACTOR_REQUIRED",
    "TwoFactorRequiredError",
    "check_token_allowed",
    "must_enrol",
    "requires_two_factor",
]
