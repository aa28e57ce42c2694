"""Person export: one zip with every record holding or referencing a person, and more.

Entries: ``records/<entity>.jsonl`` (the person's own records, then those referencing
them; deleted ones included), ``history.jsonl`` (their change rows), ``consents.jsonl``
(the ledger's entries), ``emails.jsonl`` (e-mails sent to the address or about those
records) and ``manifest.json`` (counts). Written to a file atomically (temp + rename).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trellis.platform.backup.archive_io import write_bytes, write_lines
from trellis.platform.backup.values import to_json
from trellis.platform.db.tables import CHANGES_TABLE, DELIVERIES_TABLE
from trellis.platform.privacy.consents import consents_of
from trellis.platform.privacy.person import Person, normal_email
from trellis.platform.records.compiled import CompiledApp


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: to_json(v) for k, v in row.items() if not str(k).startswith("_")}


def _history(conn: sa.Connection, app: CompiledApp, person: Person) -> Iterator[dict[str, Any]]:
    t = app.metadata.tables[CHANGES_TABLE]
    by_entity: dict[str, list[int]] = {}
    for entity, record_id in person.records():
        by_entity.setdefault(entity, []).append(record_id)
    for entity, ids in by_entity.items():
        query = sa.select(t).where(t.c.entity == entity, t.c.record_id.in_(sorted(ids)))
        for row in conn.execute(query.order_by(t.c.id)).mappings():
            yield _jsonable(dict(row))


def _emails(
    conn: sa.Connection, app: CompiledApp, person: Person, email: str
) -> Iterator[dict[str, Any]]:
    t = app.metadata.tables[DELIVERIES_TABLE]
    about = [
        sa.and_(t.c.entity == entity, t.c.record_id == record_id)
        for entity, record_id in person.records()
    ]
    match = sa.or_(sa.func.lower(t.c.target) == normal_email(email), *about)
    query = sa.select(t).where(t.c.kind == "email", match).order_by(t.c.id)
    for row in conn.execute(query).mappings():
        yield _jsonable(dict(row))


def export_bytes(
    conn: sa.Connection, app: CompiledApp, person: Person, email: str, at: datetime
) -> bytes:
    """The archive of ``person`` as bytes (see the module docstring)."""
    buffer = io.BytesIO()
    counts: dict[str, int] = {}
    with zipfile.ZipFile(buffer, "w") as archive:
        for entity in dict.fromkeys([*person.subjects, *person.related]):
            name = f"records/{entity}.jsonl"
            merged = {**person.subjects.get(entity, {}), **person.related.get(entity, {})}
            entry = write_lines(archive, name, (_jsonable(r) for r in merged.values()))
            counts[name] = entry.rows or 0
        for name, lines in (
            ("history.jsonl", _history(conn, app, person)),
            ("consents.jsonl", iter(consents_of(conn, app.metadata, email))),
            ("emails.jsonl", _emails(conn, app, person, email)),
        ):
            counts[name] = write_lines(archive, name, lines).rows or 0
        manifest = {"email": email, "generated_at": to_json(at), "entries": counts}
        write_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"))
    return buffer.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the whole file or none (temp + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


__all__ = ["export_bytes", "write_atomically"]
