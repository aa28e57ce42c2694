"""Password hashing (argon2) and the minimal password policy."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
#: The shipped list of common and breached passwords (package data).
COMMON_PASSWORDS_FILE = "common_passwords.txt"
_TRAILING = "0123456789!@#$%^&*()-_=+.,?;:~ "


class PasswordPolicyError(ValueError):
    """The password does not meet the policy."""


def check_password_policy(password: str) -> None:
    """Raise ``PasswordPolicyError`` with a plain sentence when ``password`` is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    if password.strip() == "" or len(set(password)) < 3:
        raise PasswordPolicyError("The password is too simple: use several different characters.")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped common/breached passwords, lower-cased."""
    text = (files("trellis.tenants.registry") / COMMON_PASSWORDS_FILE).read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def is_common_password(password: str) -> bool:
    """Whether ``password`` (or it without trailing digits and punctuation) is common."""
    lowered = password.strip().lower()
    known = common_passwords()
    return lowered in known or lowered.rstrip(_TRAILING) in known


def check_new_password(password: str, *, email: str | None = None) -> None:
    """The policy for a password a person chooses: :func:`check_password_policy`, plus
    not a common or breached password and not the user's own email name.

    Raises:
        PasswordPolicyError: with a plain sentence saying what to change.
    """
    check_password_policy(password)
    if is_common_password(password):
        raise PasswordPolicyError(
            "This password is on a list of common or breached passwords: choose another."
        )
    name = (email or "").split("@")[0].strip().lower()
    if len(name) >= 3 and name in password.lower():
        raise PasswordPolicyError("The password must not contain your email name.")


def use_hash_parameters(parameters: Parameters) -> None:
    """Hash new passwords with ``parameters`` (argon2's RFC 9106 profile by default).

    The test suite passes ``argon2.profiles.CHEAPEST``: one hash then costs microseconds
    instead of a tenth of a second. Stored hashes carry their own parameters, so those
    made before a change still verify.
    """
    global _HASHER
    _HASHER = PasswordHasher.from_parameters(parameters)


def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id after checking the policy."""
    check_password_policy(password)
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


__all__ = [
    "COMMON_PASSWORDS_FILE",
    "PasswordPolicyError",
    "check_new_password",
    "check_password_policy",
    "common_passwords",
    "hash_password",
    "is_common_password",
    "use_hash_parameters",
    "verify_password",
]
