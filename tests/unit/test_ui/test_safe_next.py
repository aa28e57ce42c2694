"""Where sign-in sends the user next: only normalised paths inside the tenant."""

from __future__ import annotations

import pytest

from trellis.ui.screens.auth_routes import safe_next

HOME = "/t/acme/"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "/t/a/../../x",
        "/t/acme/../../x",
        "/t/acme/../globex/",
        "/t/acme/e/../../globex/e/account",
        "/t/acme/%2e%2e/%2e%2e/x",
        "/t/acme/%2E%2E/globex/",
        "/t/acme/..%2f..%2fx",
        "/t/acme/%252e%252e/x",  # double encoding
        "/t/acme/%2f%2fevil.example",
        "//evil.example/t/acme/",
        "///evil.example",
        "///t/acme/e/account",
        "https://evil.example/t/acme/",
        "http:/t/acme/",
        "javascript:alert(1)",
        "/t/acme/\\evil",
        "/\\evil.example",
        "/t/acme//evil",
        "/t/acmex/",
        "/t/acme",
        "t/acme/e/account",
        "/t/acme/e/account\r\nSet-Cookie: x=1",
        "/t/acme/e/account\x00",
        "/t/acme/" + "a" * 3000,
    ],
)
def test_login_next_outside_the_tenant_goes_home(value: str | None) -> None:
    assert safe_next("acme", value) == HOME


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/t/acme/", "/t/acme/"),
        ("/t/acme/e/account", "/t/acme/e/account"),
        ("/t/acme/e/./account", "/t/acme/e/account"),
        ("/t/acme/e/x/../account", "/t/acme/e/account"),
        ("/t/acme/e/account?q=x%20y&sort=-name", "/t/acme/e/account?q=x%20y&sort=-name"),
        ("/t/acme/e/account#top", "/t/acme/e/account"),
        ("/t/acme/calendar/", "/t/acme/calendar/"),
        ("/t/acme/e/%61ccount", "/t/acme/e/account"),
    ],
)
def test_login_next_inside_the_tenant_is_kept_normalised(value: str, expected: str) -> None:
    assert safe_next("acme", value) == expected
