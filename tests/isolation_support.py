"""Two CRM tenants built from the compiled app's metadata, for the isolation matrix.

Every entity of the package gets one record per owner (the admin and one member of
every role the package declares) in tenant ``north``, and two rounds of them in
``south`` (so ``south`` holds ids ``north`` never had). Every text a record carries
holds a token ``<MARK>-<entity>-<n>`` naming the record, so any response can be
checked for what it shows: a ``south`` token in a ``north`` answer is a leak, and a
``north`` token must name a record the caller may read. Members have the same
accounts in both tenants (one user, two memberships).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from litestar.testing import TestClient

from trellis.metadata.model import FieldDef
from trellis.platform.publish import publish
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.passwords import hash_password

from helpers import Api
from ui_support import CRM

PASSWORD = "long enough secret"
HOME, OTHER = "north", "south"
MARKS = {HOME: "Nrq7Wx", OTHER: "Szv9Kp"}
#: Field types filled with a marked text.
TEXTS = ("string", "text")
#: Amounts: north stays under the CRM's "big deal" threshold, south goes over it (its
#: rules then write activities, rule runs and notifications).
AMOUNT = {HOME: "120", OTHER: "60000"}
SIMPLE: dict[str, Any] = {
    "integer": 3,
    "decimal": "2.5",
    "percent": "10",
    "boolean": False,
    "date": "2026-06-01",  # the first of a month: some packages (quotas) ask for it
    "datetime": "2026-06-01T09:00:00Z",
    "url": "https://example.test/",
    "phone": "+1 555 0100",
    "json": {},
}
#: Computed or framework-managed field types the generator never sends.
SKIPPED = ("autonumber", "user", "pipeline")
#: Fields left empty because a rule copies the record's text into another entity on
#: purpose: a ticket's survey answer becomes a survey_response (readable by marketing),
#: so filling it would move the ticket's marks where the matrix does not expect them.
COPIED_BY_RULES = frozenset({("ticket", "survey_rating")})
#: References left empty because a validation sums over the records naming them: every
#: generated return would name the same order line, and together they exceed its quantity.
SUMMED_BY_RULES = frozenset({("return_request", "order_line")})


def token_re(tenant: str) -> re.Pattern[str]:
    """The tokens of ``tenant``'s records: ``(entity, n)`` groups."""
    return re.compile(MARKS[tenant] + r"-([a-z_]+)-(\d+)")


@dataclass
class Member:
    """One member: user id, roles and a token for one tenant."""

    email: str
    user_id: int
    role: str
    api: Api


@dataclass
class Tenant:
    """One tenant with its admin, members by role and records by entity."""

    name: str
    admin: Api
    members: dict[str, Member] = field(default_factory=dict)
    #: entity -> id -> the record as the admin reads it.
    rows: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    #: token ``<entity>-<n>`` -> record id.
    tokens: dict[tuple[str, int], int] = field(default_factory=dict)
    made: int = 0

    def ids(self, entity: str) -> set[int]:
        return set(self.rows.get(entity, {}))


def entity_order(app: CompiledApp) -> list[str]:
    """Entities with referenced ones first (so references can point at made records)."""
    order: list[str] = []

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in order or name in stack:
            return
        for target in app.entities[name].references.values():
            if target in app.entities:
                visit(target, (*stack, name))
        order.append(name)

    for name in sorted(app.entities):
        visit(name, ())
    return order


def _workflow_fields(app: CompiledApp, entity: str) -> set[str]:
    return {w.field for w in app.model.workflows_of(entity)}


def _value(tenant: Tenant, f: FieldDef, mark: str, refs: dict[str, int]) -> Any:
    if f.filter_of:
        return f'"{mark}" != ""'  # a valid filter that still carries the tenant's mark
    if f.type in TEXTS:
        return mark
    if f.type == "email":
        return f"{mark.lower()}@{tenant.name}.test"
    if f.type == "money":
        return AMOUNT[tenant.name]
    if f.type in ("enum",):
        return f.options[0]
    if f.type in ("multi_enum",):
        return [f.options[0]]
    if f.type == "tags":
        return [mark.lower()]
    if f.type == "reference":
        return refs.get(f.to or "")
    return SIMPLE.get(f.type)


def record_body(tenant: Tenant, compiled: CompiledEntity, refs: dict[str, int]) -> dict[str, Any]:
    """A valid body for ``compiled`` filled from its field definitions."""
    tenant.made += 1
    mark = f"{MARKS[tenant.name]}-{compiled.name}-{tenant.made}"
    skip = _workflow_fields_cache.get(compiled.name, set())
    body: dict[str, Any] = {}
    for f in compiled.entity.fields.values():
        if f.formula or f.rollup or f.type in SKIPPED or f.name in skip:
            continue
        if (compiled.name, f.name) in COPIED_BY_RULES | SUMMED_BY_RULES:
            continue
        value = _value(tenant, f, mark, refs)
        if value is not None:
            body[f.name] = (
                value[: f.max_length] if isinstance(value, str) and f.max_length else value
            )
    return body


_workflow_fields_cache: dict[str, set[str]] = {}


def owners_of(app: CompiledApp, tenant: Tenant) -> list[Member]:
    """Who owns the made records: the admin, every member whose role is limited to its
    own or its team's records somewhere, and one member whose role is not."""
    narrow = [
        m
        for m in tenant.members.values()
        if m.role != "admin"
        and any(g.scope in ("own", "team") for g in app.model.roles[m.role].entities.values())
    ]
    wide = [m for m in tenant.members.values() if m not in narrow and m.role != "admin"]
    return [tenant.members["admin"], *narrow, *wide[:1]]


def populate(tenant: Tenant, app: CompiledApp, *, extra: bool = False) -> None:
    """Make a record of every entity per owner (see ``owners_of``); ``extra`` makes one
    more of each, owned by the admin (so this tenant holds ids the other never had)."""
    for name in app.entities:
        _workflow_fields_cache[name] = _workflow_fields(app, name)
    owners = [m.user_id for m in owners_of(app, tenant)]
    refs: dict[str, int] = {}
    for round_owners in (owners, owners[:1] if extra else []):
        for name in entity_order(app):
            for owner in round_owners:
                body = {**record_body(tenant, app.entities[name], refs), "owner_id": owner}
                made = tenant.admin.post(name, json=body)
                assert made.status_code == 201, (name, made.text)
                refs.setdefault(name, int(made.json()["id"]))
                tenant.tokens[(name, tenant.made)] = int(made.json()["id"])
    for name in app.entities:
        listed = tenant.admin.get(name, params={"limit": "500", "sort": "id"})
        assert listed.status_code == 200, listed.text
        tenant.rows[name] = {int(r["id"]): r for r in listed.json()["items"]}


def build_tenant(runtime: Runtime, client: TestClient[Any], name: str) -> Tenant:
    """Tenant ``name`` from the CRM template with one member per package role.

    Members are ``<role>@iso.test`` in every tenant; all accounts share one password
    hash (one argon2 run instead of one per account keeps the set-up fast).
    """
    reg = runtime.registry
    reg.create_tenant(name)
    publish(runtime, name, CRM)
    reg.add_membership(name, reg.ensure_user(f"admin@{name}.test"), ["admin"])
    admin = Api(client, name, reg.create_token(name, f"admin@{name}.test"))
    tenant = Tenant(name, admin)
    app = runtime.app(name)
    for role in sorted(app.model.roles):
        email = f"{role}@iso.test"
        user_id = reg.ensure_user(email)
        reg.add_membership(name, user_id, [role])
        api = Api(client, name, reg.create_token(name, email))
        tenant.members[role] = Member(email, user_id, role, api)
    admin_id = reg.user_id(f"admin@{name}.test")
    assert admin_id is not None
    tenant.members["admin"] = Member(f"admin@{name}.test", admin_id, "admin", admin)
    users = reg.users
    ids = [m.user_id for m in tenant.members.values()]
    with reg.connect(write=True) as conn, conn.begin():
        conn.execute(
            users.update().where(users.c.id.in_(ids)).values(password_hash=_password_hash())
        )
    return tenant


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def expected_ids(app: CompiledApp, tenant: Tenant, member: Member, entity: str) -> set[int] | None:
    """The ids ``member`` may read, from the role's definition (None: cannot read).

    No teams or managers are set up, so ``team`` reaches what ``own`` does (teams
    are the permission matrix's subject).
    """
    rows = tenant.rows[entity]
    if member.role == "admin":
        return set(rows)
    grant = app.model.roles[member.role].entities.get(entity)
    if grant is None or "read" not in grant.actions:
        return None
    assert grant.where is None, "conditional roles: see test_teams_conditions"
    if grant.scope == "all":
        return set(rows)
    if grant.scope in ("own", "team"):
        return {i for i, r in rows.items() if r.get("owner_id") == member.user_id}
    return set()


@dataclass
class Counter:
    """Counts the checked combinations by read path."""

    by_path: dict[str, int] = field(default_factory=dict)

    def add(self, path: str, n: int = 1) -> None:
        self.by_path[path] = self.by_path.get(path, 0) + n

    @property
    def total(self) -> int:
        return sum(self.by_path.values())


#: "Did you mean" suggestions: they follow a name's spelling, so two unknown names may
#: get different ones; they only ever name what the caller can see.
_SUGGESTIONS = (
    (re.compile(r" \(did you mean '[^']*'\?\)"), ""),
    (re.compile(r'"suggestion":"[^"]*"'), '"suggestion":null'),
)


def same_apart_from(a: str, b: str, a_id: object, b_id: object) -> bool:
    """Whether body ``a`` is body ``b`` with ``a_id`` where ``b`` says ``b_id``.

    ``b_id`` is distinctive (a missing id far above any real one, or an unknown
    name), so only its own occurrences are replaced. Suggestions are compared apart
    (never the name ``a_id`` itself).
    """
    if f"'{a_id}'?)" in a or f'"suggestion":"{a_id}"' in a:
        return False
    for pattern, plain in _SUGGESTIONS:
        a, b = pattern.sub(plain, a), pattern.sub(plain, b)
    return a == str(a_id).join(b.split(str(b_id)))


def decimal_sum(values: Iterator[Any]) -> Decimal:
    return sum((Decimal(str(v)) for v in values if v is not None), Decimal(0))
