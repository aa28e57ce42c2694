"""What a new metadata version does to the data already stored, counted row by row.

Nothing is ever dropped by a publish: a field or entity the new version lacks is
*archived* (its column or table stays, hidden from the app) and comes back with its
values when a later version declares it again. What a plan lists here:

* ``drop_field`` / ``drop_entity``: values or rows the app will no longer show;
* ``narrow_length``: text longer than a lowered ``max_length``;
* ``remove_option``: rows holding an enum option the new version removes;
* ``require_field``: live rows where a newly required field is empty;
* ``unique_over_duplicates``: live rows sharing a value of a field made unique (the
  unique index cannot be built over them, so the publish is refused until they are
  fixed, confirmed or not);
* ``convert_type``: stored values that do not convert to a field's new type
  (platform/drafts/conversion.py; refused like duplicates until corrected or emptied);
* ``restore_field`` / ``restore_entity``: archived data that comes back;
* ``rename_field`` / ``rename_entity``: renamed in place with ``renamed_from`` (data kept).

Every kind but the restores and renames is destructive when its count is above zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from trellis.metadata.model import AppModel, EntityDef, FieldDef
from trellis.metadata.model.local_text import Translatable
from trellis.platform.drafts.conversion import preview_conversion, type_changed
from trellis.platform.i18n import N_

DESTRUCTIVE_KINDS = frozenset(
    {
        "drop_field",
        "drop_entity",
        "narrow_length",
        "remove_option",
        "require_field",
        "unique_over_duplicates",
        "convert_type",
    }
)
#: Kinds no confirmation can apply: the database (or the app reading it) refuses them
#: until the data is fixed.
BLOCKING_KINDS = frozenset({"unique_over_duplicates", "convert_type"})
#: Kinds a rollback applies as an archive: they keep the data, so need no confirmation.
ARCHIVE_KINDS = frozenset({"drop_field", "drop_entity"})


@dataclass(frozen=True, slots=True)
class DataChange:
    """One change to stored data, with the number of values or rows it touches."""

    kind: str
    entity: str
    field: str | None
    count: int
    text: str

    @property
    def destructive(self) -> bool:
        """Whether it hides or invalidates stored data."""
        return self.kind in DESTRUCTIVE_KINDS and self.count > 0

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "entity": self.entity,
            "field": self.field,
            "count": self.count,
            "text": self.text,
        }


class _Counter:
    """Counts over the tenant's tables as they are in the database."""

    def __init__(self, conn: sa.Connection, schema: str | None) -> None:
        self.conn = conn
        self.schema = schema
        self._inspector = sa.inspect(conn)
        self._columns: dict[str, set[str]] = {}

    def columns(self, table: str) -> set[str]:
        if table not in self._columns:
            found = self._inspector.has_table(table, schema=self.schema)
            self._columns[table] = (
                {c["name"] for c in self._inspector.get_columns(table, schema=self.schema)}
                if found
                else set()
            )
        return self._columns[table]

    def count(self, table: str, *where: sa.ColumnElement[bool], column: str | None = None) -> int:
        names = {"deleted_at", *([column] if column else [])}
        if not names <= self.columns(table) | {"deleted_at"}:
            return 0
        t = sa.table(table, *(sa.column(n) for n in names), schema=self.schema)
        query = sa.select(sa.func.count()).select_from(t).where(*where)
        return int(self.conn.execute(query).scalar() or 0)

    def duplicates(self, table: str, column: str) -> int:
        """Live rows whose non-empty ``column`` value another live row shares."""
        if column not in self.columns(table) or "deleted_at" not in self.columns(table):
            return 0
        t = sa.table(table, sa.column(column), sa.column("deleted_at"), schema=self.schema)
        live = t.c.deleted_at.is_(None)
        shared = (
            sa.select(t.c[column])
            .where(live, t.c[column].is_not(None))
            .group_by(t.c[column])
            .having(sa.func.count() > 1)
        )
        query = sa.select(sa.func.count()).where(live, t.c[column].in_(shared))
        return int(self.conn.execute(query).scalar() or 0)


#: Each counted noun, singular and plural (a change's text names its count with one).
_NOUNS = {
    "value": (N_("%(n)s value"), N_("%(n)s values")),
    "non-empty value": (N_("%(n)s non-empty value"), N_("%(n)s non-empty values")),
    "longer value": (N_("%(n)s longer value"), N_("%(n)s longer values")),
    "row": (N_("%(n)s row"), N_("%(n)s rows")),
    "live row": (N_("%(n)s live row"), N_("%(n)s live rows")),
    "archived row": (N_("%(n)s archived row"), N_("%(n)s archived rows")),
    "archived value": (N_("%(n)s archived value"), N_("%(n)s archived values")),
    "stored value": (N_("%(n)s stored value"), N_("%(n)s stored values")),
}


def _count(n: int, noun: str) -> str:
    """``1,234 rows`` / ``1 row`` (translatable)."""
    one, many = _NOUNS[noun]
    return Translatable(one if n == 1 else many, n=f"{n:,}")


def _back(n: int) -> str:
    return Translatable("comes back") if n == 1 else Translatable("come back")


def _filled(name: str) -> sa.ColumnElement[bool]:
    col: sa.ColumnClause[object] = sa.column(name)
    return sa.and_(col.is_not(None), sa.cast(col, sa.Text) != "")


def _removed_fields(
    counter: _Counter, entity: EntityDef, new: EntityDef, rollback: bool
) -> list[DataChange]:
    found = []
    for name in sorted(set(entity.fields) - set(new.fields)):
        if name not in counter.columns(entity.name):
            continue
        n = counter.count(entity.name, _filled(name), column=name)
        text = (
            Translatable(
                "archives `%(field)s` of %(entity)s: %(count)s kept, hidden until restored",
                field=name,
                entity=entity.name,
                count=_count(n, "value"),
            )
            if rollback
            else Translatable(
                "drops `%(field)s` of %(entity)s: %(count)s",
                field=name,
                entity=entity.name,
                count=_count(n, "non-empty value"),
            )
        )
        found.append(DataChange("drop_field", entity.name, name, n, text))
    return found


def _changed_fields(counter: _Counter, old: EntityDef, new: EntityDef) -> list[DataChange]:
    found = []
    table = new.name
    live = sa.column("deleted_at").is_(None)
    for name in sorted(set(old.fields) & set(new.fields)):
        was, now = old.fields[name], new.fields[name]
        if name not in counter.columns(table):
            continue
        col: sa.ColumnClause[object] = sa.column(name)
        if now.max_length is not None and (was.max_length or 10**9) > now.max_length:
            n = counter.count(table, sa.func.length(col) > now.max_length, column=name)
            text = Translatable(
                "narrows `%(field)s` of %(entity)s to %(max)s characters: %(count)s",
                field=name,
                entity=table,
                max=now.max_length,
                count=_count(n, "longer value"),
            )
            found.append(DataChange("narrow_length", table, name, n, text))
        if removed := sorted(set(was.options) - set(now.options)):
            n = counter.count(table, col.in_(removed), column=name)
            options = ", ".join(removed)
            text = Translatable(
                "removes options %(options)s of `%(field)s` of %(entity)s: used by %(count)s",
                options=options,
                field=name,
                entity=table,
                count=_count(n, "row"),
            )
            found.append(DataChange("remove_option", table, name, n, text))
        if now.required and not was.required:
            n = counter.count(table, live, sa.or_(col.is_(None), _empty(col)), column=name)
            text = Translatable(
                "requires `%(field)s` of %(entity)s: %(count)s with it empty",
                field=name,
                entity=table,
                count=_count(n, "live row"),
            )
            found.append(DataChange("require_field", table, name, n, text))
        if now.unique and not was.unique and (n := counter.duplicates(table, name)):
            text = Translatable(
                "makes `%(field)s` of %(entity)s unique: %(count)s share a value "
                "with another; merge or correct them before publishing",
                field=name,
                entity=table,
                count=_count(n, "live row"),
            )
            found.append(DataChange("unique_over_duplicates", table, name, n, text))
        if type_changed(was, now):
            found.append(_conversion(counter, table, was, now))
    return found


def _conversion(counter: _Counter, table: str, was: FieldDef, now: FieldDef) -> DataChange:
    seen = preview_conversion(counter.conn, counter.schema, table, was, now, limit=0)
    text = Translatable(
        "changes `%(field)s` of %(entity)s from %(old)s to %(new)s; does not convert: "
        "%(count)s (correct or empty them before publishing)",
        field=now.name,
        entity=table,
        old=was.type.value,
        new=now.type.value,
        count=_count(seen.failed, "stored value"),
    )
    return DataChange("convert_type", table, now.name, seen.failed, text)


def _empty(col: sa.ColumnClause[object]) -> sa.ColumnElement[bool]:
    return sa.cast(col, sa.Text) == ""


def _added(counter: _Counter, old: AppModel | None, new: AppModel) -> list[DataChange]:
    found = []
    for entity in new.entities.values():
        existing = counter.columns(entity.name)
        if not existing:
            continue
        before = old.entities.get(entity.name) if old is not None else None
        former = old.entities.get(entity.renamed_from or "") if old is not None else None
        if before is None and former is not None:
            n = counter.count(entity.name)
            text = Translatable(
                "renames entity %(old)s to %(entity)s: %(count)s kept",
                old=former.name,
                entity=entity.name,
                count=_count(n, "row"),
            )
            found.append(DataChange("rename_entity", entity.name, None, n, text))
            before = former
        elif before is None:
            n = counter.count(entity.name)
            text = Translatable(
                "restores entity %(entity)s: %(count)s %(back)s",
                entity=entity.name,
                count=_count(n, "archived row"),
                back=_back(n),
            )
            found.append(DataChange("restore_entity", entity.name, None, n, text))
            continue
        live = sa.column("deleted_at").is_(None)
        for name in sorted(set(entity.fields) - set(before.fields)):
            old_name = entity.fields[name].renamed_from
            if old_name in before.fields and name in existing:
                n = counter.count(entity.name, _filled(name), column=name)
                text = Translatable(
                    "renames `%(old)s` of %(entity)s to `%(field)s`: %(count)s kept",
                    old=old_name,
                    entity=entity.name,
                    field=name,
                    count=_count(n, "value"),
                )
                found.append(DataChange("rename_field", entity.name, name, n, text))
            elif name in existing:
                n = counter.count(entity.name, _filled(name), column=name)
                text = Translatable(
                    "restores `%(field)s` of %(entity)s: %(count)s %(back)s",
                    field=name,
                    entity=entity.name,
                    count=_count(n, "archived value"),
                    back=_back(n),
                )
                found.append(DataChange("restore_field", entity.name, name, n, text))
            elif entity.fields[name].required:
                n = counter.count(entity.name, live)
                text = Translatable(
                    "requires new `%(field)s` of %(entity)s: %(count)s with it empty",
                    field=name,
                    entity=entity.name,
                    count=_count(n, "live row"),
                )
                found.append(DataChange("require_field", entity.name, name, n, text))
    return found


def data_changes(
    conn: sa.Connection,
    schema: str | None,
    old: AppModel | None,
    new: AppModel,
    *,
    rollback: bool = False,
) -> list[DataChange]:
    """Every change of ``old`` -> ``new`` that touches stored data, with its count."""
    counter = _Counter(conn, schema)
    found: list[DataChange] = []
    for entity in old.entities.values() if old is not None else ():
        replacement = new.entities.get(entity.name)
        if replacement is None:
            if counter.columns(entity.name):
                n = counter.count(entity.name)
                rows = _count(n, "row")
                text = (
                    Translatable(
                        "archives entity %(entity)s: %(count)s kept, hidden until restored",
                        entity=entity.name,
                        count=rows,
                    )
                    if rollback
                    else Translatable(
                        "drops entity %(entity)s: %(count)s", entity=entity.name, count=rows
                    )
                )
                found.append(DataChange("drop_entity", entity.name, None, n, text))
            continue
        found.extend(_removed_fields(counter, entity, replacement, rollback))
        found.extend(_changed_fields(counter, entity, replacement))
    found.extend(_added(counter, old, new))
    return found


__all__ = [
    "ARCHIVE_KINDS",
    "BLOCKING_KINDS",
    "DESTRUCTIVE_KINDS",
    "DataChange",
    "data_changes",
]
