"""The deployment's secret key (CSRF tokens, encrypted settings).

``TRELLIS_SECRET_KEY`` (``RuntimeConfig.secret_key``) wins; otherwise a random key is
created once in ``<data dir>/secret.key`` (mode 0600) so the embedded default needs no
set-up.
Processes on several machines must share ``TRELLIS_SECRET_KEY``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from trellis.platform.config.settings import RuntimeConfig

SECRET_FILE = "secret.key"


def deployment_secret(config: RuntimeConfig) -> str:
    """The secret key of ``config``: its ``secret_key``, else the data dir's key file."""
    return secret_key(config.data_dir, config.secret_key)


def secret_key(data_dir: Path, configured: str | None = None, name: str = SECRET_FILE) -> str:
    """Return ``configured`` if set, else the key of ``data_dir``, creating its file first.

    The file appears whole or not at all (written to a temporary file, fsynced, then
    hard-linked into place, which fails if another process got there first), so a
    process starting at the same moment never reads an empty key.

    Raises:
        RuntimeError: the key file exists but is empty.
    """
    if configured:
        return configured
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        _create(path, secrets.token_urlsafe(48))
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise RuntimeError(f"The secret key file {path} is empty: delete it to make a new one.")
    return key


def _create(path: Path, key: str) -> None:
    """Put ``key`` at ``path`` atomically unless a key is already there."""
    fd, temp = tempfile.mkstemp(prefix=".secret-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: keep its key
            os.link(temp, path)
    finally:
        os.unlink(temp)


__all__ = ["SECRET_FILE", "deployment_secret", "secret_key"]
