"""Sign-in: password (with lockout), the optional second factor, sign-out, passwords.

Every outcome is audited in the tenant signed in to: ``auth.signin`` on success,
``auth.signin.failure`` with the real reason (unknown user, not a member, wrong
password, locked, no role, wrong code) while the person sees one message for an
unknown user and a wrong password alike, so the form does not reveal who has an
account.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.config import Clock, RuntimeConfig
from trellis.platform.identity.lockout import SignInLockout, lockout_message
from trellis.platform.identity.totp import TwoFactor, TwoFactorError
from trellis.platform.sessions import Session, SessionStore
from trellis.tenants.registry import TenantInfo, TenantRegistry
from trellis.tenants.registry.member_status import is_deactivated
from trellis.tenants.registry.passwords import (
    PasswordPolicyError,
    check_new_password,
    hash_password,
    verify_password,
)

WRONG_CREDENTIALS = "The email or password is not right."
NO_ROLE = (
    "Your account has no role in this tenant yet, so there is nothing you may see. "
    "Ask an administrator to give you a role."
)
REQUIRED_BY_TENANT = (
    "Two-factor sign-in cannot be turned off: an organisation you belong to requires it."
)
DEACTIVATED = Translatable(
    "Your access to this organisation has been deactivated. Ask one of its administrators "
    "to reactivate it."
)
WRONG_CODE = "That code is not right. Type the 6 digits your app shows, or a recovery code."


class IdentityError(Exception):
    """A refused identity operation; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so both paths take as long."""
    return hash_password("timing-equaliser-not-a-password")


class SignInService:
    """Signs people in and out of a tenant, over the registry and a session store."""

    def __init__(
        self,
        registry: TenantRegistry,
        sessions: SessionStore,
        config: RuntimeConfig,
        *,
        clock: Clock | None = None,
        two_factor_required: Callable[[int], bool] | None = None,
    ) -> None:
        """``clock`` defaults to the session store's (tests move it by hand).

        ``two_factor_required(user_id)``: whether a tenant of the user requires two-factor
        sign-in (then it cannot be turned off).
        """
        clock = clock or sessions.clock
        self.registry = registry
        self.sessions = sessions
        self.two_factor_required = two_factor_required or (lambda _user_id: False)
        self.lockout = SignInLockout(
            registry,
            max_failures=config.signin_max_failures,
            lockout=timedelta(minutes=config.signin_lockout_minutes),
            clock=clock,
        )
        self.two_factor = TwoFactor(registry, config, clock=clock)

    # the password step -------------------------------------------------------------
    def sign_in(self, tenant: str, email: str, password: str, *, ip: str | None) -> Session:
        """Check ``email``/``password`` for a member of ``tenant`` and start a session.

        The session has ``second_factor_pending`` when the user has two-factor sign-in on.

        Raises:
            IdentityError: 404 unknown tenant; 401 wrong email or password (the same
                message for an unknown user); 429 locked account; 403 no role.
        """
        info = self._tenant(tenant)
        email = email.strip().lower()
        user = self._user(email)
        # Unknown addresses are checked, timed, counted and locked like real ones.
        self._refuse_if_locked(info, email, int(user.id) if user is not None else None, ip)
        if user is None:
            verify_password(_dummy_hash(), password)
            self._fail(info, email, "unknown user", ip)
            self._count_failure(info, email, None, ip)
            raise IdentityError(WRONG_CREDENTIALS, 401)
        user_id = int(user.id)
        if not user.password_hash or not verify_password(user.password_hash, password):
            reason = "wrong password" if user.password_hash else "no password set"
            self._fail(info, email, reason, ip, user_id=user_id)
            self._count_failure(info, email, user_id, ip)
            raise IdentityError(WRONG_CREDENTIALS, 401)
        identity = self.registry.member_identity(tenant, user_id)
        if identity is None and user.is_active and is_deactivated(self.registry, info.id, user_id):
            self._fail(info, email, "deactivated member", ip, user_id=user_id)
            raise IdentityError(DEACTIVATED, 403)
        if identity is None:
            reason = "inactive user" if not user.is_active else "not a member"
            self._fail(info, email, reason, ip, user_id=user_id)
            raise IdentityError(WRONG_CREDENTIALS, 401)
        if not identity.roles:
            self._fail(info, email, "no role", ip, user_id=user_id)
            raise IdentityError(NO_ROLE, 403)
        self.lockout.reset(email)
        pending = self.two_factor.is_enabled(user_id)
        session = self.sessions.create(tenant, user_id, email, second_factor_pending=pending)
        if not pending:
            self._audit(info, "auth.signin", session, ip, {"second_factor": None})
        return session

    # the second step ---------------------------------------------------------------
    def verify_second_factor(self, sid: str, code: str, *, ip: str | None) -> Session:
        """Finish a pending sign-in with a TOTP or recovery code; the session id changes.

        Raises:
            IdentityError: 401 no pending session; 429 locked; 400 wrong code.
        """
        session = self.sessions.get(sid)
        if session is None or not session.second_factor_pending:
            raise IdentityError("Your sign-in has expired; sign in again.", 401)
        info = self._tenant(session.tenant)
        self._refuse_if_locked(info, session.email, session.user_id, ip)
        kind = self.two_factor.verify(session.user_id, code)
        if kind is None:
            self._fail(info, session.email, "wrong code", ip, user_id=session.user_id)
            try:
                self._count_failure(info, session.email, session.user_id, ip)
            except IdentityError:
                self.sessions.delete(sid)
                raise
            raise IdentityError(WRONG_CODE)
        renewed = self.sessions.complete_second_factor(sid)
        if renewed is None:
            raise IdentityError("Your sign-in has expired; sign in again.", 401)
        self.lockout.reset(session.email)
        detail: dict[str, Any] = {"second_factor": kind}
        if kind == "recovery":
            detail["recovery_codes_left"] = self.two_factor.remaining_recovery_codes(
                session.user_id
            )
        self._audit(info, "auth.signin", renewed, ip, detail)
        return renewed

    # signed-in operations ----------------------------------------------------------
    def current(self, sid: str | None, tenant: str) -> Session | None:
        """The fully signed-in session ``sid`` for ``tenant``, or None."""
        if not sid:
            return None
        session = self.sessions.get(sid)
        if session is None or session.second_factor_pending or session.tenant != tenant:
            return None
        return session

    def sign_out(self, session: Session, *, ip: str | None) -> None:
        """End ``session`` (audited as ``auth.signout``)."""
        self.sessions.delete(session.sid)
        self._audit(self._tenant(session.tenant), "auth.signout", session, ip, None)

    def sign_out_everywhere(self, session: Session, *, ip: str | None) -> int:
        """End every session of the user in every process; API tokens stay. Returns count."""
        ended = self.sessions.delete_user(session.user_id)
        info = self._tenant(session.tenant)
        self._audit(info, "auth.signout.everywhere", session, ip, {"sessions": ended})
        return ended

    def change_password(
        self, session: Session, current: str, new: str, *, ip: str | None
    ) -> Session:
        """Set a new password after checking the current one; other sessions end.

        Returns the caller's new session (its id changes).

        Raises:
            IdentityError: wrong current password, or a new password against the policy.
        """
        info = self._tenant(session.tenant)
        self._check_password(info, session, current, ip)
        try:
            check_new_password(new, email=session.email)
        except PasswordPolicyError as exc:
            raise IdentityError(str(exc)) from None
        if new == current:
            raise IdentityError("The new password must differ from the current one.")
        u = self.registry.users
        with self.registry.connect(write=True) as conn, conn.begin():
            conn.execute(
                u.update().where(u.c.id == session.user_id).values(password_hash=hash_password(new))
            )
        ended = self.sessions.delete_user(session.user_id)
        renewed = self.sessions.create(session.tenant, session.user_id, session.email)
        self._audit(info, "auth.password.change", session, ip, {"sessions_ended": ended})
        return renewed

    # two-factor settings -----------------------------------------------------------
    def confirm_two_factor(self, session: Session, code: str, *, ip: str | None) -> list[str]:
        """Turn on the pending TOTP secret; returns the recovery codes (shown once).

        Raises:
            IdentityError: nothing pending or a wrong code.
        """
        try:
            codes = self.two_factor.confirm(session.user_id, code)
        except TwoFactorError as exc:
            raise IdentityError(str(exc)) from None
        self._audit(self._tenant(session.tenant), "auth.2fa.enable", session, ip, None)
        return codes

    def disable_two_factor(self, session: Session, password: str, *, ip: str | None) -> None:
        """Turn two-factor sign-in off after checking the password.

        Raises:
            IdentityError: wrong password, two-factor sign-in was not on, or (403) a
                tenant of the user requires it.
        """
        info = self._tenant(session.tenant)
        self._check_password(info, session, password, ip)
        if self.two_factor_required(session.user_id):
            raise IdentityError(REQUIRED_BY_TENANT, 403)
        if not self.two_factor.disable(session.user_id):
            raise IdentityError("Two-factor sign-in is not on.")
        self._audit(info, "auth.2fa.disable", session, ip, None)

    def renew_recovery_codes(self, session: Session, password: str, *, ip: str | None) -> list[str]:
        """Replace the recovery codes after checking the password; returns the new ones."""
        info = self._tenant(session.tenant)
        self._check_password(info, session, password, ip)
        if not self.two_factor.is_enabled(session.user_id):
            raise IdentityError("Two-factor sign-in is not on.")
        codes = self.two_factor.new_recovery_codes(session.user_id)
        self._audit(info, "auth.2fa.recovery_codes", session, ip, None)
        return codes

    # helpers ---------------------------------------------------------------------
    def _tenant(self, name: str) -> TenantInfo:
        info = self.registry.get_tenant(name)
        if info is None:
            raise IdentityError(f"No tenant '{name}'.", 404)
        return info

    def _user(self, email: str) -> Any:
        u = self.registry.users
        with self.registry.connect() as conn:
            return conn.execute(
                sa.select(u.c.id, u.c.password_hash, u.c.is_active).where(u.c.email == email)
            ).first()

    def _check_password(
        self, info: TenantInfo, session: Session, password: str, ip: str | None
    ) -> None:
        """Confirm a signed-in person's password (counted towards the lockout)."""
        self._refuse_if_locked(info, session.email, session.user_id, ip)
        user = self._user(session.email)
        if (
            user is None
            or not user.password_hash
            or not verify_password(user.password_hash, password)
        ):
            self._fail(info, session.email, "wrong password", ip, user_id=session.user_id)
            self._count_failure(info, session.email, session.user_id, ip)
            raise IdentityError("The password is not right.")

    def _refuse_if_locked(
        self, info: TenantInfo, email: str, user_id: int | None, ip: str | None
    ) -> None:
        left = self.lockout.locked_for(email)
        if left is not None:
            self._fail(info, email, "locked", ip, user_id=user_id)
            raise IdentityError(lockout_message(left), 429)

    def _count_failure(
        self, info: TenantInfo, email: str, user_id: int | None, ip: str | None
    ) -> None:
        """Count a failure; when it locks the address, audit that and raise the lock message."""
        locked = self.lockout.record_failure(email)
        if locked is None:
            return
        self.registry.audit.record(
            info.id,
            "auth.lockout",
            actor=email,
            actor_user_id=user_id,
            target=f"user:{email}",
            detail={"minutes": round(locked / 60)},
            ip=ip,
        )
        raise IdentityError(lockout_message(locked), 429)

    def _fail(
        self,
        info: TenantInfo,
        email: str,
        reason: str,
        ip: str | None,
        *,
        user_id: int | None = None,
    ) -> None:
        self.registry.audit.record(
            info.id,
            "auth.signin.failure",
            actor=email or "anonymous",
            actor_user_id=user_id,
            target=f"user:{email}",
            detail={"reason": reason, "ip": ip},
            ip=ip,
        )

    def _audit(
        self,
        info: TenantInfo,
        action: str,
        session: Session,
        ip: str | None,
        detail: dict[str, Any] | None,
    ) -> None:
        self.registry.audit.record(
            info.id,
            action,
            actor=session.email,
            actor_user_id=session.user_id,
            target=f"user:{session.email}",
            detail={**(detail or {}), "ip": ip},
            ip=ip,
        )


__all__ = [
    "DEACTIVATED",
    "NO_ROLE",
    "REQUIRED_BY_TENANT",
    "WRONG_CODE",
    "WRONG_CREDENTIALS",
    "IdentityError",
    "SignInService",
]
