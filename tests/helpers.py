"""Helpers shared by the tests: a test package, an API client wrapper, tenant set-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

PackageWriter = Callable[..., Path]

ACCOUNT = """
    label: Account
    title: name
    fields:
      name: {type: string, required: true, max_length: 100}
      industry: {type: enum, options: [retail, tech, finance]}
      website: {type: url}
      email: {type: email, unique: true}
      phone: {type: phone}
      employees: {type: integer, min: 0, max: 1000000}
      revenue: {type: money, min: 0}
      share: {type: percent}
      rating: {type: decimal, scale: 2}
      active: {type: boolean, default: "true"}
      founded: {type: date}
      last_contact: {type: datetime}
      tags: {type: tags}
      channels: {type: multi_enum, options: [web, phone, mail]}
      extra: {type: json}
      notes: {type: text}
      owner_user: {type: user}
      number: {type: autonumber, format: "A-{n:04d}"}
      double_employees: {type: integer, formula: "employees * 2"}
    validations:
      - {when: 'name == "forbidden"', message: "This name is not allowed."}
      - {when: "revenue > 1000000", field: revenue, message: "Revenue must not exceed one million."}
"""
CONTACT = """
    label: Contact
    title: last_name
    fields:
      first_name: {type: string}
      last_name: {type: string, required: true}
      account: {type: reference, to: account}
      full_name: {type: string, formula: 'concat(first_name, " ", last_name)'}
      industry: {type: string, formula: "account.industry"}
"""


@dataclass
class Api:
    """A client bound to one tenant with a bearer token."""

    client: TestClient  # type: ignore[type-arg]
    tenant: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str) -> str:
        return f"/t/{self.tenant}/api/{path}"

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(
            self.url(path), headers={**self.headers, **kw.pop("headers", {})}, **kw
        )

    def post(self, path: str, **kw: Any) -> Any:
        return self.client.post(
            self.url(path), headers={**self.headers, **kw.pop("headers", {})}, **kw
        )

    def patch(self, path: str, **kw: Any) -> Any:
        return self.client.patch(
            self.url(path), headers={**self.headers, **kw.pop("headers", {})}, **kw
        )

    def put(self, path: str, **kw: Any) -> Any:
        return self.client.put(
            self.url(path), headers={**self.headers, **kw.pop("headers", {})}, **kw
        )

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(
            self.url(path), headers={**self.headers, **kw.pop("headers", {})}, **kw
        )


def make_tenant(
    runtime: Runtime,
    write_package: PackageWriter,
    name: str,
    entities: dict[str, str] | None = None,
) -> str:
    """Create tenant ``name`` with the test package, an admin and a token; returns it."""
    runtime.registry.create_tenant(name)
    publish(runtime, name, write_package(entities or {"account": ACCOUNT, "contact": CONTACT}))
    user = runtime.registry.ensure_user(f"admin@{name}.test", "correct horse battery")
    runtime.registry.add_membership(name, user, ["admin"])
    return runtime.registry.create_token(name, f"admin@{name}.test")
