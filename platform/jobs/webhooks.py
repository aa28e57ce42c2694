"""Signed webhook delivery: JSON POST with an HMAC-SHA256 signature (DESIGN.md §13).

Headers: ``X-Trellis-Timestamp`` (Unix seconds) and ``X-Trellis-Signature:
sha256=<hex HMAC(secret, timestamp + "." + body)>``; ``X-Trellis-Delivery`` is an
idempotency key that stays the same across retries of one job.

The target passes the address policy of :mod:`~trellis.platform.jobs.egress`
first (loopback, private, link-local, … refused unless the operator allows them);
the connection then goes to the address that was checked, with the URL's host in
the ``Host`` header and, over HTTPS, in SNI and the certificate check. Redirects
are not followed: a 3xx answer is a failure that says so.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
from datetime import datetime
from typing import Any

from trellis.platform.jobs.egress import (
    ALLOW_ENV,
    ALLOW_PRIVATE_ENV,
    EgressPolicy,
    Resolver,
    Target,
    TargetRefusedError,
    resolve_target,
    system_resolver,
)
from trellis.platform.records.views import JSON

DEFAULT_TIMEOUT = 10.0
#: The policy when none is given: public addresses only.
NO_EXCEPTIONS = EgressPolicy()


class WebhookError(Exception):
    """A webhook could not be delivered (the message says why)."""


class WebhookRefusedError(WebhookError, TargetRefusedError):
    """The webhook's target is refused by the address policy: retrying cannot help."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the signature of ``body`` (constant-time compare)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def check_target(
    url: str, *, resolver: Resolver = system_resolver, policy: EgressPolicy = NO_EXCEPTIONS
) -> Target:
    """The checked target of ``url`` under ``policy`` (default: only public addresses).

    Raises:
        WebhookRefusedError: the URL is not http(s) or reaches a refused address.
        WebhookError: the host does not resolve (perhaps only for now).
    """
    try:
        return resolve_target(url, policy, resolver)
    except TargetRefusedError as exc:
        raise WebhookRefusedError(str(exc)) from None
    except (OSError, UnicodeError) as exc:
        host = url.split("//", 1)[-1].split("/", 1)[0]
        raise WebhookError(f"Webhook host '{host}' does not resolve: {exc}") from None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a fixed address; ``host`` only names the server (``Host`` header)."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = str(target.address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address; SNI and the certificate check use ``host``."""

    def __init__(self, target: Target, timeout: float) -> None:
        context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._address = str(target.address)
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def deliver_webhook(
    url: str,
    payload: dict[str, Any],
    secret: str,
    delivery_id: str,
    *,
    sent_at: datetime,
    timeout: float = DEFAULT_TIMEOUT,
    resolver: Resolver = system_resolver,
    policy: EgressPolicy = NO_EXCEPTIONS,
) -> int:
    """POST ``payload`` to ``url``, signed with the time ``sent_at``; returns the status.

    Args:
        resolver: Looks the host up once (tests pass a stub).
        policy: Which non-public addresses are allowed (default: none; the job handler
            passes the deployment's, see ``policy_of``).

    Raises:
        WebhookRefusedError: the target is refused (dead-letter the job: no retries).
        WebhookError: any other failure: no answer, a non-2xx answer, a redirect.
    """
    target = check_target(url, resolver=resolver, policy=policy)
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(sent_at.timestamp()))
    headers = {
        "Content-Type": JSON,
        "User-Agent": "Trellis-Webhooks/1",
        "X-Trellis-Timestamp": timestamp,
        "X-Trellis-Signature": sign(secret, timestamp, body),
        "X-Trellis-Delivery": delivery_id,
    }
    pinned = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = pinned(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookError(f"Webhook '{url}' failed: {exc or type(exc).__name__}") from None
    finally:
        connection.close()
    if 300 <= status < 400:
        raise WebhookError(
            f"Webhook '{url}' answered {status}: redirects are not followed; "
            "use the final URL in the rule."
        )
    if not 200 <= status < 300:
        raise WebhookError(f"Webhook '{url}' answered {status}.")
    return status


__all__ = [
    "ALLOW_ENV",
    "ALLOW_PRIVATE_ENV",
    "WebhookError",
    "WebhookRefusedError",
    "check_target",
    "deliver_webhook",
    "sign",
    "verify",
]
