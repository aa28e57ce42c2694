"""Standard columns that every entity table carries."""

from __future__ import annotations

from trellis.metadata.model.dsl_types import DslType

#: name -> (DSL type, description); order is the column order in tables and JSON.
STANDARD_COLUMNS: dict[str, tuple[DslType, str]] = {
    "id": (DslType.NUMBER, "Record id (BIGINT, assigned by the database)."),
    "created_at": (DslType.DATETIME, "When the record was created (UTC)."),
    "created_by": (DslType.NUMBER, "User id of the creator."),
    "updated_at": (DslType.DATETIME, "When the record last changed (UTC)."),
    "updated_by": (DslType.NUMBER, "User id of the last editor."),
    "owner_id": (DslType.NUMBER, "User id of the owner."),
    "version": (DslType.NUMBER, "Optimistic-lock version, starts at 1."),
    "deleted_at": (DslType.DATETIME, "Soft-delete time; deleted records are hidden."),
}

#: Standard columns a client may write (assigning an owner is an ordinary edit).
WRITABLE_STANDARD_COLUMNS = frozenset({"owner_id"})
