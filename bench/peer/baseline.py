"""Hand-written baseline for the peer workload: the `item` endpoints without the metadata layer.

It serves what ``python -m bench run`` asks of Trellis, on the very tables Trellis published
for ``bench/peer/package`` (same columns, same ``_changes`` history row per record):

* ``POST /t/{tenant}/api/item``: check the JSON by hand, insert the row and its change row in
  one transaction, answer 201 with the record;
* ``POST /t/{tenant}/api/item/bulk``: check every item, then one INSERT for the rows and one for
  their change rows, answer 200 ``{"items": [...], "created": n, "updated": 0, "failed": 0}``;
* ``GET /t/{tenant}/api/item/{id}``: one ``SELECT``;
* ``GET /t/{tenant}/api/item?filter=...&sort=...&limit=...&cursor=...``: the keyset page plus
  the count capped at 1,001 rows. The filter is a conjunction of ``field op literal``
  (``>``, ``>=``, ``<``, ``<=``, ``==``, ``contains``); ``contains`` is the cheapest
  case-insensitive form a person would write: ``LIKE`` on SQLite (case-insensitive for ASCII),
  ``ILIKE`` on PostgreSQL.

Bearer tokens are checked as in bench/baseline_app.py (whose token check and connections
this reuses). Run: ``python -m bench.peer.baseline --port 8001 --data-dir DIR
[--database-url URL --schema-prefix P]``.
"""

from __future__ import annotations

import argparse
import base64
import re
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
import uvicorn
from litestar import Litestar, Request, Response, get, post

from bench.baseline_app import (
    CHANGES,
    Baseline,
    HttpError,
    answer,
    check_entity,
    error_answer,
    json_body,
    system_columns,
)

COUNT_CAP = 1000
DEFAULT_LIMIT, MAX_LIMIT, MAX_BULK = 50, 500, 1000
STRINGS = ("first_name", "last_name", "email")
FIELDS = (*STRINGS, "score", "client_created_at")
_MD = sa.MetaData()
ITEMS = sa.Table(
    "item",
    _MD,
    *system_columns(),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("email", sa.String(255)),
    sa.Column("score", sa.BigInteger()),
    sa.Column("client_created_at", sa.DateTime(timezone=True)),
)
COLUMNS = tuple(c.name for c in ITEMS.columns)
INT64 = 2**63
_CLAUSE = re.compile(
    r'\s*(?P<field>[a-z_]+)\s*(?P<op>>=|<=|==|>|<|contains)\s*(?P<value>"(?:[^"\\]|\\.)*"|-?\d+)\s*'
)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat().replace("+00:00", "Z")
    return value


def _record(row: Any) -> dict[str, Any]:
    return {name: _json_value(row[name]) for name in COLUMNS}


def check_item(data: Any) -> dict[str, Any]:
    """Check one create body by hand; returns the stored values or raises a 422."""
    if not isinstance(data, dict):
        raise HttpError(400, {"__all__": ["Each record must be a JSON object."]})
    values: dict[str, Any] = dict.fromkeys(FIELDS)
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key not in FIELDS:
            errors[key] = [f"Unknown field '{key}'."]
        elif value is None:
            continue
        elif key in STRINGS:
            if not isinstance(value, str) or len(value) > 255:
                errors[key] = ["Must be text of at most 255 characters."]
            values[key] = value
        elif key == "score":
            if isinstance(value, bool) or not isinstance(value, int) or not -INT64 <= value < INT64:
                errors[key] = ["Must be a whole number."]
            values[key] = value
        else:
            try:
                stamp = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                errors[key] = ["Enter a date and time."]
                continue
            values[key] = stamp.replace(tzinfo=stamp.tzinfo or UTC).astimezone(UTC)
    if errors:
        raise HttpError(422, errors)
    return values


def parse_filter(text: str, dialect: str) -> list[Any]:
    """``field op literal [and ...]`` into SQL conditions."""
    clauses: list[Any] = []
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _CLAUSE.fullmatch(part)
        if match is None or match["field"] not in FIELDS:
            raise HttpError(400, {"filter": [f"Cannot read '{part}'."]})
        column, op, raw = ITEMS.c[match["field"]], match["op"], match["value"]
        value = msgspec.json.decode(raw)
        if op == "contains":
            pattern = "%" + re.sub(r"([%_/])", r"/\1", str(value).lower()) + "%"
            like = column.ilike if dialect == "postgresql" else column.like
            clauses.append(like(pattern, escape="/"))
        else:
            clauses.append(
                {
                    ">": column > value,
                    ">=": column >= value,
                    "<": column < value,
                    "<=": column <= value,
                    "==": column == value,
                }[op]
            )
    return clauses


def _encode_cursor(value: Any, row_id: int) -> str:
    raw = msgspec.json.encode([value, row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[Any, int]:
    try:
        value, row_id = msgspec.json.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return value, int(row_id)
    except (ValueError, TypeError, msgspec.DecodeError):
        raise HttpError(400, {"cursor": ["Not a cursor of this list."]}) from None


def page_query(sort: str | None, cursor: str | None) -> tuple[list[Any], list[Any], str | None]:
    """ORDER BY and keyset conditions for ``sort`` (one numeric field, or none) and a cursor."""
    key = (sort or "").strip()
    name = key.lstrip("+-")
    if key and (name not in ("score", "id")):
        raise HttpError(400, {"sort": [f"The baseline sorts by score or id, not '{key}'."]})
    if not key or name == "id":
        order = [ITEMS.c.id.desc() if key.startswith("-") else ITEMS.c.id]
        after: list[Any] = []
        if cursor:
            _, last_id = _decode_cursor(cursor)
            after = [ITEMS.c.id < last_id if key.startswith("-") else ITEMS.c.id > last_id]
        return order, after, None
    desc = key.startswith("-")
    column = ITEMS.c[name]
    order = [column.desc().nulls_first() if desc else column.asc().nulls_last(), ITEMS.c.id]
    if not cursor:
        return order, [], name
    value, last_id = _decode_cursor(cursor)
    tie = sa.and_(column == value, ITEMS.c.id > last_id)
    if value is None:  # nulls sort first descending, last ascending
        beyond = column.is_not(None) if desc else sa.false()
        tie = sa.and_(column.is_(None), ITEMS.c.id > last_id)
    else:
        beyond = column < value if desc else sa.or_(column > value, column.is_(None))
    return order, [sa.or_(beyond, tie)], name


class PeerBaseline(Baseline):
    """The four operations over the peer `item` table."""

    def __init__(self, data_dir: str, database_url: str | None, schema_prefix: str) -> None:
        super().__init__(data_dir, database_url, schema_prefix)
        self.dialect = self.tenant_engine.dialect.name

    def _stamp(self, values: dict[str, Any], user_id: int, now: datetime) -> dict[str, Any]:
        values.update(
            created_at=now,
            created_by=user_id,
            updated_at=now,
            updated_by=user_id,
            owner_id=user_id,
            version=1,
            deleted_at=None,
        )
        return values

    def _change(self, row: dict[str, Any], now: datetime, user_id: int) -> dict[str, Any]:
        changes = {k: [None, _json_value(row[k])] for k in FIELDS if row[k] is not None}
        return {
            "entity": "item",
            "record_id": row["id"],
            "op": "create",
            "at": now,
            "user_id": user_id,
            "version": 1,
            "changes": changes,
        }

    def create(self, tenant: str, user_id: int, data: Any) -> dict[str, Any]:
        """Insert one row and its change row in one transaction."""
        now = datetime.now(UTC)
        row = self._stamp(check_item(data), user_id, now)
        with self.connect(tenant, write=True) as conn, conn.begin():
            key = conn.execute(ITEMS.insert(), row).inserted_primary_key
            if key is None:
                raise RuntimeError("the database returned no id for the new item")
            row["id"] = int(key[0])
            conn.execute(CHANGES.insert(), self._change(row, now, user_id))
        return _record(row)

    def bulk(self, tenant: str, user_id: int, data: Any) -> dict[str, Any]:
        """Check every item, then one INSERT for the rows and one for their change rows."""
        if not isinstance(data, list) or len(data) > MAX_BULK:
            raise HttpError(400, {"__all__": [f"Send a JSON array of at most {MAX_BULK}."]})
        now = datetime.now(UTC)
        rows = [self._stamp(check_item(item), user_id, now) for item in data]
        with self.connect(tenant, write=True) as conn, conn.begin():
            ids = conn.execute(
                ITEMS.insert().returning(ITEMS.c.id, sort_by_parameter_order=True), rows
            )
            for row, (new_id,) in zip(rows, ids, strict=True):
                row["id"] = int(new_id)
            if rows:
                conn.execute(CHANGES.insert(), [self._change(r, now, user_id) for r in rows])
        items = [
            {"index": i, "status": "created", "id": r["id"], "record": _record(r)}
            for i, r in enumerate(rows)
        ]
        return {"items": items, "created": len(rows), "updated": 0, "failed": 0}

    def read_one(self, tenant: str, record_id: int) -> dict[str, Any] | None:
        """The live row ``record_id`` or None."""
        query = sa.select(ITEMS).where(ITEMS.c.id == record_id, ITEMS.c.deleted_at.is_(None))
        with self.connect(tenant) as conn:
            row = conn.execute(query).first()
        return _record(row._mapping) if row is not None else None

    def page(self, tenant: str, params: Any) -> dict[str, Any]:
        """One keyset page plus the capped count."""
        where = [ITEMS.c.deleted_at.is_(None)]
        if params.get("filter"):
            where += parse_filter(params["filter"], self.dialect)
        try:
            limit = int(params.get("limit") or DEFAULT_LIMIT)
        except ValueError:
            raise HttpError(400, {"limit": ["Not a whole number."]}) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise HttpError(400, {"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
        order, after, key = page_query(params.get("sort"), params.get("cursor"))
        names = [ITEMS.c[n] for n in params["fields"].split(",")] if params.get("fields") else []
        columns = [ITEMS.c.id, *names] if names else list(ITEMS.columns)
        page = sa.select(*columns).where(*where, *after).order_by(*order).limit(limit + 1)
        capped = sa.select(ITEMS.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
        with self.connect(tenant) as conn:
            rows = [dict(r._mapping) for r in conn.execute(page)]
            count = int(conn.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one())
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = _encode_cursor(last[key] if key else None, last["id"])
        items = [{k: _json_value(v) for k, v in r.items()} for r in rows]
        return {
            "items": items,
            "next_cursor": next_cursor,
            "count": count,
            "count_exact": count <= COUNT_CAP,
        }


def create_app(baseline: PeerBaseline) -> Litestar:
    """The Litestar application over ``baseline``."""

    @post("/t/{tenant:str}/api/{entity:str}")
    async def create_record(
        request: Request[Any, Any, Any], tenant: str, entity: str
    ) -> Response[bytes]:
        user_id = baseline.user_for(request.headers.get("authorization"), tenant)
        check_entity(entity)
        return answer(201, baseline.create(tenant, user_id, await json_body(request)))

    @post("/t/{tenant:str}/api/{entity:str}/bulk")
    async def bulk_records(
        request: Request[Any, Any, Any], tenant: str, entity: str
    ) -> Response[bytes]:
        user_id = baseline.user_for(request.headers.get("authorization"), tenant)
        check_entity(entity)
        return answer(200, baseline.bulk(tenant, user_id, await json_body(request)))

    @get("/t/{tenant:str}/api/{entity:str}/{record_id:str}")
    async def read_record(
        request: Request[Any, Any, Any], tenant: str, entity: str, record_id: str
    ) -> Response[bytes]:
        baseline.user_for(request.headers.get("authorization"), tenant)
        check_entity(entity)
        record = baseline.read_one(tenant, int(record_id)) if record_id.isdigit() else None
        if record is None:
            raise HttpError(404, {"__all__": [f"No item with id {record_id}."]})
        return answer(200, record)

    @get("/t/{tenant:str}/api/{entity:str}")
    async def list_records(
        request: Request[Any, Any, Any], tenant: str, entity: str
    ) -> Response[bytes]:
        baseline.user_for(request.headers.get("authorization"), tenant)
        check_entity(entity)
        return answer(200, baseline.page(tenant, request.query_params))

    return Litestar(
        route_handlers=[create_record, bulk_records, read_record, list_records],
        exception_handlers={HttpError: error_answer},
        openapi_config=None,
    )


def main() -> None:
    """Serve the baseline with uvicorn, one process, like ``trellis serve``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--schema-prefix", default="")
    args = parser.parse_args()
    app = create_app(PeerBaseline(args.data_dir, args.database_url, args.schema_prefix))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
