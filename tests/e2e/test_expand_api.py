"""``expand=`` (DESIGN.md §13): reference and user columns embedded as ``{id, title}``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TENANT = "exp"
ACCOUNT = """
    label: Account
    title: name
    fields:
      name: {type: string, required: true}
      manager: {type: user}
"""
DEAL = """
    label: Deal
    title: name
    fields:
      name: {type: string, required: true}
      account: {type: reference, to: account}
      reviewer: {type: user}
      amount: {type: money}
"""
ROLES = """
roles:
  rep:
    entities:
      deal: {actions: [create, read, update], scope: own, fields: {reviewer: hidden}}
      account: {actions: [create, read], scope: own}
  dealer:
    entities:
      deal: {actions: [read], scope: all}
"""


class Tenant:
    """Tenant ``exp``: an admin, a sales rep (own scope) and a deal-only reader."""

    def __init__(self, runtime: Runtime, client: TestClient, write_package: PackageWriter) -> None:  # type: ignore[type-arg]
        root = write_package({"account": ACCOUNT, "deal": DEAL})
        (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
        reg = runtime.registry
        reg.create_tenant(TENANT)
        publish(runtime, TENANT, root)
        self.runtime = runtime
        self.ids: dict[str, int] = {}
        self.apis: dict[str, Api] = {}
        for name, roles in (("admin", ["admin"]), ("rep", ["rep"]), ("dealer", ["dealer"])):
            email = f"{name}@exp.test"
            self.ids[name] = reg.ensure_user(email, "long enough secret", display_name=name.title())
            reg.add_membership(TENANT, self.ids[name], roles)
            self.apis[name] = Api(client, TENANT, reg.create_token(TENANT, email))
        self.admin = self.apis["admin"]

    def make(self, entity: str, **body: Any) -> int:
        response = self.admin.post(entity, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


@pytest.fixture
def exp(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Tenant:  # type: ignore[type-arg]
    return Tenant(runtime, client, write_package)


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_expand_embeds_id_and_title_of_references_and_users(exp: Tenant) -> None:
    admin = exp.ids["admin"]
    acme = exp.make("account", name="Acme", manager=exp.ids["rep"])
    exp.make("deal", name="Big", account=acme, reviewer=exp.ids["rep"])
    exp.make("deal", name="Lonely")

    page = _ok(exp.admin.get("deal", params={"expand": "account,owner,reviewer", "sort": "name"}))
    big, lonely = page["items"]
    assert big["account"] == {"id": acme, "title": "Acme"}
    assert big["owner_id"] == {"id": admin, "title": "Admin"}
    assert big["reviewer"] == {"id": exp.ids["rep"], "title": "Rep"}
    assert big["created_by"] == admin  # not asked for: still the id
    assert lonely["account"] is None and lonely["reviewer"] is None  # empty stays null

    plain = _ok(exp.admin.get("deal", params={"sort": "name"}))["items"][0]
    assert plain["account"] == acme and plain["owner_id"] == admin

    deal = big["id"]
    read = exp.admin.get(f"deal/{deal}", params={"expand": "owner_id,created_by,updated_by"})
    body = _ok(read)
    assert read.headers["etag"] == '"1"'
    for column in ("owner_id", "created_by", "updated_by"):
        assert body[column] == {"id": admin, "title": "Admin"}
    assert body["account"] == acme

    # An expanded column is returned even when fields= leaves it out.
    picked = _ok(exp.admin.get("deal", params={"fields": "name", "expand": "account"}))
    assert {"name": "Big", "account": {"id": acme, "title": "Acme"}} in [
        {k: v for k, v in item.items() if k != "id"} for item in picked["items"]
    ]
    assert _ok(exp.admin.get(f"account/{acme}", params={"expand": "manager"}))["manager"] == {
        "id": exp.ids["rep"],
        "title": "Rep",
    }


def test_expand_refuses_unknown_plain_hidden_and_empty_names(exp: Tenant) -> None:
    deal = exp.make("deal", name="Big", owner_id=exp.ids["rep"])
    cases = {
        "acount": "Unknown field 'acount' (did you mean 'account'?).",
        "name": "Field 'name' holds no reference and cannot be expanded (expandable: "
        "account, reviewer, owner, owner_id, created_by, updated_by).",
        "": "Name at least one field, or leave expand out (got '').",
        "\r": "Name at least one field, or leave expand out (got '\\r').",
        "account,,owner": "Names must not be empty or blank (got 'account,,owner').",
    }
    for value, message in cases.items():
        for path in ("deal", f"deal/{deal}"):
            response = exp.admin.get(path, params={"expand": value})
            assert response.status_code == 400, (value, response.text)
            assert response.json() == {"errors": {"expand": [message]}}
    # A field hidden from the caller is unknown, and never suggested.
    rep = exp.apis["rep"]
    for path in ("deal", f"deal/{deal}"):
        hidden = rep.get(path, params={"expand": "reviewer"})
        assert hidden.status_code == 400
        assert hidden.json() == {"errors": {"expand": ["Unknown field 'reviewer'."]}}
        near = rep.get(path, params={"expand": "reviewr"}).json()
        assert near == {"errors": {"expand": ["Unknown field 'reviewr'."]}}


def test_expand_gives_null_title_for_targets_the_caller_cannot_see(exp: Tenant) -> None:
    rep_id = exp.ids["rep"]
    theirs = exp.make("account", name="Admin's account")
    mine = exp.make("account", name="Rep's account", owner_id=rep_id)
    exp.make("deal", name="A", account=theirs, owner_id=rep_id)
    exp.make("deal", name="B", account=mine, owner_id=rep_id, reviewer=987654)

    rep_page = _ok(exp.apis["rep"].get("deal", params={"expand": "account", "sort": "name"}))
    assert [item["account"] for item in rep_page["items"]] == [
        {"id": theirs, "title": None},  # outside the rep's scope: the title never leaks
        {"id": mine, "title": "Rep's account"},
    ]
    dealer_page = _ok(
        exp.apis["dealer"].get("deal", params={"expand": "account,reviewer", "sort": "name"})
    )
    # The dealer's role cannot read accounts at all; 987654 is no member of the tenant.
    assert [item["account"]["title"] for item in dealer_page["items"]] == [None, None]
    assert dealer_page["items"][1]["reviewer"] == {"id": 987654, "title": None}
    single = _ok(exp.apis["dealer"].get(f"deal/{rep_page['items'][1]['id']}?expand=account"))
    assert single["account"] == {"id": mine, "title": None}


@contextmanager
def _statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def log(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engines = {runtime.engines.tenant_engine(TENANT), runtime.engines.system}
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", log)


def _from(statements: list[str], table: str) -> int:
    pattern = re.compile(rf'\bFROM\s+(?:"?\w+"?\.)?"?{table}"?(?:\s|$)', re.IGNORECASE)
    return sum(1 for s in statements if pattern.search(s))


def test_expand_reads_titles_with_one_query_per_field_whatever_the_page_size(
    exp: Tenant,
) -> None:
    accounts = [exp.make("account", name=f"Account {i:02d}") for i in range(25)]
    bulk = [
        {"name": f"Deal {i:02d}", "account": a, "reviewer": exp.ids["rep"]}
        for i, a in enumerate(accounts)
    ]
    assert exp.admin.post("deal/bulk", json=bulk).json()["failed"] == 0
    for limit in (5, 25):
        with _statements(exp.runtime) as seen:
            page = _ok(
                exp.admin.get("deal", params={"expand": "account,reviewer,owner", "limit": limit})
            )
        assert [item["account"]["title"] for item in page["items"]] == [
            f"Account {i:02d}" for i in range(limit)
        ]
        assert _from(seen, "account") == 1
        assert _from(seen, "users") == 1  # every user column at once
