"""File field operations of a caller: upload, list, download, remove, store a version.

Uploads reach here as a temporary file (``receive.py``); the service checks the
caller, sniffs the content, puts the bytes in the file store, then saves the field's
new metadata through the record service (the caller needs ``update`` on the record;
the change row records it). A save that fails removes the stored bytes again; bytes
a save drops (a replaced, unversioned file, a removed one) are deleted after commit.
Soft-deleted records keep their files, so a restored record has them again.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from trellis.metadata.model import FieldDef, FieldType
from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.call import Call, require_reachable, visible_record
from trellis.platform.automation import record_service
from trellis.platform.files.factory import file_store
from trellis.platform.files.names import clean_name
from trellis.platform.files.receive import ReceivedFile, UploadRefusedError
from trellis.platform.files.sniff import SNIFF_BYTES, RefusedContentError, sniff
from trellis.platform.files.store import FileStore, file_key
from trellis.platform.files.stored import (
    FileJson,
    NewFile,
    current_files,
    file_json,
    find_file,
    new_file_id,
    with_upload,
    without_file,
)
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import ConflictError, NotFoundError
from trellis.platform.records.save_context import SaveContext
from trellis.platform.runtime import Runtime
from trellis.platform.services.values import RecordBody

MIB = 1024 * 1024


class FilesService:
    """The files of records' file fields, on behalf of authenticated calls."""

    def __init__(self, runtime: Runtime, store: FileStore | None = None) -> None:
        self.runtime = runtime
        self.store = store if store is not None else file_store(runtime.config)
        #: Where uploads wait while they arrive (local disk, whatever the store).
        self.incoming: Path = runtime.config.data_dir / "files" / ".incoming"

    # checks ---------------------------------------------------------------------------
    def field(self, call: Call, entity: CompiledEntity, name: str) -> FieldDef:
        """The file field ``name`` as the caller sees it (404 when unknown or hidden)."""
        f = entity.entity.fields.get(name)
        visible = name in call.access.entity(entity.name).columns
        if f is None or f.type != FieldType.FILE or not visible:
            raise NotFoundError(
                Translatable(
                    "%(entity)s has no file field '%(name)s'.", entity=entity.name, name=name
                )
            )
        return f

    def limit(self, f: FieldDef) -> int:
        """The largest upload of ``f`` in bytes."""
        return (f.max_size_mb or self.runtime.config.upload_max_mb) * MIB

    def check_upload(self, call: Call, entity: CompiledEntity, record_id: int, f: FieldDef) -> None:
        """Refuse before any byte is read: no update right (403), a record outside the
        caller's scope (404), a field the caller may not write (422)."""
        call.access.require(entity.name, "update")
        call.access.check_write(entity, {f.name: None})
        with self._connect(call) as conn:
            require_reachable(call, conn, entity, record_id)

    # writes ---------------------------------------------------------------------------
    def attach(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        f: FieldDef,
        upload: ReceivedFile,
        expected_version: int | None = None,
    ) -> RecordBody:
        """Add the received file to the record's field (415 for a refused format; 409
        when ``expected_version`` is given and no longer the stored one)."""
        name = clean_name(upload.filename)
        new = NewFile(name, upload.size, _sniffed(upload.head, name, upload))
        with upload.path.open("rb") as source:
            return self._add(call, entity, record_id, f, source, new, expected_version)

    def store_version(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        field: str,
        data: bytes,
        name: str,
    ) -> FileJson:
        """Store ``data`` as the newest file of a record's file field (e.g. a generated PDF).

        On a ``versioned`` field the earlier file becomes a version; on a ``multiple``
        field it is added; otherwise it replaces the file. The caller needs ``update``.

        Raises:
            NotFoundError: no such file field, or the record is outside the caller's scope.
            ForbiddenError: the caller may not update these records.
            UploadRefusedError: ``data`` is not an accepted format (415) or too large (413).
        """
        f = self.field(call, entity, field)
        if len(data) > self.limit(f):
            raise UploadRefusedError(413, f"The file is larger than {self.limit(f) // MIB} MiB.")
        call.access.check_write(entity, {f.name: None})
        cleaned = clean_name(name)
        new = NewFile(cleaned, len(data), _sniffed(data[:SNIFF_BYTES], cleaned, None))
        body = self._add(call, entity, record_id, f, io.BytesIO(data), new)
        value = body.record.get(f.name)
        return current_files(f, value)[-1]

    def remove(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        f: FieldDef,
        file_id: str,
        expected_version: int | None = None,
    ) -> RecordBody:
        """Remove a current file (with its versions) from the field; 404 when absent,
        409 when ``expected_version`` is given and no longer the stored one."""
        call.access.check_write(entity, {f.name: None})
        service = record_service(call.rt)
        with self._connect(call, write=True) as conn, conn.begin():
            require_reachable(call, conn, entity, record_id)
            stored = service.get(conn, entity, record_id, for_update=True)
            _check_version(entity, stored, expected_version)
            value, removed = without_file(f, (stored or {}).get(f.name), file_id)
            if not removed:
                raise NotFoundError(
                    Translatable(
                        "No file '%(file)s' in field '%(field)s'.", file=file_id, field=f.name
                    )
                )
            record = self._save(call, conn, entity, record_id, {f.name: value})
        self._drop(call, entity, record_id, f, removed)
        return RecordBody(visible_record(call, entity, record), int(record["version"]))

    # reads ----------------------------------------------------------------------------
    def files(self, call: Call, entity: CompiledEntity, record_id: int, f: FieldDef) -> Any:
        """The field's value (files with their versions) on a record the caller reads."""
        return self._value(call, entity, record_id, f)

    def open(
        self, call: Call, entity: CompiledEntity, record_id: int, f: FieldDef, file_id: str
    ) -> tuple[FileJson, Iterator[bytes]]:
        """A file (current or earlier version) and its bytes; 404 as for the record."""
        found = find_file(f, self._value(call, entity, record_id, f), file_id)
        if found is None:
            raise NotFoundError(
                Translatable("No file '%(file)s' in field '%(field)s'.", file=file_id, field=f.name)
            )
        key = file_key(entity.name, record_id, f.name, file_id)
        try:
            return found, self.store.chunks(call.tenant, key)
        except FileNotFoundError:
            raise NotFoundError(
                Translatable("The bytes of file '%(file)s' are missing.", file=file_id)
            ) from None

    # plumbing -------------------------------------------------------------------------
    def _connect(self, call: Call, *, write: bool = False) -> Any:
        return self.runtime.engines.tenant_connection(call.tenant, write=write)

    def _value(self, call: Call, entity: CompiledEntity, record_id: int, f: FieldDef) -> Any:
        with self._connect(call) as conn:
            require_reachable(call, conn, entity, record_id)
            row = record_service(call.rt).get(conn, entity, record_id)
        if row is None:
            raise NotFoundError(
                Translatable("No %(entity)s with id %(id)s.", entity=entity.name, id=record_id)
            )
        return row.get(f.name)

    def _save(
        self,
        call: Call,
        conn: Any,
        entity: CompiledEntity,
        record_id: int,
        values: dict[str, Any],
    ) -> dict[str, Any]:
        ctx = SaveContext(conn, call.member, self.runtime.clock.now())
        record = record_service(call.rt).store_values(ctx, entity, record_id, values)
        if record is None:
            raise NotFoundError(
                Translatable("No %(entity)s with id %(id)s.", entity=entity.name, id=record_id)
            )
        return record

    def _add(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        f: FieldDef,
        source: BinaryIO,
        new: NewFile,
        expected_version: int | None = None,
    ) -> RecordBody:
        file_id = new_file_id()
        key = file_key(entity.name, record_id, f.name, file_id)
        with self._connect(call) as conn:
            require_reachable(call, conn, entity, record_id)
        self.store.put(call.tenant, key, source)
        try:
            service = record_service(call.rt)
            with self._connect(call, write=True) as conn, conn.begin():
                stored = service.get(conn, entity, record_id, for_update=True)
                if stored is None:
                    raise NotFoundError(
                        Translatable(
                            "No %(entity)s with id %(id)s.", entity=entity.name, id=record_id
                        )
                    )
                _check_version(entity, stored, expected_version)
                added = file_json(file_id, new, self.runtime.clock.now(), call.identity.user_id)
                value, dropped = with_upload(f, stored.get(f.name), added)
                record = self._save(call, conn, entity, record_id, {f.name: value})
        except BaseException:
            self.store.delete(call.tenant, key)
            raise
        self._drop(call, entity, record_id, f, dropped)
        return RecordBody(visible_record(call, entity, record), int(record["version"]))

    def _drop(
        self, call: Call, entity: CompiledEntity, record_id: int, f: FieldDef, ids: list[str]
    ) -> None:
        for file_id in ids:
            self.store.delete(call.tenant, file_key(entity.name, record_id, f.name, file_id))


def _check_version(
    entity: CompiledEntity, stored: dict[str, Any] | None, expected: int | None
) -> None:
    """Refuse a save made from a stale version of the record (409), as updates do."""
    if stored is None or expected is None or int(stored["version"]) == expected:
        return
    current = int(stored["version"])
    raise ConflictError(
        f"Version {expected} of this {entity.name} is out of date; the current "
        f"version is {current}. Reload it and apply your change again.",
        current_version=current,
    )


def _sniffed(head: bytes, name: str, upload: ReceivedFile | None) -> str:
    """The sniffed type; 415 (and the temporary file removed) when refused."""
    try:
        return sniff(head, name)
    except RefusedContentError as exc:
        if upload is not None:
            upload.discard()
        raise UploadRefusedError(415, str(exc)) from exc


__all__ = ["MIB", "FilesService"]
