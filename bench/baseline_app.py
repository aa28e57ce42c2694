"""Hand-written baseline for bench_api.py: the `item` endpoints without the metadata layer.

It serves the same three operations as Trellis on the same table, with the same SQL:

* ``POST /t/{tenant}/api/item`` -- check the JSON by hand, insert the row with the standard
  columns plus one ``_changes`` row in one transaction, answer 201 with the record;
* ``GET /t/{tenant}/api/item/{id}`` -- ``SELECT * ... WHERE id = ? AND deleted_at IS NULL``;
* ``GET /t/{tenant}/api/item?filter=...&sort=...&limit=...`` -- the page query
  (``ORDER BY ... NULLS FIRST/LAST, id LIMIT n + 1``) plus the count capped at 1,001 rows.

The tables are declared by hand (same column types as the platform generates), the filter
is a tiny hand-written parser for conjunctions of ``field <op> literal``, and bearer tokens
are checked against the system database's ``api_tokens`` table (SHA-256, cached 2 s) as the
platform does. Engines come from ``trellis.platform.db.engines`` so SQLite pragmas and
``BEGIN IMMEDIATE`` for writers are the same.

Run: ``python bench/baseline_app.py --port 8001 --data-dir DIR [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import time
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
import uvicorn
from litestar import Litestar, Request, Response, get, post

from trellis.platform.db.engines import WRITE_OPTION, postgres_engine, sqlite_engine

JSON = "application/json"
TOKEN_CACHE_SECONDS = 2.0
COUNT_CAP = 1000
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
STATUSES = frozenset({"open", "won", "lost"})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DECIMAL_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
CENT = Decimal("0.01")
INT64 = 2**63

# Tables, declared by hand -------------------------------------------------------------
_MD = sa.MetaData()
_BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def system_columns() -> list[sa.Column[Any]]:
    """The columns every record table of the platform has, declared by hand."""
    return [
        sa.Column("id", _BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.BigInteger()),
        sa.Column("owner_id", sa.BigInteger()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    ]


ITEMS = sa.Table(
    "item",
    _MD,
    *system_columns(),
    sa.Column("name", sa.String(80)),
    sa.Column("amount", sa.Numeric(20, 2)),
    sa.Column("status", sa.String(64)),
    sa.Column("score", sa.BigInteger()),
    sa.Column("due", sa.Date()),
    sa.Column("email", sa.String(254)),
)
CHANGES = sa.Table(
    "_changes",
    _MD,
    sa.Column("id", _BIGINT_PK, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("record_id", sa.BigInteger(), nullable=False),
    sa.Column("op", sa.String(10), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user_id", sa.BigInteger()),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("changes", sa.JSON(), nullable=False),
)
_SYS = sa.MetaData()
TENANTS = sa.Table(
    "tenants",
    _SYS,
    sa.Column("id", sa.BigInteger(), primary_key=True),
    sa.Column("name", sa.String),
)
TOKENS = sa.Table(
    "api_tokens",
    _SYS,
    sa.Column("id", sa.BigInteger(), primary_key=True),
    sa.Column("tenant_id", sa.BigInteger()),
    sa.Column("user_id", sa.BigInteger()),
    sa.Column("token_hash", sa.String(64)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)
FIELDS = ("name", "amount", "status", "score", "due", "email")
COLUMNS = tuple(c.name for c in ITEMS.columns)


class HttpError(Exception):
    """An error answer: status and ``{"errors": {...}}`` body."""

    def __init__(self, status: int, errors: dict[str, list[str]]) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors


# JSON ---------------------------------------------------------------------------------
def _json_value(value: Any) -> Any:
    """Stored value -> JSON: datetimes UTC with Z, dates ISO, decimals with 2 places."""
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def _record(row: Any) -> dict[str, Any]:
    return {name: _json_value(row[name]) for name in COLUMNS}


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[bytes]:
    """A JSON answer."""
    return Response(
        content=msgspec.json.encode(body), status_code=status, media_type=JSON, headers=headers
    )


def check_entity(name: str) -> None:
    """The baselines serve one entity, ``item``; any other is a 404."""
    if name != "item":
        raise HttpError(404, {"__all__": [f"No entity '{name}'."]})


async def json_body(request: Request[Any, Any, Any]) -> Any:
    """The request's JSON body, or a 400."""
    try:
        return msgspec.json.decode(await request.body())
    except msgspec.DecodeError as exc:
        raise HttpError(400, {"__all__": [f"The body is not valid JSON: {exc}"]}) from None


def error_answer(_request: Request[Any, Any, Any], exc: HttpError) -> Response[bytes]:
    """The exception handler of ``HttpError``."""
    return answer(exc.status, {"errors": exc.errors})


# input checks -----------------------------------------------------------------------------
def _check_item(data: Any) -> dict[str, Any]:
    """Check a create body by hand; returns stored values or raises a 422."""
    if not isinstance(data, dict):
        raise HttpError(400, {"__all__": ["The body must be a JSON object."]})
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in FIELDS and key != "owner_id":
            errors[key] = [f"Unknown field '{key}'."]
            continue
        problem = None
        if value is None:
            values[key] = None
        elif key == "name":
            if not isinstance(value, str) or len(value) > 80:
                problem = "Must be text of at most 80 characters."
            else:
                values[key] = value
        elif key == "amount":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float | str)
                or (isinstance(value, str) and not DECIMAL_TEXT.match(value))
            ):
                problem = "Must be a number."
            else:
                try:
                    number = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
                except InvalidOperation:
                    number = Decimal(-1)
                if not number.is_finite() or number < 0 or number >= 10**18:
                    problem = "Must be at least 0."
                else:
                    values[key] = number
        elif key == "status":
            if value not in STATUSES:
                problem = "Not an option."
            else:
                values[key] = value
        elif key in ("score", "owner_id"):
            if isinstance(value, bool) or not isinstance(value, int) or not -INT64 <= value < INT64:
                problem = "Must be a whole number."
            else:
                values[key] = value
        elif key == "due":
            try:
                values[key] = date.fromisoformat(value)
            except (TypeError, ValueError):
                problem = "Enter a date as YYYY-MM-DD."
        elif key == "email":
            if not isinstance(value, str) or len(value) > 254 or not EMAIL.match(value):
                problem = "Enter a valid email address."
            else:
                values[key] = value
        if problem:
            errors[key] = [problem]
    name = values.get("name")
    if "name" not in errors and (not isinstance(name, str) or not name.strip()):
        errors["name"] = ["This field is required."]
    if errors:
        raise HttpError(422, errors)
    return values


# list parameters ----------------------------------------------------------------------------
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|>=|<=|>|<)'
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
_OPS = {
    "==": lambda c, v: c == v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
}


def _literal(kind: str, text: str) -> Any:
    """A typed bound parameter, typed as the rule language's SQL compiler types it."""
    if kind == "str":
        return sa.literal(msgspec.json.decode(text), sa.String())
    if kind == "num" and "." not in text:
        return sa.literal(int(text), sa.BigInteger())
    if kind == "num":
        return sa.literal(Decimal(text), sa.Numeric())
    raise HttpError(400, {"filter": [f"'{text}' is not a value."]})


def parse_filter(text: str) -> list[Any]:
    """Parse ``field op literal [and field op literal ...]`` into SQL conditions.

    ``!=`` is null-safe (an empty value differs from any literal), as in the rule language;
    the other comparisons are false when the column is empty, which SQL does by itself.
    """
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise HttpError(400, {"filter": [f"column {pos + 1}: unexpected text."]})
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    clauses: list[Any] = []
    for i in range(0, len(tokens), 4):
        part = tokens[i : i + 4]
        if len(part) < 3 or part[0][0] != "word" or part[1][0] != "op" or part[2][0] == "op":
            raise HttpError(400, {"filter": ["Expected: field op value [and ...]."]})
        if len(part) == 4 and part[3] != ("word", "and"):
            raise HttpError(400, {"filter": ["Only 'and' joins conditions here."]})
        if part[0][1] not in FIELDS:
            raise HttpError(400, {"filter": [f"Unknown field '{part[0][1]}'."]})
        column = ITEMS.c[part[0][1]]
        value = _literal(*part[2])
        if part[1][1] == "!=":
            clauses.append(sa.or_(column != value, column.is_(None)))
        else:
            clauses.append(_OPS[part[1][1]](column, value))
    if len(tokens) % 4 == 0 and tokens:
        raise HttpError(400, {"filter": ["The filter ends with 'and'."]})
    return clauses


def parse_sort(text: str | None) -> list[tuple[str, bool]]:
    """Parse ``-amount,name`` into (column, descending) pairs."""
    keys: list[tuple[str, bool]] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        name = part.lstrip("+-")
        if name not in COLUMNS:
            raise HttpError(400, {"sort": [f"Unknown field '{name}'."]})
        if name != "id":
            keys.append((name, part.startswith("-")))
    return keys


def _cursor(keys: list[tuple[str, bool]], row: dict[str, Any]) -> str:
    values = []
    for name, _ in keys:
        value = row[name]
        if isinstance(value, date | datetime):
            value = {"t": value.isoformat()}
        elif isinstance(value, Decimal):
            value = {"d": str(value)}
        values.append(value)
    payload = {"s": [("-" if d else "") + n for n, d in keys], "v": values, "id": row["id"]}
    return base64.urlsafe_b64encode(msgspec.json.encode(payload)).decode().rstrip("=")


# the application -------------------------------------------------------------------------------
class Baseline:
    """Engines, the token cache and the three operations."""

    def __init__(self, data_dir: str, database_url: str | None, schema_prefix: str) -> None:
        self.system: sa.Engine
        self.tenant_engine: sa.Engine
        if database_url:
            engine = postgres_engine(database_url)
            self.system, self.tenant_engine = engine, engine
            self.system_options: dict[str, Any] = {
                "schema_translate_map": {None: f"{schema_prefix}trellis"}
            }
            self.tenant_schema: str | None = f"{schema_prefix}t_"
        else:
            root = Path(data_dir)
            self.system = sqlite_engine(root / "system.db")
            self.tenant_engine = sqlite_engine(root / "tenants" / "bench.db")
            self.system_options = {}
            self.tenant_schema = None
        self.tokens: dict[str, tuple[tuple[int, str, datetime | None] | None, float]] = {}

    def connect(self, tenant: str, *, write: bool = False) -> sa.Connection:
        """A connection to the tenant's data (BEGIN IMMEDIATE on SQLite when writing)."""
        options: dict[str, Any] = {WRITE_OPTION: write}
        if self.tenant_schema is not None:
            options["schema_translate_map"] = {None: self.tenant_schema + tenant.replace("-", "_")}
        return self.tenant_engine.connect().execution_options(**options)

    def user_for(self, header: str | None, tenant: str) -> int:
        """The user id of a valid ``Authorization: Bearer`` header for ``tenant`` or a 401."""
        scheme, _, token = (header or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HttpError(401, {"__all__": ["Send 'Authorization: Bearer <token>'."]})
        now = time.monotonic()
        hit = self.tokens.get(token)
        if hit is not None and now - hit[1] < TOKEN_CACHE_SECONDS:
            found = hit[0]
        else:
            digest = hashlib.sha256(token.encode()).hexdigest()
            query = (
                sa.select(TOKENS.c.user_id, TENANTS.c.name, TOKENS.c.expires_at)
                .join(TENANTS, TENANTS.c.id == TOKENS.c.tenant_id)
                .where(TOKENS.c.token_hash == digest, TOKENS.c.revoked_at.is_(None))
            )
            with self.system.connect().execution_options(**self.system_options) as conn:
                row = conn.execute(query).first()
            found = (int(row.user_id), row.name, row.expires_at) if row else None
            self.tokens[token] = (found, now)
        if found is None or found[1] != tenant:
            raise HttpError(401, {"__all__": ["The token is unknown, revoked or expired."]})
        expires = found[2]
        if expires is not None and expires.replace(tzinfo=expires.tzinfo or UTC) <= datetime.now(
            UTC
        ):
            raise HttpError(401, {"__all__": ["The token is unknown, revoked or expired."]})
        return found[0]

    def create(self, tenant: str, user_id: int, data: Any) -> dict[str, Any]:
        """Insert a row and its change row in one transaction; returns the record."""
        values = _check_item(data)
        now = datetime.now(UTC)
        row: dict[str, Any] = dict.fromkeys(FIELDS)
        row.update(values)
        row.update(
            created_at=now,
            created_by=user_id,
            updated_at=now,
            updated_by=user_id,
            owner_id=values.get("owner_id", user_id),
            version=1,
            deleted_at=None,
        )
        changes = {k: [None, _json_value(row[k])] for k in FIELDS if row[k] is not None}
        with self.connect(tenant, write=True) as conn, conn.begin():
            result = conn.execute(ITEMS.insert(), row)
            key = result.inserted_primary_key
            if key is None:
                raise RuntimeError("the database returned no id for the new item")
            row["id"] = int(key[0])
            conn.execute(
                CHANGES.insert(),
                {
                    "entity": "item",
                    "record_id": row["id"],
                    "op": "create",
                    "at": now,
                    "user_id": user_id,
                    "version": 1,
                    "changes": changes,
                },
            )
        return _record(row)

    def read(self, tenant: str, record_id: int) -> dict[str, Any] | None:
        """The live row ``record_id`` or None."""
        query = sa.select(ITEMS).where(ITEMS.c.id == record_id, ITEMS.c.deleted_at.is_(None))
        with self.connect(tenant) as conn:
            row = conn.execute(query).first()
        return _record(row._mapping) if row is not None else None

    def list(self, tenant: str, params: Any) -> dict[str, Any]:
        """One page plus the capped count."""
        where = [ITEMS.c.deleted_at.is_(None)]
        if params.get("filter"):
            where += parse_filter(params["filter"])
        keys = parse_sort(params.get("sort"))
        try:
            limit = int(params.get("limit") or DEFAULT_LIMIT)
        except ValueError:
            raise HttpError(400, {"limit": ["Not a whole number."]}) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise HttpError(400, {"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
        if params.get("cursor"):
            raise HttpError(400, {"cursor": ["The baseline serves first pages only."]})
        order = [
            ITEMS.c[n].desc().nulls_first() if d else ITEMS.c[n].asc().nulls_last() for n, d in keys
        ]
        page = sa.select(ITEMS).where(*where).order_by(*order, ITEMS.c.id).limit(limit + 1)
        capped = sa.select(ITEMS.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
        with self.connect(tenant) as conn:
            rows = [dict(r._mapping) for r in conn.execute(page)]
            count = int(conn.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one())
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = _cursor(keys, rows[-1])
        return {
            "items": [_record(r) for r in rows],
            "next_cursor": next_cursor,
            "count": count,
            "count_exact": count <= COUNT_CAP,
        }


def create_app(baseline: Baseline) -> Litestar:
    """The Litestar application over ``baseline``."""

    @post("/t/{tenant:str}/api/{entity:str}")
    async def create_record(
        request: Request[Any, Any, Any], tenant: str, entity: str
    ) -> Response[bytes]:
        user_id = baseline.user_for(request.headers.get("authorization"), tenant)
        check_entity(entity)
        record = baseline.create(tenant, user_id, await json_body(request))
        return answer(201, record, {"ETag": '"1"'})

    @get("/t/{tenant:str}/api/{entity:str}/{record_id:str}")
    async def read_record(
        request: Request[Any, Any, Any], tenant: str, entity: str, record_id: str
    ) -> Response[bytes]:
        baseline.user_for(request.headers.get("authorization"), tenant)
        check_entity(entity)
        record = baseline.read(tenant, int(record_id)) if record_id.isdigit() else None
        if record is None:
            raise HttpError(404, {"__all__": [f"No item with id {record_id}."]})
        return answer(200, record, {"ETag": f'"{record["version"]}"'})

    @get("/t/{tenant:str}/api/{entity:str}")
    async def list_records(
        request: Request[Any, Any, Any], tenant: str, entity: str
    ) -> Response[bytes]:
        baseline.user_for(request.headers.get("authorization"), tenant)
        check_entity(entity)
        return answer(200, baseline.list(tenant, request.query_params))

    return Litestar(
        route_handlers=[create_record, read_record, list_records],
        exception_handlers={HttpError: error_answer},
        openapi_config=None,
    )


def main() -> None:
    """Serve the baseline with uvicorn (one process, like ``trellis serve``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--schema-prefix", default="")
    parser.add_argument("--http", default="auto", choices=("auto", "httptools", "h11"))
    parser.add_argument("--loop", default="auto", choices=("auto", "uvloop", "asyncio"))
    args = parser.parse_args()
    app = create_app(Baseline(args.data_dir, args.database_url, args.schema_prefix))
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="warning", http=args.http, loop=args.loop
    )


if __name__ == "__main__":
    main()
