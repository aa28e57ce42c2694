"""Password hashing (argon2) and the minimal password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


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


__all__ = ["PasswordPolicyError", "check_password_policy", "hash_password", "verify_password"]
