"""Sign in with two-factor in a real browser: enrol on the account page, then sign in."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp

from ui_support import PASSWORD, add_user

EMAIL = "totp@acme.test"


def _sign_in_form(tab: Any) -> None:
    tab.goto("/t/acme/login")
    tab.get_by_label("Email").fill(EMAIL)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()


def test_sign_in_with_a_wrong_password_then_with_two_factor(page: Any, live: Any) -> None:
    add_user(live.runtime, "acme", EMAIL, ["admin"])
    page.goto("/t/acme/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert "The email or password is not right." in page.locator("#login-error").inner_text()

    _sign_in_form(page)
    page.wait_for_url("**/t/acme/")
    page.goto("/t/acme/account")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    qr.wait_for()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # CSP allows data: images
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
    page.get_by_label("Code from the app").fill(totp.at(time.time()))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.locator("#recovery-codes li")
    codes.first.wait_for()
    assert codes.count() == 10

    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/t/acme/login")
    _sign_in_form(page)
    page.wait_for_url(re.compile(r".*/t/acme/login/verify.*"))
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    assert "That code is not right" in page.locator("#verify-error").inner_text()
    page.get_by_label("Code").fill(totp.at(time.time() + 30))  # the next step: never replayed
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/t/acme/")
    assert EMAIL in page.locator(".usermenu summary").inner_text()
    assert page.errors == []
