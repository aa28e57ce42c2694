"""Helpers for the comment, timeline, inbox and jobs screen tests: records and sessions."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

from litestar.testing import TestClient

from trellis.platform.authz.call import Call
from trellis.platform.records.views import encode
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.platform.services.caller import readable_entity

from ui_records import creator
from ui_support import sign_in

HTMX = {"HX-Request": "true"}


class _Audit(HTMLParser):
    """Collects what breaks the screen rules: unlabelled controls, inline code, bare htmx."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label" and values.get("for"):
            self.labels.add(str(values["for"]))
        control = tag in ("input", "select", "textarea") and values.get("type") != "hidden"
        if control and not values.get("aria-label"):
            self.controls.append(str(values.get("id")))
        if "style" in values or any(name.startswith("hx-on") for name in values):
            self.problems.append(f"inline style or hx-on on <{tag}>")
        if tag == "script" and not values.get("src"):
            self.problems.append("inline <script>")
        if ("hx-get" in values or "hx-post" in values) and "hx-target" not in values:
            self.problems.append(f"<{tag}> with hx-get/hx-post and no hx-target")
        if "hx-disable" in values:
            self.problems.append(f"hx-disable on <{tag}>")


def screen_problems(html: str) -> list[str]:
    """Unlabelled controls, inline scripts or styles, and htmx without explicit targets."""
    audit = _Audit()
    audit.feed(html)
    missing = [f"no label for #{c}" for c in audit.controls if c not in audit.labels]
    return missing + audit.problems


def call_of(runtime: Runtime, tenant: str, email: str) -> tuple[Services, Call]:
    """The services and a call of member ``email`` (as a session would make it)."""
    api = Services(runtime)
    user = runtime.registry.user_id(email)
    assert user is not None
    identity = runtime.registry.member_identity(tenant, user)
    assert identity is not None
    return api, api.call_as(tenant, identity)


def create(runtime: Runtime, tenant: str, email: str, entity: str, data: dict[str, Any]) -> Any:
    """Create a record as ``email`` through the save pipeline; the record."""
    user = runtime.registry.user_id(email)
    assert user is not None
    return creator(runtime, tenant, user)(entity, **data)


def update(
    runtime: Runtime, tenant: str, email: str, entity: str, ident: int, data: dict[str, Any]
) -> Any:
    """Update a record as ``email`` through the records service; the record as JSON."""
    services, call = call_of(runtime, tenant, email)
    result = services.records.update(call, readable_entity(call, entity), ident, data, None)
    return json.loads(encode(result.record))


def signed_in_client(client: TestClient[Any], tenant: str, email: str) -> TestClient[Any]:
    """``client`` after signing in as ``email`` (asserts the sign-in worked)."""
    response = sign_in(client, tenant, email)
    assert response.status_code in (302, 303), response.text
    return client
