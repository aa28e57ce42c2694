"""Per-tenant data keys of ``encrypted: true`` fields, wrapped by the master key.

Each tenant has data keys (``_data_keys``: version, wrapped key); the highest version
encrypts, every version decrypts. A data key is a random 256-bit AES key, stored
wrapped (AES-GCM) under the deployment's master key: ``TRELLIS_MASTER_KEY``, else the
key file ``<data dir>/master.key`` made on first use (docs/privacy.md).

Values are encrypted with AES-GCM and a synthetic nonce (an HMAC of the value under
the data key), so equal values give equal ciphertexts and an exact-match filter works
in SQL; the column (``entity.field``) is bound as associated data. Stored text:
``enc1:<version>:<base64url(nonce + ciphertext)>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

import sqlalchemy as sa

from trellis.platform.config import RuntimeConfig
from trellis.platform.config.secret import secret_key
from trellis.platform.db.privacy_tables import DATA_KEYS_TABLE

PREFIX = "enc1:"
MASTER_FILE = "master.key"
_NONCE = 12


class DataKeyError(RuntimeError):
    """A data key cannot be unwrapped, or a stored value does not decrypt."""


def _seal_with(key: bytes, nonce: bytes, data: bytes, context: bytes) -> bytes:
    """AES-GCM of ``data`` (cryptography is imported on first use: a server that
    never meets an encrypted field does not load it)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key).encrypt(nonce, data, context)


def _open_with(key: bytes, nonce: bytes, sealed: bytes, context: bytes) -> bytes | None:
    """The plain bytes of ``sealed``, or None when it does not open under ``key``."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(nonce, sealed, context)
    except InvalidTag:
        return None


def master_keys(config: RuntimeConfig) -> list[bytes]:
    """The master keys to try, current first (``TRELLIS_MASTER_KEY[_PREVIOUS]``)."""
    texts = [secret_key(config.data_dir, config.master_key, MASTER_FILE)]
    if config.master_key_previous:
        texts.append(config.master_key_previous)
    return [hashlib.sha256(b"trellis-master\0" + t.encode()).digest() for t in texts]


def wrap(master: bytes, key: bytes, version: int) -> str:
    """``key`` encrypted under ``master`` (its version as associated data)."""
    nonce = os.urandom(_NONCE)
    sealed = _seal_with(master, nonce, key, f"data-key:{version}".encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unwrap(masters: list[bytes], wrapped: str, version: int) -> bytes:
    """The data key in ``wrapped``, under the first master key that opens it.

    Raises:
        DataKeyError: no master key opens it.
    """
    raw = base64.urlsafe_b64decode(wrapped)
    for master in masters:
        key = _open_with(master, raw[:_NONCE], raw[_NONCE:], f"data-key:{version}".encode())
        if key is not None:
            return key
    raise DataKeyError(
        f"Data key {version} does not open with TRELLIS_MASTER_KEY (or "
        "TRELLIS_MASTER_KEY_PREVIOUS): set the master key it was made with."
    )


class Keyring:
    """The data keys of one tenant; the highest version encrypts.

    ``load()`` returns ``{version: key}``; it is called on first use and again after
    :meth:`invalidate` (another process rotated the keys).
    """

    def __init__(self, load: Callable[[], Mapping[int, bytes]]) -> None:
        self._load = load
        self._keys: dict[int, bytes] | None = None
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Read the keys again on next use."""
        self._keys = None

    def _current(self) -> dict[int, bytes]:
        keys = self._keys
        if keys is None:
            with self._lock:
                keys = self._keys = dict(self._load())
        if not keys:
            raise DataKeyError("The tenant has no data key yet: run trellis keys rotate.")
        return keys

    def _seal(self, version: int, key: bytes, plain: str, context: str) -> str:
        data = plain.encode()
        nonce = hmac.new(key, context.encode() + b"\0" + data, hashlib.sha256).digest()[:_NONCE]
        sealed = _seal_with(key, nonce, data, context.encode())
        return f"{PREFIX}{version}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def encrypt(self, plain: str, context: str) -> str:
        """The ciphertext of ``plain`` under the newest data key."""
        keys = self._current()
        version = max(keys)
        return self._seal(version, keys[version], plain, context)

    def candidates(self, plain: str, context: str) -> list[str]:
        """``plain`` encrypted under every data key held (equality filters)."""
        return [self._seal(v, k, plain, context) for v, k in sorted(self._current().items())]

    def decrypt(self, stored: str, context: str) -> str:
        """The plain text of ``stored``; text without the prefix is read as it is
        (written before the field was encrypted; ``trellis keys rotate`` encrypts it).

        Raises:
            DataKeyError: unknown key version, or the value was altered.
        """
        if not stored.startswith(PREFIX):
            return stored
        version_text, _, body = stored[len(PREFIX) :].partition(":")
        keys = self._current()
        key = keys.get(int(version_text)) if version_text.isdigit() else None
        if key is None:
            self.invalidate()  # rotated elsewhere: read the keys again once
            key = self._current().get(int(version_text)) if version_text.isdigit() else None
        if key is None:
            raise DataKeyError(f"A value is encrypted under data key {version_text!r}, not held.")
        raw = base64.urlsafe_b64decode(body)
        plain = _open_with(key, raw[:_NONCE], raw[_NONCE:], context.encode())
        if plain is None:
            raise DataKeyError("An encrypted value does not decrypt: it was altered.")
        return plain.decode()


def data_keys_table() -> sa.Table:
    """A stand-alone ``_data_keys`` table (read outside a compiled app)."""
    meta = sa.MetaData()
    return sa.Table(
        DATA_KEYS_TABLE,
        meta,
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def read_keys(conn: sa.Connection, masters: list[bytes]) -> dict[int, bytes]:
    """Every data key of the tenant of ``conn``, unwrapped."""
    table = data_keys_table()
    rows = conn.execute(sa.select(table.c.version, table.c.wrapped)).all()
    return {row.version: unwrap(masters, row.wrapped, row.version) for row in rows}


def add_key(conn: sa.Connection, masters: list[bytes], now: datetime) -> int:
    """Make a new data key (the next version) wrapped under the current master key."""
    table = data_keys_table()
    top = conn.execute(sa.select(sa.func.max(table.c.version))).scalar()
    version = int(top or 0) + 1
    conn.execute(
        table.insert(),
        {
            "version": version,
            "wrapped": wrap(masters[0], os.urandom(32), version),
            "created_at": now,
        },
    )
    return version


def rewrap_keys(conn: sa.Connection, masters: list[bytes]) -> int:
    """Wrap every data key under the current master key again; returns how many."""
    table = data_keys_table()
    keys = read_keys(conn, masters)
    for version, key in keys.items():
        conn.execute(
            table.update().where(table.c.version == version),
            {"wrapped": wrap(masters[0], key, version)},
        )
    return len(keys)


__all__ = [
    "PREFIX",
    "DataKeyError",
    "Keyring",
    "add_key",
    "data_keys_table",
    "master_keys",
    "read_keys",
    "rewrap_keys",
    "unwrap",
    "wrap",
]
