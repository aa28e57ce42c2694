"""Column types of ``encrypted: true`` fields: ciphertext on disk, plain text in Python.

The tables of a tenant's compiled app carry a :class:`FieldCipher` (the tenant's
keyring, platform/privacy/keys.py): values are encrypted when bound (inserts, updates
and filter parameters alike) and decrypted when read. Encryption is deterministic, so
an equality filter compares ciphertexts in SQL; a filter equal to a value matches the
ciphertext under every data key version the keyring holds.
"""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.sql import operators

from trellis.metadata.model import FIELD_TYPES, AppModel, EntityDef, FieldDef


class FieldCipher(Protocol):
    """Encrypts and decrypts the values of one tenant's encrypted fields."""

    def encrypt(self, plain: str, context: str) -> str:
        """The ciphertext of ``plain`` under the current data key."""
        ...

    def decrypt(self, stored: str, context: str) -> str:
        """The plain text of a stored value (any data key version)."""
        ...

    def candidates(self, plain: str, context: str) -> list[str]:
        """The ciphertexts of ``plain`` under every data key version held."""
        ...


_EQUAL = (operators.eq, operators.ne, operators.is_distinct_from)


def _text_value(other: Any) -> str | None:
    """The text an equality compares with: a plain string or a bound string."""
    if isinstance(other, str):
        return other
    value = getattr(other, "value", None) if isinstance(other, sa.BindParameter) else None
    return value if isinstance(value, str) else None


class EncryptedText(sa.types.TypeDecorator[str]):
    """Text encrypted under the tenant's data key; ``context`` binds it to its column."""

    impl = sa.Text
    cache_ok = False  # the cipher is not a cache key

    def __init__(self, cipher: FieldCipher, context: str) -> None:
        super().__init__()
        self.cipher = cipher
        self.context = context

    class comparator_factory(sa.types.TypeDecorator.Comparator[str]):
        """``column == value`` matches the value's ciphertext under every key version."""

        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            kind: EncryptedText = self.type  # type: ignore[assignment]
            plain = _text_value(other[0]) if len(other) == 1 else None
            if plain is not None and op in _EQUAL:
                raw = sa.type_coerce(self.expr, sa.Text())
                found = raw.in_(kind.cipher.candidates(plain, kind.context))
                if op is operators.eq:
                    return found
                return sa.or_(raw.is_(None), sa.not_(found))  # != and IS DISTINCT FROM
            return super().operate(op, *other, **kwargs)

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return self.cipher.encrypt(str(value), self.context)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return self.cipher.decrypt(value, self.context)


class EncryptedChanges(sa.types.TypeDecorator[Any]):
    """The JSON of change rows with the values of encrypted fields encrypted.

    ``fields`` names every encrypted field of the app (change rows do not say their
    entity's type here); a value that does not decrypt is read as it is.
    """

    impl = sa.JSON
    cache_ok = False

    def __init__(self, cipher: FieldCipher, fields: frozenset[str]) -> None:
        super().__init__()
        self.cipher = cipher
        self.fields = fields

    def _map(self, value: Any, turn: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for name in self.fields & out.keys():
            pair = out[name]
            if isinstance(pair, list):
                out[name] = [turn(v) if isinstance(v, str) else v for v in pair]
        return out

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return self._map(value, lambda v: self.cipher.encrypt(v, "history"))

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        return self._map(value, lambda v: self.cipher.decrypt(v, "history"))


def column_type(entity: EntityDef, f: FieldDef, cipher: FieldCipher | None) -> Any:
    """The SQL type of field ``f``: ciphertext text for ``encrypted: true`` fields,
    encrypting and decrypting through ``cipher`` when one is given."""
    if not f.encrypted:
        return FIELD_TYPES[f.type].sql_type(f)
    return sa.Text() if cipher is None else EncryptedText(cipher, f"{entity.name}.{f.name}")


def encrypted_fields(model: AppModel) -> frozenset[str]:
    """Names of the ``encrypted: true`` fields of every entity."""
    return frozenset(
        f.name for e in model.entities.values() for f in e.fields.values() if f.encrypted
    )


__all__ = [
    "EncryptedChanges",
    "EncryptedText",
    "FieldCipher",
    "column_type",
    "encrypted_fields",
]
