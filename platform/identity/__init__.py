"""Identity for the screens: sign-in with lockout, TOTP two-factor, sign-out, passwords."""

from __future__ import annotations

from trellis.platform.identity.lockout import SignInLockout, lockout_message
from trellis.platform.identity.signin import (
    NO_ROLE,
    WRONG_CODE,
    WRONG_CREDENTIALS,
    IdentityError,
    SignInService,
)
from trellis.platform.identity.totp import (
    RECOVERY_CODE_COUNT,
    Enrolment,
    TwoFactor,
    TwoFactorError,
)

__all__ = [
    "NO_ROLE",
    "RECOVERY_CODE_COUNT",
    "WRONG_CODE",
    "WRONG_CREDENTIALS",
    "Enrolment",
    "IdentityError",
    "SignInLockout",
    "SignInService",
    "TwoFactor",
    "TwoFactorError",
    "lockout_message",
]
