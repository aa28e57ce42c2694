"""Invitations to join a tenant: a signed, expiring, single-use link mailed to the invitee.

A link's token is ``<id>.<expires>.<signature>``: the ``member_invitations`` row, its
expiry (Unix seconds) and an HMAC-SHA256 of both and the tenant name under the
deployment's secret key. A token that does not verify is refused before any row is
read; then the expiry, the revocation (a newer invitation to the same address) and the
first use are checked. Accepting claims the row by a conditional update, so one link
cannot be used twice. The e-mail is a job of the tenant's outbox (kind ``invite``,
``platform/jobs/invitation_mail.py``); it carries the invitation id, never the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.enforcers import store_roles
from trellis.platform.config.secret import deployment_secret
from trellis.platform.db.engines import mark_outbox_write
from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.records.errors import ConflictError, ValidationFailedError
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import inserted_id, verify_password
from trellis.tenants.registry.passwords import PasswordPolicyError, check_new_password

#: Days an invitation link works.
INVITE_DAYS = 7
#: The outbox job kind that mails an invitation.
JOB_KIND = "invite"
BUILTIN_ROLES = ("admin",)

REFUSALS = {
    "invalid": Translatable(
        "This invitation link is not valid: it may have been copied incompletely. "
        "Ask the administrator who invited you for a new one."
    ),
    "expired": Translatable(
        "This invitation has expired. Ask the administrator who invited you for a new one."
    ),
    "used": Translatable(
        "This invitation has already been used. Sign in with your e-mail address and password."
    ),
    "revoked": Translatable(
        "This invitation was replaced by a newer one: use the link of the latest e-mail."
    ),
}


class InvitationRefusedError(Exception):
    """A link that cannot be used: ``reason`` is invalid, expired, used or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(REFUSALS[reason])
        self.reason = reason
        self.message = REFUSALS[reason]


@dataclass(frozen=True, slots=True)
class Invitation:
    """One invitation row."""

    id: int
    tenant_id: int
    email: str
    roles: tuple[str, ...]
    locale: str | None
    invited_by: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, row: Any) -> Invitation:
        """An invitation from a ``member_invitations`` row."""
        return cls(
            int(row.id),
            int(row.tenant_id),
            str(row.email),
            tuple(row.roles or ()),
            row.locale,
            str(row.invited_by),
            _utc(row.created_at),
            _utc(row.expires_at),
        )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Invitations:
    """Issue, check and accept invitations of tenant members."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry
        self.table = runtime.registry.metadata.tables["member_invitations"]

    # tokens ------------------------------------------------------------------------
    def _signature(self, tenant: str, payload: str) -> str:
        key = deployment_secret(self.runtime.config).encode()
        digest = hmac.new(key, f"invite:{tenant}:{payload}".encode(), hashlib.sha256).digest()
        return _b64(digest)

    def token(self, tenant: str, invitation: Invitation) -> str:
        """The token of ``invitation``'s link (the same every time it is asked)."""
        payload = f"{invitation.id}.{int(invitation.expires_at.timestamp())}"
        return f"{payload}.{self._signature(tenant, payload)}"

    def path(self, tenant: str, invitation: Invitation) -> str:
        """The path of the invitation page, ``/t/{tenant}/invitation/{token}``."""
        return f"/t/{tenant}/invitation/{self.token(tenant, invitation)}"

    # issuing -----------------------------------------------------------------------
    def invite(
        self,
        tenant: str,
        email: str,
        roles: list[str],
        *,
        locale: str | None,
        base_url: str,
        actor: str,
        actor_user_id: int | None = None,
    ) -> Invitation:
        """Record an invitation and queue its e-mail; earlier open ones to ``email`` end.

        Raises:
            ValidationFailedError: a bad address or an unknown role.
            ConflictError: ``email`` is a member already (active or deactivated).
        """
        email = email.strip().lower()
        if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
            raise ValidationFailedError(
                {"email": [Translatable("Type an e-mail address such as ana@example.com.")]}
            )
        known = {*BUILTIN_ROLES, *self.runtime.app(tenant).model.roles}
        unknown = sorted(set(roles) - known)
        if unknown:
            raise ValidationFailedError(
                {"roles": [Translatable("Unknown role '%(role)s'.", role=unknown[0])]}
            )
        info = self.runtime.tenant(tenant)
        user_id = self.registry.user_id(email)
        if user_id is not None and self._membership(info.id, user_id) is not None:
            raise ConflictError(
                Translatable(
                    "%(email)s is a member of this tenant already (reactivate them if "
                    "they are deactivated).",
                    email=email,
                )
            )
        now = self.runtime.clock.now()
        t = self.table
        with self.registry.connect(write=True) as conn, conn.begin():
            open_ones = sa.and_(
                t.c.tenant_id == info.id,
                t.c.email == email,
                t.c.used_at.is_(None),
                t.c.revoked_at.is_(None),
            )
            conn.execute(t.update().where(open_ones).values(revoked_at=now))
            granted = sorted(set(roles))
            expires = now + timedelta(days=INVITE_DAYS)
            values: dict[str, Any] = {
                "tenant_id": info.id,
                "email": email,
                "roles": granted,
                "locale": locale,
                "invited_by": actor,
                "created_at": now,
                "expires_at": expires,
            }
            new_id = inserted_id(conn.execute(t.insert().values(**values)))
            self.registry.audit.record(
                info.id,
                "member.invite",
                actor=actor,
                actor_user_id=actor_user_id,
                target=f"user:{email}",
                detail={"roles": granted, "expires_at": expires.isoformat()},
                conn=conn,
            )
        outbox = self.runtime.app(tenant).metadata.tables[OUTBOX_TABLE]
        payload = {"invitation_id": new_id, "base_url": base_url.rstrip("/")}
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            conn.execute(
                outbox.insert().values(
                    kind=JOB_KIND, payload=payload, created_at=now, state="pending"
                )
            )
            mark_outbox_write(conn)
        return Invitation(new_id, info.id, email, tuple(granted), locale, actor, now, expires)

    def _membership(self, tenant_id: int, user_id: int) -> Any:
        m = self.registry.memberships
        with self.registry.connect() as conn:
            return conn.execute(
                sa.select(m.c.id).where(m.c.tenant_id == tenant_id, m.c.user_id == user_id)
            ).first()

    # reading -----------------------------------------------------------------------
    def get(self, invitation_id: int) -> tuple[Invitation, bool] | None:
        """The invitation and whether it is still open (not used, revoked or expired)."""
        t = self.table
        with self.registry.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == invitation_id)).first()
        if row is None:
            return None
        found = Invitation.of(row)
        still = row.used_at is None and row.revoked_at is None
        return found, still and found.expires_at > self.runtime.clock.now()

    def pending(self, tenant: str) -> list[Invitation]:
        """The tenant's open invitations, newest first."""
        t = self.table
        query = (
            sa.select(t)
            .where(
                t.c.tenant_id == self.runtime.tenant(tenant).id,
                t.c.used_at.is_(None),
                t.c.revoked_at.is_(None),
                t.c.expires_at > self.runtime.clock.now(),
            )
            .order_by(t.c.id.desc())
        )
        with self.registry.connect() as conn:
            return [Invitation.of(r) for r in conn.execute(query)]

    def check(self, tenant: str, token: str) -> Invitation:
        """The open invitation of ``token`` for ``tenant``.

        Raises:
            InvitationRefusedError: a bad signature (or another tenant's link), an expired,
                used or replaced invitation.
        """
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise InvitationRefusedError("invalid")
        if len(parts[0]) > 18 or len(parts[1]) > 12:
            raise InvitationRefusedError("invalid")
        expected = self._signature(tenant, f"{parts[0]}.{parts[1]}")
        if not hmac.compare_digest(expected, parts[2]):
            raise InvitationRefusedError("invalid")
        t = self.table
        with self.registry.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == int(parts[0]))).first()
        info = self.registry.get_tenant(tenant)
        if row is None or info is None or int(row.tenant_id) != info.id:
            raise InvitationRefusedError("invalid")
        if row.used_at is not None:
            raise InvitationRefusedError("used")
        if row.revoked_at is not None:
            raise InvitationRefusedError("revoked")
        found = Invitation.of(row)
        if found.expires_at <= self.runtime.clock.now():
            raise InvitationRefusedError("expired")
        return found

    def has_password(self, email: str) -> bool:
        """Whether ``email`` has an account with a password (then they sign in to accept)."""
        user_id = self.registry.user_id(email)
        return user_id is not None and self.registry.password_hash(user_id) is not None

    # accepting ---------------------------------------------------------------------
    def accept(
        self, tenant: str, token: str, *, password: str, repeat: str | None, name: str | None
    ) -> Invitation:
        """Join ``tenant`` with the invitation's roles: a new account gets ``password``
        (typed twice), an existing one proves it knows its own.

        Raises:
            InvitationRefusedError: see :meth:`check` (also when two tabs race).
            ValidationFailedError: a wrong password, two different ones, or a weak one.
        """
        invitation = self.check(tenant, token)
        existing = self.has_password(invitation.email)
        if existing:
            user_id = self.registry.user_id(invitation.email)
            stored = self.registry.password_hash(user_id) if user_id is not None else None
            if stored is None or not verify_password(stored, password):
                raise ValidationFailedError(
                    {"password": [Translatable("The password is not right.")]}
                )
        else:
            if password != (repeat or ""):
                raise ValidationFailedError(
                    {"repeat": [Translatable("The two passwords differ; type the same one twice.")]}
                )
            try:
                check_new_password(password, email=invitation.email)
            except PasswordPolicyError as exc:
                raise ValidationFailedError({"password": [str(exc)]}) from None
        self._claim(invitation)
        user_id = self.registry.ensure_user(
            invitation.email,
            None if existing else password,
            (name or "").strip()[:200] or None,
        )
        self.registry.add_membership(
            tenant, user_id, list(invitation.roles), actor=invitation.email
        )
        joined = self.registry.member_identity(tenant, user_id)
        roles = joined.roles if joined is not None else invitation.roles
        store_roles(self.runtime.policies, tenant, user_id, list(roles))
        self.registry.audit.record(
            invitation.tenant_id,
            "member.invite.accept",
            actor=invitation.email,
            actor_user_id=user_id,
            target=f"user:{invitation.email}",
            detail={"invitation": invitation.id, "roles": list(invitation.roles)},
        )
        return invitation

    def _claim(self, invitation: Invitation) -> None:
        t = self.table
        with self.registry.connect(write=True) as conn, conn.begin():
            claimed = conn.execute(
                t.update()
                .where(t.c.id == invitation.id, t.c.used_at.is_(None), t.c.revoked_at.is_(None))
                .values(used_at=self.runtime.clock.now())
            ).rowcount
        if not claimed:
            raise InvitationRefusedError("used")


__all__ = [
    "INVITE_DAYS",
    "JOB_KIND",
    "REFUSALS",
    "Invitation",
    "InvitationRefusedError",
    "Invitations",
]
