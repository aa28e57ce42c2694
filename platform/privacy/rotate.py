"""``trellis keys rotate``: a new data key, every encrypted value re-encrypted under it.

In one transaction: every data key is wrapped again under the current master key (so a
changed ``TRELLIS_MASTER_KEY`` takes over from ``TRELLIS_MASTER_KEY_PREVIOUS``), a new
data key version is made, and every encrypted value (field columns and their values in
change rows) is decrypted and encrypted again under it; plain values written before a
field was marked encrypted are encrypted now. Audited as ``keys.rotate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.encrypted import EncryptedChanges, encrypted_fields
from trellis.platform.db.tables import CHANGES_TABLE, build_metadata
from trellis.platform.privacy.keys import Keyring, add_key, master_keys, read_keys, rewrap_keys
from trellis.platform.runtime import Runtime

ROTATE_ACTION = "keys.rotate"


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a rotation did: the new key version, keys re-wrapped, values re-encrypted."""

    version: int
    rewrapped: int
    values: int
    history_rows: int

    def as_json(self) -> dict[str, int]:
        """The JSON form (CLI output, audit detail)."""
        return {
            "version": self.version,
            "rewrapped": self.rewrapped,
            "values": self.values,
            "history_rows": self.history_rows,
        }


def _reencrypt_rows(conn: sa.Connection, table: sa.Table, names: list[str], ring: Keyring) -> int:
    count = 0
    rows = conn.execute(sa.select(table.c.id, *(table.c[n] for n in names))).all()
    for row in rows:
        values: dict[str, Any] = {}
        for name in names:
            stored = getattr(row, name)
            if stored is not None:
                context = f"{table.name}.{name}"
                values[name] = ring.encrypt(ring.decrypt(stored, context), context)
        if values:
            conn.execute(table.update().where(table.c.id == row.id), values)
            count += len(values)
    return count


def rotate_keys(runtime: Runtime, tenant: str, actor: str | None = None) -> Rotation:
    """Rotate the data key of ``tenant`` and re-encrypt its encrypted values."""
    model = runtime.app(tenant).model  # makes the first data key if there is none
    masters = master_keys(runtime.config)
    stored = build_metadata(model)  # no cipher: columns read and write stored text
    hidden = encrypted_fields(model)
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        rewrapped = rewrap_keys(conn, masters)
        version = add_key(conn, masters, runtime.clock.now())
        keys = read_keys(conn, masters)
        ring = Keyring(lambda: keys)
        values = 0
        for entity in model.entities.values():
            names = [f.name for f in entity.fields.values() if f.encrypted]
            if names:
                values += _reencrypt_rows(conn, stored.tables[entity.name], names, ring)
        history = 0
        if hidden:
            changes = stored.tables[CHANGES_TABLE]
            codec = EncryptedChanges(ring, hidden)
            dialect = conn.dialect
            for row in conn.execute(sa.select(changes.c.id, changes.c.changes)).all():
                plain = codec.process_result_value(row.changes, dialect)
                again = codec.process_bind_param(plain, dialect)
                if again != row.changes:
                    conn.execute(changes.update().where(changes.c.id == row.id), {"changes": again})
                    history += 1
    done = Rotation(version, rewrapped, values, history)
    runtime.changed(tenant, "keys")
    runtime.registry.audit.record(
        runtime.tenant(tenant).id,
        ROTATE_ACTION,
        actor=actor,
        actor_user_id=None,
        target=f"data-key:{version}",
        detail=done.as_json(),
    )
    return done


__all__ = ["ROTATE_ACTION", "Rotation", "rotate_keys"]
