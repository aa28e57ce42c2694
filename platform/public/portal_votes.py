"""Which records a visitor already voted on: a signed cookie, one per portal.

A portal's "was this helpful?" takes one vote per visitor and record. The ids voted on
travel in a cookie scoped to the portal's path (``HttpOnly``, ``SameSite=Lax``), signed
with the deployment's secret (:func:`trellis.platform.config.secret.deployment_secret`)
so a visitor cannot forge or edit it; an unsigned, tampered or foreign value reads as "no
votes yet". It grants nothing: it only hides the buttons and refuses a second vote. The
newest :data:`MAX_REMEMBERED` ids are kept, so the cookie stays small.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from trellis.platform.config import RuntimeConfig
from trellis.platform.config.secret import deployment_secret

#: Ids a cookie keeps (the newest); an older vote can then be cast again.
MAX_REMEMBERED = 200
_PURPOSE = b"trellis portal votes\x00"


def vote_cookie_name(portal: str) -> str:
    """The cookie holding the votes on ``portal`` (its path scopes it to one tenant)."""
    return f"trellis_votes_{portal.replace('-', '_')}"


def _mac(config: RuntimeConfig, tenant: str, portal: str, ids: str) -> str:
    key = hashlib.sha256(_PURPOSE + deployment_secret(config).encode()).digest()
    message = f"{tenant}\x00{portal}\x00{ids}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def read_votes(config: RuntimeConfig, tenant: str, portal: str, value: str | None) -> list[int]:
    """The record ids voted on, oldest first; ``[]`` for a missing or bad cookie."""
    if not value or "." not in value:
        return []
    ids, _, mac = value.rpartition(".")
    if not hmac.compare_digest(_mac(config, tenant, portal, ids), mac):
        return []
    parts = ids.split("-") if ids else []
    if not all(p.isdigit() and len(p) <= 18 for p in parts):
        return []
    return [int(p) for p in parts]


def write_votes(config: RuntimeConfig, tenant: str, portal: str, ids: list[int]) -> str:
    """The signed cookie value for ``ids`` (the newest :data:`MAX_REMEMBERED`)."""
    text = "-".join(str(i) for i in ids[-MAX_REMEMBERED:])
    return f"{text}.{_mac(config, tenant, portal, text)}"


__all__ = ["MAX_REMEMBERED", "read_votes", "vote_cookie_name", "write_votes"]
