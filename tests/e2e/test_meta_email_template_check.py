"""A broken e-mail template is refused at publish, not found at send time (issue 16)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TENANT = "mailcheck"
ITEM = """
    label: Item
    title: name
    fields:
      name: {type: string, required: true}
"""
PATH = "_meta/draft/email_templates/welcome.j2"
BROKEN = (
    "{% block subject %}Welcome {{ name }}{% endblock %}\n"
    "{% block text %}\n"
    "{% if name %}Hello {{ name }}.{% endfi %}\n"
    "{% endblock %}\n"
)


@pytest.fixture
def admin(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    """Tenant ``mailcheck`` at version 1 and its admin."""
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    reg = runtime.registry
    reg.add_membership(
        TENANT, reg.ensure_user("admin@mail.test", "correct horse battery"), ["admin"]
    )
    return Api(client, TENANT, reg.create_token(TENANT, "admin@mail.test"))


def _put(api: Api, text: str) -> int:
    headers = {
        "If-Match": api.get("_meta/draft").headers.get("etag", '"0"'),
        "Content-Type": "text/plain",
    }
    return int(api.put(PATH, content=text.encode(), headers=headers).status_code)


def test_a_template_syntax_error_is_positioned_with_a_suggestion_and_blocks_publish(
    admin: Api,
) -> None:
    assert _put(admin, BROKEN) == 200
    plan = admin.get("_meta/draft/plan").json()
    assert plan["valid"] is False
    (error,) = plan["errors"]
    assert (error["file"], error["line"], error["column"]) == ("email_templates/welcome.j2", 3, 34)
    assert error["code"] == "MD138" and error["suggestion"] == "endif"
    assert error["text"] == (
        "email_templates/welcome.j2:3:34: error MD138: template syntax error: unknown tag "
        "'endfi' (expected 'elif' or 'else' or 'endif') (did you mean 'endif'?)"
    )
    refused = admin.post("_meta/draft/publish", json={"comment": "welcome mail"})
    assert refused.status_code == 422
    assert refused.json()["errors"]["draft"] == [error["text"]]
    assert admin.get("_meta/versions").json()["current_version"] == 1

    fixed = BROKEN.replace("endfi", "endif")
    assert _put(admin, fixed) == 200
    assert admin.get("_meta/draft/plan").json()["valid"] is True
    done = admin.post("_meta/draft/publish", json={"comment": "welcome mail"})
    assert done.status_code == 200, done.text
    assert admin.get("_meta/versions").json()["current_version"] == 2
