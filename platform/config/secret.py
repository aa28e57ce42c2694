"""The deployment's secret key (CSRF tokens, encrypted settings).

``TRELLIS_SECRET_KEY`` wins; otherwise a random key is created once in
``<data dir>/secret.key`` (mode 0600) so the embedded default needs no set-up.
Processes on several machines must share ``TRELLIS_SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "secret.key"


def secret_key(data_dir: Path) -> str:
    """Return the secret key, creating the key file on first use."""
    configured = os.environ.get("TRELLIS_SECRET_KEY")
    if configured:
        return configured
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


__all__ = ["SECRET_FILE", "secret_key"]
