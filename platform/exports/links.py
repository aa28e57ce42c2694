"""Signed, expiring download links of finished export jobs.

A link is ``…/_exports/{id}/download?expires=<unix seconds>&signature=<hex>``: an
HMAC-SHA256 of the tenant, the export's id and the expiry under a key derived from
the deployment's secret (:func:`trellis.platform.config.secret.deployment_secret`, with
its own purpose label). A changed id, expiry or signature is 403; a link past its
expiry (by the runtime's clock) is 410.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from trellis.metadata.model.local_text import Translatable
from trellis.platform.config import RuntimeConfig
from trellis.platform.config.secret import deployment_secret
from trellis.platform.records.errors import ForbiddenError, RecordError

_PURPOSE = b"trellis-export-download:"


class ExportGoneError(RecordError):
    """The export's link expired or its file was purged (410)."""

    status = 410


def _key(config: RuntimeConfig) -> bytes:
    return hashlib.sha256(_PURPOSE + deployment_secret(config).encode()).digest()


def sign(config: RuntimeConfig, tenant: str, export_id: str, expires: int) -> str:
    """The signature of a download link."""
    message = f"{tenant}/{export_id}/{expires}".encode()
    return hmac.new(_key(config), message, hashlib.sha256).hexdigest()


def download_path(config: RuntimeConfig, tenant: str, export_id: str, expires_at: datetime) -> str:
    """The signed path of an export's file, valid until ``expires_at``."""
    expires = int(expires_at.timestamp())
    signature = sign(config, tenant, export_id, expires)
    return f"/t/{tenant}/api/_exports/{export_id}/download?expires={expires}&signature={signature}"


def check_link(
    config: RuntimeConfig,
    tenant: str,
    export_id: str,
    expires: str | None,
    signature: str | None,
    now: datetime,
) -> None:
    """Refuse a link that was not signed here (403) or has expired (410)."""
    if not expires or not expires.isdigit() or not signature:
        raise ForbiddenError(
            Translatable("The download link is not valid: it lacks its expiry or signature.")
        )
    wanted = sign(config, tenant, export_id, int(expires))
    if not hmac.compare_digest(wanted, signature.lower()):
        raise ForbiddenError(
            Translatable("The download link is not valid: its signature does not match.")
        )
    if datetime.fromtimestamp(int(expires), UTC) <= now:
        raise ExportGoneError(Translatable("The download link has expired: start a new export."))


__all__ = ["ExportGoneError", "check_link", "download_path", "sign"]
