"""Helpers for screen tests: a CRM tenant, users, and signing in through the real form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

import trellis.seed.crm
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

CRM = Path(trellis.seed.crm.__file__).parent
PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


def crm_tenant(runtime: Runtime, name: str = "acme") -> str:
    """Create tenant ``name`` from the CRM template with admin ``admin@<name>.test``."""
    runtime.registry.create_tenant(name)
    publish(runtime, name, CRM)
    add_user(runtime, name, f"admin@{name}.test", ["admin"])
    return name


def add_user(runtime: Runtime, tenant: str, email: str, roles: list[str]) -> int:
    """A member of ``tenant`` with ``roles`` and the test password."""
    user = runtime.registry.ensure_user(email, PASSWORD)
    runtime.registry.add_membership(tenant, user, roles)
    return user


def csrf_token(client: TestClient[Any], html: str) -> str:
    """The CSRF token of a rendered form (falls back to the cookie)."""
    found = CSRF_FIELD.search(html)
    return found.group(1) if found else str(client.cookies.get("csrftoken", ""))


def sign_in(client: TestClient[Any], tenant: str, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the sign-in form; returns the response of the form post."""
    form = client.get(f"/t/{tenant}/login")
    token = csrf_token(client, form.text)
    return client.post(
        f"/t/{tenant}/login",
        data={"email": email, "password": password, "_csrf_token": token, "next": f"/t/{tenant}/"},
        follow_redirects=False,
    )


def post_form(client: TestClient[Any], url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Post a screen form with the CSRF token of the current session."""
    token = str(client.cookies.get("csrftoken", ""))
    return client.post(url, data={**data, "_csrf_token": token}, **kwargs)
