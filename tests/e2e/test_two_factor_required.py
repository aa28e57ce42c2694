"""A tenant that requires two-factor sign-in (``two_factor: required`` in app.yaml).

ASVS V6.3.3: every member must turn TOTP on before using the screens (signing in leads to
the account page to enrol) and gets no new API token without it; tenants without the
setting are unaffected.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from litestar.testing import TestClient

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import load_package
from trellis.platform.config import FakeClock
from trellis.platform.identity.two_factor_policy import (
    TWO_FACTOR_REQUIRED,
    TwoFactorRequiredError,
    check_token_allowed,
    requires_two_factor,
)
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import MemorySessionStore
from trellis.ui.screens.app import create_web_app

from helpers import ACCOUNT, PackageWriter
from ui_support import PASSWORD, add_user, post_form, sign_in

SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')


def _strict_package(write_package: PackageWriter, policy: str = "required") -> Path:
    root = write_package({"account": ACCOUNT})
    with (root / "app.yaml").open("a", encoding="utf-8") as app_yaml:
        app_yaml.write(f"two_factor: {policy}\n")
    return root


@pytest.fixture
def strict(runtime: Runtime, write_package: PackageWriter) -> Runtime:
    """Tenant ``acme`` requiring two-factor sign-in, ``relaxed`` not; a member in each."""
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", _strict_package(write_package))
    runtime.registry.create_tenant("relaxed")
    publish(runtime, "relaxed", write_package({"account": ACCOUNT}))
    add_user(runtime, "acme", "ann@acme.test", ["admin"])
    add_user(runtime, "relaxed", "ann@acme.test", ["admin"])
    return runtime


@pytest.fixture
def browser(strict: Runtime) -> Iterator[tuple[TestClient[Any], FakeClock]]:
    clock = FakeClock()
    sessions = MemorySessionStore(clock=clock)
    with TestClient(app=create_web_app(strict, sessions=sessions)) as client:
        yield client, clock


def test_the_setting_is_read_from_app_yaml_and_checked(write_package: PackageWriter) -> None:
    assert load_package(_strict_package(write_package)).two_factor_required is True
    assert load_package(_strict_package(write_package, "optional")).two_factor_required is False
    assert load_package(write_package({"account": ACCOUNT})).two_factor_required is False
    with pytest.raises(MetadataError, match="two_factor"):
        load_package(_strict_package(write_package, "sometimes"))


def test_members_must_enrol_before_using_the_screens(
    strict: Runtime, browser: tuple[TestClient[Any], FakeClock]
) -> None:
    client, clock = browser
    assert requires_two_factor(strict, "acme") and not requires_two_factor(strict, "relaxed")
    assert sign_in(client, "acme", "ann@acme.test").status_code == 303
    for path in ("/t/acme/", "/t/acme/e/account", "/t/acme/e/account/new"):
        sent = client.get(path, follow_redirects=False)
        assert (sent.status_code, sent.headers["location"]) == (303, "/t/acme/account"), path
    htmx = client.get("/t/acme/e/account", headers={"HX-Request": "true"}, follow_redirects=False)
    assert (htmx.status_code, htmx.headers["hx-redirect"]) == (204, "/t/acme/account")
    refused = post_form(client, "/t/acme/e/account", {"name": "X"}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/t/acme/account"
    page = client.get("/t/acme/e/account")  # lands on the account page, saying why
    assert page.status_code == 200 and "Two-factor sign-in is <strong>off</strong>" in page.text
    assert TWO_FACTOR_REQUIRED in page.text
    # The account page is open to them: turn two-factor on there.
    assert post_form(client, "/t/acme/account/2fa/start", {}).status_code == 200
    found = SECRET.search(client.get("/t/acme/account").text)
    assert found is not None
    code = pyotp.TOTP(found.group(1)).at(clock.now())
    assert post_form(client, "/t/acme/account/2fa/confirm", {"code": code}).status_code == 200
    assert client.get("/t/acme/e/account", follow_redirects=False).status_code == 200
    # Turning it off is refused while a tenant of theirs requires it.
    off = post_form(client, "/t/acme/account/2fa/disable", {"password": PASSWORD})
    assert off.status_code == 403 and "an organisation you belong to requires it" in off.text
    assert "Two-factor sign-in is <strong>on</strong>" in client.get("/t/acme/account").text


def test_a_tenant_without_the_setting_is_unaffected(
    browser: tuple[TestClient[Any], FakeClock],
) -> None:
    client, _clock = browser
    assert sign_in(client, "relaxed", "ann@acme.test").status_code == 303
    assert client.get("/t/relaxed/e/account", follow_redirects=False).status_code == 200


def test_no_api_token_for_a_member_without_two_factor(strict: Runtime) -> None:
    with pytest.raises(TwoFactorRequiredError, match="requires two-factor sign-in"):
        check_token_allowed(strict, "acme", "ann@acme.test")
    check_token_allowed(strict, "relaxed", "ann@acme.test")  # the other tenant: allowed
    env = {**os.environ, "TRELLIS_DATA_DIR": str(strict.config.data_dir)}
    if strict.config.database_url is not None:
        env |= {
            "TRELLIS_DATABASE_URL": strict.config.database_url,
            "TRELLIS_SCHEMA_PREFIX": strict.config.schema_prefix,
        }
    done = subprocess.run(
        [sys.executable, "-m", "trellis", "token", "create", "acme", "ann@acme.test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and "trl_" not in done.stdout
    assert "requires two-factor sign-in" in done.stderr and "ann@acme.test" in done.stderr
    info = strict.registry.get_tenant("acme")
    assert info is not None
    assert not strict.registry.audit.entries(info.id, action="token.create")
