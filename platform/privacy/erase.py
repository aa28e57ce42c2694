"""Erasure: a person's personal fields anonymised for good, their history purged, a tombstone.

On each of the person's own records (see :mod:`person`), every personal field is
replaced by an irreversible token (an HMAC of the value under the tenant's key: text
becomes ``erased-<hex>``, an address ``erased-<hex>@erased.invalid``; other types are
emptied), files are removed from storage, and the personal fields are cut out of the
record's change rows. Other fields (amounts, counts, dates of business events) and the
records referencing the person are kept. One ``_erasures`` row, keyed by a hash of the
address, is the tombstone: erasing again finds it and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.defs import FieldDef
from trellis.metadata.model.type_names import FieldType
from trellis.platform.backup.values import to_json
from trellis.platform.db.privacy_tables import ERASURES_TABLE
from trellis.platform.db.tables import CHANGES_TABLE
from trellis.platform.files.store import file_key
from trellis.platform.files.stored import all_files
from trellis.platform.privacy.person import Person, keyed_hash, normal_email, personal_fields
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.search.writer import index_record

_TEXT = frozenset({FieldType.STRING, FieldType.TEXT})
#: Removes one stored file (the tenant's file store bound to the tenant).
RemoveFile = Callable[[str], None]


@dataclass(slots=True)
class Erasure:
    """What an erasure did (or, in a dry run, would do), and its tombstone."""

    records: list[str]
    fields: int
    files: int
    at: str | None = None
    tombstone_id: int | None = None
    already: bool = False
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        """The answer of the API and the CLI."""
        return {
            "dry_run": self.dry_run,
            "already_erased": self.already,
            "tombstone": {"id": self.tombstone_id, "at": self.at} if self.tombstone_id else None,
            "records": self.records,
            "fields": self.fields,
            "files": self.files,
        }


def tombstone(conn: sa.Connection, app: CompiledApp, subject: str) -> Erasure | None:
    """The erasure already recorded for ``subject`` (a keyed hash of the address)."""
    t = app.metadata.tables[ERASURES_TABLE]
    row = conn.execute(sa.select(t).where(t.c.subject == subject)).mappings().first()
    if row is None:
        return None
    records = [str(r) for r in row["records"]]
    at = to_json(row["at"])
    return Erasure(records, row["fields"], row["files"], at, int(row["id"]), already=True)


def _token(secret: bytes, f: FieldDef, value: Any, nullable: bool) -> Any:
    if value is None:
        return None
    digest = keyed_hash(secret, f"{f.name}:{value}")[:24]
    if f.type == FieldType.EMAIL:
        return f"erased-{digest}@erased.invalid"
    if f.type in _TEXT or (f.computed and isinstance(value, str)):
        token = f"erased-{digest}"
        return token[: f.max_length] if f.max_length else token
    return None if nullable else value


def _erase_record(
    conn: sa.Connection,
    entity: CompiledEntity,
    row: dict[str, Any],
    secret: bytes,
    at: datetime,
    remove: RemoveFile | None,
) -> tuple[dict[str, Any], int, list[str]]:
    """Anonymise one record (``remove`` None: count only); new values, files, field names."""
    values: dict[str, Any] = {}
    files = 0
    for f in entity.entity.fields.values():
        if f.type == FieldType.FILE and f.name in entity.columns and row.get(f.name):
            for item in all_files(f, row[f.name]):
                files += 1
                if remove is not None:
                    remove(file_key(entity.name, int(row["id"]), f.name, str(item.get("id"))))
            values[f.name] = None
    for f in personal_fields(entity):
        if row.get(f.name) is not None:
            nullable = bool(entity.table.c[f.name].nullable)
            values[f.name] = _token(secret, f, row[f.name], nullable)
    names = [f.name for f in personal_fields(entity)] + [
        f.name for f in entity.entity.fields.values() if f.type == FieldType.FILE
    ]
    if values and remove is not None:
        t = entity.table
        stamp = {"version": t.c.version + 1, "updated_at": at, "updated_by": None}
        conn.execute(t.update().where(t.c.id == row["id"]).values(**values, **stamp))
        index_record(conn, entity, int(row["id"]), list(values))
    return values, files, names


def _purge_history(
    conn: sa.Connection, app: CompiledApp, entity: str, record_id: int, names: list[str]
) -> None:
    """Cut ``names`` out of the record's change rows (their old and new values)."""
    t = app.metadata.tables[CHANGES_TABLE]
    query = sa.select(t.c.id, t.c.changes).where(t.c.entity == entity, t.c.record_id == record_id)
    for change_id, changes in conn.execute(query).all():
        kept = {k: v for k, v in dict(changes or {}).items() if k not in names}
        if kept != changes:
            conn.execute(t.update().where(t.c.id == change_id).values(changes=kept))


def erase_person(
    conn: sa.Connection,
    app: CompiledApp,
    person: Person,
    secret: bytes,
    email: str,
    at: datetime,
    actor: str,
    remove: RemoveFile | None,
) -> Erasure:
    """Erase ``person`` (``remove`` None: a dry run, nothing written); see the module doc."""
    subject = keyed_hash(secret, normal_email(email))
    done = tombstone(conn, app, subject)
    if person.empty:  # erased before (the same tombstone), or nobody: nothing written
        return done or Erasure([], 0, 0, dry_run=remove is None)
    records, fields, files = [], 0, 0
    for entity_name, rows in person.subjects.items():
        entity = app.entities[entity_name]
        for record_id, row in rows.items():
            values, n_files, names = _erase_record(conn, entity, row, secret, at, remove)
            fields, files = fields + len(values), files + n_files
            records.append(f"{entity_name}:{record_id}")
            if remove is not None:
                _purge_history(conn, app, entity_name, record_id, names)
                changes = {name: [None, value] for name, value in values.items()}
                _note_change(conn, app, entity, record_id, at, changes)
    if remove is None:
        return Erasure(records, fields, files, dry_run=True)
    t = app.metadata.tables[ERASURES_TABLE]
    if done is not None:
        records = sorted({*done.records, *records})
        fields, files = done.fields + fields, done.files + files
        conn.execute(t.delete().where(t.c.subject == subject))
    row = {"subject": subject, "at": at, "erased_by": actor[:254], "records": records}
    result = conn.execute(t.insert().values(**row, fields=fields, files=files))
    new_id = int(result.inserted_primary_key[0]) if result.inserted_primary_key else None
    return Erasure(records, fields, files, to_json(at), new_id)


def anonymise_record(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    row: dict[str, Any],
    secret: bytes,
    at: datetime,
    remove: RemoveFile,
    source: str,
) -> int:
    """Anonymise one record as an erasure does (tokens, files, history cut); returns how
    many fields changed. The change row notes ``source`` (e.g. ``retention``)."""
    values, _files, names = _erase_record(conn, entity, row, secret, at, remove)
    if values:
        record_id = int(row["id"])
        _purge_history(conn, app, entity.name, record_id, names)
        changes = {name: [None, value] for name, value in values.items()}
        _note_change(conn, app, entity, record_id, at, changes, source)
    return len(values)


def _note_change(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    record_id: int,
    at: datetime,
    changes: dict[str, Any],
    source: str = "erasure",
) -> None:
    """A change row of the anonymisation (old values unknown, new: the tokens)."""
    t = entity.table
    version = conn.execute(sa.select(t.c.version).where(t.c.id == record_id)).scalar()
    table = app.metadata.tables[CHANGES_TABLE]
    conn.execute(
        table.insert().values(
            entity=entity.name,
            record_id=record_id,
            op="update",
            at=at,
            user_id=None,
            version=int(version or 1),
            changes=changes,
            source=source,
        )
    )


__all__ = ["Erasure", "RemoveFile", "anonymise_record", "erase_person", "tombstone"]
