"""Signed webhook delivery: JSON POST with an HMAC-SHA256 signature (DESIGN.md §13).

Headers: ``X-Trellis-Timestamp`` (Unix seconds) and ``X-Trellis-Signature:
sha256=<hex HMAC(secret, timestamp + "." + body)>``; ``X-Trellis-Delivery`` is an
idempotency key that stays the same across retries of one job. Targets on loopback,
private, link-local or reserved networks are refused unless the deployment allows them
(``RuntimeConfig.webhook_allow_private``, ``TRELLIS_WEBHOOK_ALLOW_PRIVATE=1``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

ALLOW_PRIVATE_ENV = "TRELLIS_WEBHOOK_ALLOW_PRIVATE"
DEFAULT_TIMEOUT = 10.0


class WebhookError(Exception):
    """A webhook could not be delivered (the message says why)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: they could lead to a refused address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the signature of ``body`` (constant-time compare)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def check_target(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs that are not http(s) or that resolve to a non-public address.

    ``allow_private`` (``RuntimeConfig.webhook_allow_private``) lets non-public
    addresses through.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"Webhook URL '{url}' is not an http or https URL.")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise WebhookError(f"Webhook host '{parts.hostname}' does not resolve: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise WebhookError(
                f"Webhook URL '{url}' points to the non-public address {address}; set "
                f"{ALLOW_PRIVATE_ENV}=1 to allow loopback and private networks."
            )


def deliver_webhook(
    url: str,
    payload: dict[str, Any],
    secret: str,
    delivery_id: str,
    *,
    sent_at: datetime,
    allow_private: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    """POST ``payload`` to ``url``, signed at ``sent_at``; returns the status, raises on failure.

    ``allow_private`` is the deployment's ``webhook_allow_private`` (see :func:`check_target`).
    """
    check_target(url, allow_private=allow_private)
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(sent_at.timestamp()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Trellis-Webhooks/1",
            "X-Trellis-Timestamp": timestamp,
            "X-Trellis-Signature": sign(secret, timestamp, body),
            "X-Trellis-Delivery": delivery_id,
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"Webhook '{url}' answered {exc.code}.") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"Webhook '{url}' failed: {reason}") from None


__all__ = [
    "ALLOW_PRIVATE_ENV",
    "WebhookError",
    "check_target",
    "deliver_webhook",
    "sign",
    "verify",
]
