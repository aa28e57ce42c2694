"""Where user ids sit in a tenant's rows, and one walk over them for backup and restore.

A user id appears in the records' ``owner_id``, ``created_by``, ``updated_by`` and
fields of type ``user``; in the user columns of internal tables (:data:`USER_COLUMNS`);
and as field values inside the JSON trails that hold a record's values by field name
(:data:`FIELD_MAPS`): the history's change sets, the rule runs' changes, a pending
approval's data and a merge's ``survivor_before``. Only the keys that name a user field
of the row's entity (or a standard user column) are read there. A comment's
``mentions`` holds ``[token, user id]`` pairs (:data:`PAIRS`).

The backup walks rows to learn which users the tenant refers to (:class:`UserRefs`);
the restore walks them to map each id to the target installation's
(:func:`row_mapper`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel, FieldType
from trellis.platform.db.business_tables import MERGES_TABLE
from trellis.platform.db.tables import (
    APPROVALS_TABLE,
    CHANGES_TABLE,
    NOTIFICATIONS_TABLE,
    RULE_RUNS_TABLE,
)
from trellis.platform.db.view_tables import COMMENTS_TABLE

#: Columns of internal tables and standard record columns that hold a user id.
USER_COLUMNS = frozenset(
    {"user_id", "actor_id", "owner_id", "created_by", "updated_by", "requested_by", "decided_by"}
)
#: Internal table -> its JSON column holding ``{field: value}`` (or ``{field: [old, new]}``)
#: of the row's ``entity``.
FIELD_MAPS = {
    CHANGES_TABLE: "changes",
    RULE_RUNS_TABLE: "changes",
    APPROVALS_TABLE: "data",
    MERGES_TABLE: "survivor_before",
}
#: Internal table -> its JSON column of ``[token, user id]`` pairs (a comment's mentions).
PAIRS = {COMMENTS_TABLE: "mentions"}
_STANDARD = ("owner_id", "created_by", "updated_by")
#: Columns the platform fills with the signed-in person acting (never a value a user
#: typed): whoever they name did something in the tenant.
_ACTING = frozenset({"created_by", "updated_by", "requested_by", "decided_by", "actor_id"})

#: Maps one user id (None stays None); may record it, or return another id or None.
IdMap = Callable[[Any], Any]
Rewrite = Callable[[dict[str, Any]], dict[str, Any] | None]


def user_fields(model: AppModel) -> dict[str, frozenset[str]]:
    """Entity -> the names of its columns that hold a user id (standard ones included)."""
    return {
        name: frozenset(
            {*_STANDARD, *(f.name for f in e.fields.values() if f.type == FieldType.USER)}
        )
        for name, e in model.entities.items()
    }


def _columns(model: AppModel, table: sa.Table, users: Mapping[str, frozenset[str]]) -> list[str]:
    own = set(users.get(table.name, ()))
    if table.name.startswith("_"):
        own |= USER_COLUMNS
    return [c.name for c in table.columns if c.name in own]


def _map_values(values: dict[str, Any], fields: frozenset[str], fn: IdMap) -> dict[str, Any]:
    out = dict(values)
    for key, value in values.items():
        if key in fields:
            out[key] = [fn(v) for v in value] if isinstance(value, list) else fn(value)
    return out


def _map_blob(blob: Any, fields: frozenset[str], fn: IdMap) -> Any:
    """``blob`` (a dict, or JSON text of one) with its user fields mapped; the same
    object when nothing changed, so an unmapped text keeps its exact bytes."""
    parsed = blob
    if isinstance(blob, str):
        try:
            parsed = json.loads(blob)
        except ValueError:
            return blob
    if not isinstance(parsed, dict) or not fields.intersection(parsed):
        return blob
    mapped = _map_values(parsed, fields, fn)
    if mapped == parsed:
        return blob
    return json.dumps(mapped, default=str) if isinstance(blob, str) else mapped


def row_mapper(model: AppModel, table: sa.Table, fn: IdMap) -> Rewrite:
    """A function passing each user id of a row of ``table`` through ``fn``; it returns
    None when a column that cannot be empty became empty (the row cannot be kept)."""
    users = user_fields(model)
    columns = _columns(model, table, users)
    required = {c.name for c in table.columns if c.name in columns and not c.nullable}
    blob = FIELD_MAPS.get(table.name)
    pairs = PAIRS.get(table.name)

    def rewrite(row: dict[str, Any]) -> dict[str, Any] | None:
        for name in columns:
            if name in row:
                row[name] = fn(row[name])
                if row[name] is None and name in required:
                    return None
        if blob is not None and row.get(blob) is not None:
            fields = users.get(str(row.get("entity")), frozenset())
            row[blob] = _map_blob(row[blob], fields, fn)
        if pairs is not None and isinstance(row.get(pairs), list):
            row[pairs] = [
                [p[0], fn(p[1])] if isinstance(p, list) and len(p) == 2 else p for p in row[pairs]
            ]
        return row

    return rewrite


class UserRefs:
    """The user ids a backup's rows refer to, and the evidence that each one took part
    in the tenant: the ids that acted (authored a record, a change, an audit row …) and
    the e-mails the audit names as a member (``target`` ``user:<email>``)."""

    def __init__(self) -> None:
        self.referenced: set[int] = set()
        self.acted: set[int] = set()
        self.member_emails: set[str] = set()

    def rows(
        self, model: AppModel, table: sa.Table, rows: Iterable[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        """Pass ``rows`` of ``table`` through, noting their user ids."""
        acting = {c.name for c in table.columns if c.name in _ACTING}
        if table.name.startswith("_") and table.name != NOTIFICATIONS_TABLE:
            acting.add("user_id")  # the author (of a change, a comment …), not a recipient

        def note(value: Any) -> Any:
            if isinstance(value, int) and not isinstance(value, bool):
                self.referenced.add(value)
            return value

        mapper = row_mapper(model, table, note)
        mentions = PAIRS.get(table.name)
        for row in rows:
            mapper(row)  # ``note`` returns each value as it is: the row is unchanged
            values = [row.get(name) for name in acting]
            if mentions is not None and isinstance(row.get(mentions), list):
                # resolved among the tenant's members when the comment was posted
                values += [p[1] for p in row[mentions] if isinstance(p, list) and len(p) == 2]
            for value in values:
                if isinstance(value, int) and not isinstance(value, bool):
                    self.acted.add(value)
            yield row

    def audit(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Pass audit rows through, noting their actors and the members they name."""
        for row in rows:
            actor = row.get("actor_user_id")
            if isinstance(actor, int) and not isinstance(actor, bool):
                self.referenced.add(actor)
                self.acted.add(actor)
            target = row.get("target")
            if isinstance(target, str) and target.startswith("user:"):
                self.member_emails.add(target[len("user:") :].strip().lower())
            yield row


__all__ = [
    "FIELD_MAPS",
    "PAIRS",
    "USER_COLUMNS",
    "IdMap",
    "Rewrite",
    "UserRefs",
    "row_mapper",
    "user_fields",
]
