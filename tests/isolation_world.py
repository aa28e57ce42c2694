"""The isolation matrix's world: two populated CRM tenants and the oracles of what a
caller may see (see ``isolation_support`` for how the records are made)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar.testing import TestClient

from trellis.platform.api.gate import ApiGate
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.runtime import Runtime

from helpers import Api
from isolation_support import (
    HOME,
    MARKS,
    OTHER,
    PASSWORD,
    Counter,
    Member,
    Tenant,
    expected_ids,
    same_apart_from,
    token_re,
)
from ui_support import sign_in

#: An id no tenant ever reaches: what "missing" answers look like.
MISSING = 987654321
#: What only the other tenant holds: its records' marks, its admin, its comments. (Its
#: name alone is no leak: members of both tenants see both in the tenant switcher.)
FOREIGN_TEXT = re.compile(rf"{MARKS[OTHER]}|@{OTHER}\.test|from {OTHER}", re.IGNORECASE)


@dataclass
class World:
    """Tenant ``north`` (the callers' home) and ``south`` (the foreign one)."""

    runtime: Runtime
    client: TestClient[Any]
    app: CompiledApp
    home: Tenant
    other: Tenant
    counter: Counter = field(default_factory=Counter)
    _hidden: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _missing: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    _sessions: dict[str, httpx.Cookies] = field(default_factory=dict)
    _pages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _api: ApiGate | None = None

    def token_of(self, entity: str, record: int) -> str:
        """The token the texts of ``north`` record ``record`` hold."""
        n = next(n for (e, n), i in self.home.tokens.items() if e == entity and i == record)
        return f"{MARKS[HOME]}-{entity}-{n}"

    def tenant_api(self) -> ApiGate:
        """One in-process API (its policy caches warm) for the dashboard computations."""
        if self._api is None:
            self._api = ApiGate(self.runtime)
        return self._api

    def first_page(self, tenant: Tenant, entity: str) -> dict[str, Any]:
        """The admin's first page of one record of ``entity`` by id (for its cursor)."""
        key = (tenant.name, entity)
        if key not in self._pages:
            listed = tenant.admin.get(entity, params={"limit": "1", "sort": "id"})
            self._pages[key] = listed.json()
        return self._pages[key]

    @contextmanager
    def signed_in(self, member: Member) -> Iterator[TestClient[Any]]:
        """The client with ``member``'s screen session (signed in once, then reused)."""
        client = self.client
        client.cookies.clear()
        if member.email in self._sessions:
            client.cookies = httpx.Cookies(self._sessions[member.email])
        else:
            assert sign_in(client, HOME, member.email, PASSWORD).status_code == 303
            self._sessions[member.email] = httpx.Cookies(client.cookies)
        try:
            yield client
        finally:
            client.cookies.clear()

    @property
    def members(self) -> list[Member]:
        return [self.home.members[r] for r in sorted(self.home.members)]

    def visible(self, member: Member, entity: str) -> set[int] | None:
        return expected_ids(self.app, self.home, member, entity)

    def hidden(self, member: Member, entity: str) -> set[str]:
        """Fields hidden from ``member``: by its role, and rollups over what it cannot read."""
        key = (member.role, entity)
        if key not in self._hidden:
            grant = self.app.model.roles.get(member.role)
            access = grant.entities.get(entity) if grant is not None else None
            fields = access.fields if access is not None else {}
            hidden = {name for name, level in fields.items() if level == "hidden"}
            listed = member.api.get(entity, params={"limit": "1"})
            if listed.status_code == 200 and listed.json()["items"]:
                admin = {n for row in self.home.rows[entity].values() for n in row}
                hidden |= admin - set(listed.json()["items"][0])
            self._hidden[key] = hidden
        return self._hidden[key]

    def can(self, member: Member, entity: str, action: str) -> bool:
        if member.role == "admin":
            return True
        grant = self.app.model.roles[member.role].entities.get(entity)
        return grant is not None and action in grant.actions

    def foreign_ids(self, entity: str) -> list[int]:
        """Ids of ``south`` records that ``north`` never had (a bounded sample)."""
        return sorted(self.other.ids(entity) - self.home.ids(entity))[:1]

    def out_of_scope(self, member: Member, entity: str) -> list[int]:
        """Live ``north`` records of other owners ``member`` may not read (a sample)."""
        seen = self.visible(member, entity)
        return sorted(self.home.ids(entity) - (seen or set()))[:1]

    def shows_only_readable(
        self, member: Member, text: str, where: object, *, owned: bool = False
    ) -> None:
        """No foreign text, and every home token names a record ``member`` may read
        (or, with ``owned``, one it owns: notifications tell owners about their records
        even of an entity their roles cannot read; the inbox does not link those)."""
        found = FOREIGN_TEXT.search(text)
        assert found is None, ("foreign data", where, text[found.start() - 200 : found.end() + 50])
        for entity, n in set(token_re(HOME).findall(text)):
            record = self.home.tokens.get((entity, int(n)))
            seen = self.visible(member, entity)
            if owned and record is not None:
                row = self.home.rows[entity].get(record, {})
                seen = {record} if row.get("owner_id") == member.user_id else seen
            assert record is not None and seen is not None and record in seen, (
                "out-of-scope data",
                member.role,
                where,
                entity,
                record,
            )

    def as_missing(
        self, api: Api, path: str, record: int, status: int, params: dict[str, str] | None = None
    ) -> None:
        """``path`` (with ``{id}``) for ``record`` answers as for a missing id."""
        got = api.get(path.format(id=record), params=params or {})
        key = (api.token, path, str(params))
        if key not in self._missing:
            self._missing[key] = api.get(path.format(id=MISSING), params=params or {})
        missing = self._missing[key]
        assert missing.status_code == status, (path, missing.status_code, missing.text)
        assert got.status_code == status, (path, record, got.status_code, got.text)
        assert same_apart_from(got.text, missing.text, record, MISSING), (got.text, missing.text)
        assert not FOREIGN_TEXT.search(got.text)
        self.counter.add(path.split("/", 1)[-1].replace("{id}", "id") or "read by id")
