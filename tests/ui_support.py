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


def csrf_cookie(client: TestClient[Any], url: str) -> str:
    """The ``csrftoken`` cookie the browser sends to ``url`` (one per tenant path)."""
    parts = url.split("/")
    path = f"/{parts[1]}/{parts[2]}/" if len(parts) > 2 and parts[1] in ("t", "p") else "/"
    for cookie in client.cookies.jar:
        if cookie.name == "csrftoken" and path.startswith(cookie.path):
            return str(cookie.value)
    return ""


def csrf_token(client: TestClient[Any], html: str, url: str = "/t/acme/") -> str:
    """The CSRF token of a rendered form (falls back to the cookie sent to ``url``)."""
    found = CSRF_FIELD.search(html)
    return found.group(1) if found else csrf_cookie(client, url)


def sign_in(client: TestClient[Any], tenant: str, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the sign-in form; returns the response of the form post."""
    form = client.get(f"/t/{tenant}/login")
    token = csrf_token(client, form.text, f"/t/{tenant}/login")
    return client.post(
        f"/t/{tenant}/login",
        data={"email": email, "password": password, "_csrf_token": token, "next": f"/t/{tenant}/"},
        follow_redirects=False,
    )


def post_form(client: TestClient[Any], url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Post a screen form with the CSRF token of the current session."""
    token = csrf_cookie(client, url)
    return client.post(url, data={**data, "_csrf_token": token}, **kwargs)
