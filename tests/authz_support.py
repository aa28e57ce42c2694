"""A small package with team, own and condition scopes, and members to exercise it."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TENANT = "scope"
ACCOUNT = """
    label: Account
    title: name
    search: [name, city]
    fields:
      name: {type: string, required: true}
      city: {type: string}
      region: {type: string}
      secret: {type: string}
"""
DEAL = """
    label: Deal
    title: name
    search: [name]
    fields:
      name: {type: string, required: true}
      amount: {type: money}
      stage: {type: pipeline, pipeline: sales}
      close_date: {type: date}
      account: {type: reference, to: account}
"""
PIPELINE = """
pipeline: sales
stages:
  - {name: new, probability: 10}
  - {name: won, probability: 100, won: true}
  - {name: lost, probability: 0, lost: true}
"""
ROLES = """
roles:
  rep:
    entities:
      deal: {actions: [create, read, update, delete, export], scope: own}
      account: {actions: [create, read], scope: own}
  manager:
    entities:
      deal: {actions: [create, read, update, export], scope: team}
      account: {actions: [read], scope: team}
  regional:
    entities:
      account:
        actions: [read, export]
        scope: all
        where: "region == user.region"
        fields: {secret: hidden}
      deal: {actions: [read], scope: all}
  viewer:
    entities:
      deal: {actions: [read], scope: all}
"""


@dataclass
class World:
    """Tenant ``scope`` with an admin and members by short name."""

    runtime: Runtime
    client: TestClient  # type: ignore[type-arg]
    admin: Api
    apis: dict[str, Api] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def member(self, name: str, roles: list[str]) -> Api:
        reg = self.runtime.registry
        email = f"{name}@scope.test"
        self.ids[name] = reg.ensure_user(email, "long enough secret")
        reg.add_membership(TENANT, self.ids[name], roles)
        self.apis[name] = Api(self.client, TENANT, reg.create_token(TENANT, email))
        return self.apis[name]

    def make(self, who: str, entity: str, **body: Any) -> int:
        api = self.admin if who == "admin" else self.apis[who]
        response = api.post(entity, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


def build_world(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> World:  # type: ignore[type-arg]
    root = write_package({"account": ACCOUNT, "deal": DEAL})
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    (root / "pipelines").mkdir()
    (root / "pipelines" / "sales.yaml").write_text(
        textwrap.dedent(PIPELINE).lstrip(), encoding="utf-8"
    )
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    reg = runtime.registry
    boss = reg.ensure_user("admin@scope.test", "long enough secret")
    reg.add_membership(TENANT, boss, ["admin"])
    world = World(
        runtime, client, Api(client, TENANT, reg.create_token(TENANT, "admin@scope.test"))
    )
    world.ids["admin"] = boss
    return world
