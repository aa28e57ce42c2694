"""The visitor's key to one conversation: its id signed with the deployment's secret.

A token is ``<id>.<mac>``: the HMAC-SHA256 of the tenant, the chat entity and the id
under a key derived from :func:`trellis.platform.config.secret.deployment_secret`. It
reads and writes that conversation only; an edited id, another tenant's token or a
made-up one is refused (``None``). Nothing is stored: the visitor keeps the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from trellis.platform.config import RuntimeConfig
from trellis.platform.config.secret import deployment_secret

_PURPOSE = b"trellis chat conversation\x00"
#: Longest id a token may carry (digits), so a huge number is refused before parsing.
_MAX_DIGITS = 18


def _mac(config: RuntimeConfig, tenant: str, entity: str, record_id: str) -> str:
    key = hashlib.sha256(_PURPOSE + deployment_secret(config).encode()).digest()
    message = f"{tenant}\x00{entity}\x00{record_id}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def chat_token(config: RuntimeConfig, tenant: str, entity: str, record_id: int) -> str:
    """The token that opens conversation ``record_id`` of ``tenant``."""
    text = str(record_id)
    return f"{text}.{_mac(config, tenant, entity, text)}"


def read_chat_token(config: RuntimeConfig, tenant: str, entity: str, token: str) -> int | None:
    """The conversation id ``token`` opens, or None when it is not a valid token."""
    text, _, mac = token.partition(".")
    if not text.isdigit() or len(text) > _MAX_DIGITS or not mac:
        return None
    if not hmac.compare_digest(_mac(config, tenant, entity, text), mac):
        return None
    return int(text)


__all__ = ["chat_token", "read_chat_token"]
