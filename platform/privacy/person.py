"""Which records hold a person's data, found from field metadata alone.

A field is *personal* when it says ``pii: true`` or is an ``email`` or ``phone`` field.
The person's own records (*subjects*) are those whose ``email`` field equals the address
(case-insensitive, deleted records included); *related* records reference a subject
through a ``reference`` field. No entity is named here: only field types and tags.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.defs import FieldDef
from trellis.metadata.model.type_names import FieldType
from trellis.platform.db.tables import SETTINGS_TABLE
from trellis.platform.records.compiled import CompiledApp, CompiledEntity

SECRET_KEY = "privacy_secret"
_IDENTIFYING = frozenset({FieldType.EMAIL, FieldType.PHONE})


def is_personal(f: FieldDef) -> bool:
    """Whether ``f`` holds personal data (``pii: true``, or an email or phone field)."""
    return f.pii or f.type in _IDENTIFYING


def personal_fields(entity: CompiledEntity) -> list[FieldDef]:
    """The stored personal fields of ``entity``."""
    return [f for f in entity.entity.fields.values() if is_personal(f) and f.name in entity.columns]


def normal_email(email: str) -> str:
    """The address as compared and hashed: trimmed, lower case."""
    return email.strip().lower()


def privacy_secret(conn: sa.Connection, metadata: sa.MetaData) -> bytes:
    """The tenant's privacy HMAC key, created on first use (call in a write transaction)."""
    table = metadata.tables[SETTINGS_TABLE]
    value = conn.execute(sa.select(table.c.value).where(table.c.key == SECRET_KEY)).scalar()
    if value is None:
        value = secrets.token_hex(32)
        conn.execute(table.insert().values(key=SECRET_KEY, value=value))
    return bytes.fromhex(str(value))


def keyed_hash(secret: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` under the tenant's key, hex (irreversible without the key)."""
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(slots=True)
class Person:
    """The records of one person: their own (subjects) and those referencing them."""

    subjects: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    related: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No record holds or references the person."""
        return not self.subjects

    def records(self) -> list[tuple[str, int]]:
        """Every (entity, id) found, subjects first."""
        found = [(e, i) for e, rows in self.subjects.items() for i in rows]
        return found + [(e, i) for e, rows in self.related.items() for i in rows]


def find_person(conn: sa.Connection, app: CompiledApp, email: str) -> Person:
    """The person whose email fields hold ``email``, and the records referencing them."""
    wanted = normal_email(email)
    person = Person()
    for entity in app.entities.values():
        t = entity.table
        emails = [
            f.name
            for f in entity.entity.fields.values()
            if f.type == FieldType.EMAIL and f.name in entity.columns
        ]
        if not emails or not wanted:
            continue
        match = sa.or_(*(sa.func.lower(t.c[name]) == wanted for name in emails))
        rows = conn.execute(sa.select(t).where(match).order_by(t.c.id)).mappings()
        found = {int(r["id"]): dict(r) for r in rows}
        if found:
            person.subjects[entity.name] = found
    for entity in app.entities.values():
        t = entity.table
        for f in entity.entity.fields.values():
            ids = person.subjects.get(f.to or "")
            if f.type != FieldType.REFERENCE or not ids or f.name not in entity.columns:
                continue
            query = sa.select(t).where(t.c[f.name].in_(sorted(ids))).order_by(t.c.id)
            for row in conn.execute(query).mappings():
                if int(row["id"]) not in person.subjects.get(entity.name, {}):
                    person.related.setdefault(entity.name, {})[int(row["id"])] = dict(row)
    return person


__all__ = [
    "Person",
    "find_person",
    "is_personal",
    "keyed_hash",
    "normal_email",
    "personal_fields",
    "privacy_secret",
]
