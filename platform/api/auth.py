"""Bearer-token authentication for the tenant API, with a short-lived cache."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.config import Clock, SystemClock
from trellis.platform.records.errors import RecordError
from trellis.tenants.registry import TenantRegistry, TokenIdentity
from trellis.tenants.registry.access_admin import LAST_USED_RESOLUTION, touch_token
from trellis.tenants.registry.tokens import token_digest

#: Seconds a verified token is trusted before the database is asked again
#: (so a revocation reaches every process within this time).
TOKEN_CACHE_SECONDS = 2.0


class UnauthorizedError(RecordError):
    """No valid credentials for this tenant (401)."""

    status = 401


class TokenAuthenticator:
    """Checks ``Authorization: Bearer <token>`` headers against the registry."""

    def __init__(
        self, registry: TenantRegistry, *, max_entries: int = 10_000, clock: Clock | None = None
    ) -> None:
        """``clock`` (the runtime's) times the cache, expiry and ``last_used_at`` writes."""
        self._registry = registry
        self._clock: Clock = clock or SystemClock()
        self._cache: dict[str, tuple[TokenIdentity | None, float]] = {}
        self._max = max_entries
        #: token id -> when this process last wrote its ``last_used_at`` (monotonic).
        self._touched: dict[int, float] = {}

    def identify(self, header: str | None, tenant: str) -> TokenIdentity:
        """Return the identity for ``header`` in ``tenant``.

        Raises:
            UnauthorizedError: missing, malformed, unknown, revoked or expired token, or a
                token of another tenant.
        """
        if not header:
            raise UnauthorizedError(
                Translatable("Sign in first: send 'Authorization: Bearer <token>'.")
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            self._audit_failure(tenant, "malformed", None)
            raise UnauthorizedError(Translatable("Use 'Authorization: Bearer <token>'."))
        identity = self._lookup(token.strip())
        if identity is None:
            self._audit_failure(tenant, self._problem(token.strip()), token.strip())
            raise UnauthorizedError(Translatable("The token is unknown, revoked or expired."))
        if identity.tenant != tenant:
            self._audit_failure(tenant, "other tenant", token.strip())
            raise UnauthorizedError(Translatable("The token is not valid for this tenant."))
        return identity

    def forget(self, tenant: str) -> None:
        """Drop cached tokens of ``tenant`` and cached refusals (roles or tokens changed)."""
        for token, (identity, _) in list(self._cache.items()):
            if identity is None or identity.tenant == tenant:
                self._cache.pop(token, None)

    def _problem(self, token: str) -> str:
        """Why ``token`` is refused: unknown, revoked, expired, inactive user, deactivated
        member (of the token's tenant) or not a member any more."""
        k, u, m = self._registry.tokens, self._registry.users, self._registry.memberships
        member = sa.and_(m.c.user_id == k.c.user_id, m.c.tenant_id == k.c.tenant_id)
        query = (
            sa.select(k.c.revoked_at, k.c.expires_at, u.c.is_active, m.c.id, m.c.deactivated_at)
            .join(u, u.c.id == k.c.user_id)
            .outerjoin(m, member)
            .where(k.c.token_hash == token_digest(token))
        )
        with self._registry.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return "unknown"
        if row.revoked_at is not None:
            return "revoked"
        if not row.is_active:
            return "inactive user"
        if row.id is None:
            return "not a member"
        if row.deactivated_at is not None:
            return "deactivated member"
        return "expired"

    def _audit_failure(self, tenant: str, reason: str, token: str | None) -> None:
        """Audit a refused credential in the tenant named by the URL (if it exists)."""
        info = self._registry.get_tenant(tenant)
        if info is None:
            return
        detail = {"reason": reason, "prefix": token[:12] if token else None}
        self._registry.audit.record(info.id, "auth.failure", actor="anonymous", detail=detail)

    def _lookup(self, token: str) -> TokenIdentity | None:
        now = self._clock.monotonic()
        hit = self._cache.get(token)
        if hit is not None and now - hit[1] < TOKEN_CACHE_SECONDS:
            identity = hit[0]
        else:
            identity = self._registry.verify_token(token)
            if len(self._cache) >= self._max:
                self._cache.clear()
            self._cache[token] = (identity, now)
            if identity is not None:
                self._touch(identity, now)
        if (
            identity is not None
            and identity.expires_at is not None
            and (identity.expires_at <= self._clock.now())
        ):
            return None
        return identity

    def _touch(self, identity: TokenIdentity, now: float) -> None:
        """Record token use (``last_used_at`` and an audit row), at most once a minute."""
        token_id = identity.token_id
        last = self._touched.get(token_id)
        if last is not None and now - last < LAST_USED_RESOLUTION.total_seconds():
            return
        if len(self._touched) >= self._max:
            self._touched.clear()
        self._touched[token_id] = now
        if touch_token(self._registry, token_id, self._clock.now()):
            self._registry.audit.record(
                identity.tenant_id,
                "token.use",
                actor=identity.email,
                actor_user_id=identity.user_id,
                target=f"token:{token_id}",
            )


__all__ = ["TOKEN_CACHE_SECONDS", "TokenAuthenticator", "UnauthorizedError"]
