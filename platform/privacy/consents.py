"""The consent ledger: append-only entries per person and purpose, checked before marketing.

An entry says a person granted or withdrew consent for a purpose, on a lawful basis,
from a source, at a time, with optional evidence. Entries are never changed or removed;
the latest entry of a purpose decides. The person is stored as a keyed hash of their
address, so the ledger outlives an erasure without holding the address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.backup.values import to_json
from trellis.platform.db.privacy_tables import CONSENTS_TABLE
from trellis.platform.privacy.person import keyed_hash, normal_email, privacy_secret
from trellis.platform.records.errors import ValidationFailedError

#: Lawful bases of GDPR article 6.
BASES = ("consent", "contract", "legal_obligation", "vital_interests", "public_task",
         "legitimate_interests")  # fmt: skip
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
_FIELDS = frozenset({"email", "purpose", "lawful_basis", "granted", "source", "evidence"})


def parse_entry(body: Any) -> dict[str, Any]:
    """A ledger entry from a request body; 422 naming every bad part."""
    if not isinstance(body, Mapping):
        raise ValidationFailedError({"__all__": ["Send a JSON object."]})
    errors: dict[str, list[str]] = {}
    for key in sorted(set(body) - _FIELDS):
        errors[str(key)] = ["Unknown field."]
    email, purpose = body.get("email"), body.get("purpose")
    if not isinstance(email, str) or not _EMAIL.match(email.strip()):
        errors["email"] = ["An e-mail address is required."]
    if not isinstance(purpose, str) or not _PURPOSE.match(purpose):
        errors["purpose"] = ["A purpose name is required (lower case, e.g. marketing)."]
    basis = body.get("lawful_basis", "consent")
    if basis not in BASES:
        errors["lawful_basis"] = [f"One of {', '.join(BASES)}."]
    if not isinstance(body.get("granted"), bool):
        errors["granted"] = ["true (granted) or false (withdrawn) is required."]
    source = body.get("source", "api")
    if not isinstance(source, str) or not source.strip() or len(source) > 200 or "\0" in source:
        errors["source"] = ["A source of up to 200 characters is required."]
    evidence = body.get("evidence")
    if evidence is not None and (not isinstance(evidence, str) or "\0" in evidence):
        errors["evidence"] = ["Text, or leave it out."]
    if errors:
        raise ValidationFailedError(errors)
    return {
        "email": str(email).strip(),
        "purpose": purpose,
        "basis": basis,
        "granted": body["granted"],
        "source": str(source).strip(),
        "evidence": evidence,
    }


def add_consent(
    conn: sa.Connection,
    metadata: sa.MetaData,
    entry: Mapping[str, Any],
    at: datetime,
    user_id: int | None,
) -> dict[str, Any]:
    """Append one entry (as parsed by ``parse_entry``); the entry as answered."""
    subject = keyed_hash(privacy_secret(conn, metadata), normal_email(entry["email"]))
    values = {k: entry[k] for k in ("purpose", "basis", "granted", "source", "evidence")}
    row = {**values, "subject": subject, "at": at, "recorded_by": user_id}
    table = metadata.tables[CONSENTS_TABLE]
    new_id = conn.execute(table.insert().values(**row)).inserted_primary_key
    return _as_json({**row, "id": int(new_id[0]) if new_id else 0})


def consents_of(conn: sa.Connection, metadata: sa.MetaData, email: str) -> list[dict[str, Any]]:
    """Every entry of the person, oldest first."""
    t = metadata.tables[CONSENTS_TABLE]
    subject = keyed_hash(privacy_secret(conn, metadata), normal_email(email))
    rows = conn.execute(sa.select(t).where(t.c.subject == subject).order_by(t.c.id)).mappings()
    return [_as_json(dict(r)) for r in rows]


def may_contact(conn: sa.Connection, metadata: sa.MetaData, email: str, purpose: str) -> bool:
    """Whether the latest entry of ``purpose`` for ``email`` grants it (no entry: no)."""
    t = metadata.tables[CONSENTS_TABLE]
    subject = keyed_hash(privacy_secret(conn, metadata), normal_email(email))
    query = (
        sa.select(t.c.granted)
        .where(t.c.subject == subject, t.c.purpose == purpose)
        .order_by(t.c.id.desc())
        .limit(1)
    )
    return bool(conn.execute(query).scalar())


def _as_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "purpose": row["purpose"],
        "lawful_basis": row["basis"],
        "granted": bool(row["granted"]),
        "source": row["source"],
        "evidence": row["evidence"],
        "at": to_json(row["at"]),
        "recorded_by": row["recorded_by"],
    }


__all__ = ["BASES", "add_consent", "consents_of", "may_contact", "parse_entry"]
