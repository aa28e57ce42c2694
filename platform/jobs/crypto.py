"""Encryption at rest of stored credentials (SMTP passwords) with Fernet.

The Fernet key is derived (SHA-256, with a purpose label) from the deployment's
secret key (:func:`trellis.platform.config.secret.deployment_secret`):
``TRELLIS_SECRET_KEY`` (``RuntimeConfig.secret_key``) when set, otherwise a random key
created once in ``<data dir>/secret.key``, so the embedded default needs no set-up.
Processes on several machines must share ``TRELLIS_SECRET_KEY`` to read each other's
secrets.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from trellis.platform.config import RuntimeConfig
from trellis.platform.config.secret import deployment_secret

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

_PURPOSE = b"trellis-settings-encryption:"


class SecretError(Exception):
    """A stored secret cannot be decrypted (the key changed)."""


def fernet(config: RuntimeConfig) -> Fernet:
    """The Fernet of this deployment's secret key (cryptography loads on first use)."""
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(_PURPOSE + deployment_secret(config).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(config: RuntimeConfig, plain: str) -> str:
    """Encrypt ``plain``; the token is ASCII text."""
    return fernet(config).encrypt(plain.encode()).decode()


def decrypt(config: RuntimeConfig, token: str) -> str:
    """Decrypt a token made by :func:`encrypt`; raises ``SecretError`` on a wrong key."""
    from cryptography.fernet import InvalidToken

    try:
        return fernet(config).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretError(
            "A stored secret cannot be decrypted: was TRELLIS_SECRET_KEY (or the data "
            "dir's secret.key) changed? Set the credentials again."
        ) from None


__all__ = ["SecretError", "decrypt", "encrypt", "fernet"]
