"""Sign-in screens, two-factor, account security, through the real web app.

Each test gets tenants ``acme`` and ``globex`` and an in-memory session store on a
hand-moved clock (the same clock drives lockout windows and TOTP steps).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from litestar.testing import TestClient

from trellis.platform.config import FakeClock, config_from_env
from trellis.platform.identity import NO_ROLE, WRONG_CODE, WRONG_CREDENTIALS
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import SESSION_COOKIE, MemorySessionStore
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter, make_tenant
from ui_support import PASSWORD, add_user, csrf_token, post_form, sign_in

SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')
CODE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


class Web:
    """The web app over one runtime and session store; opens browser-like clients."""

    def __init__(self, runtime: Runtime, clock: FakeClock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.sessions = MemorySessionStore(idle=30 * 60, absolute=12 * 3600, clock=clock)
        self._clients: list[TestClient[Any]] = []

    def browser(self, base_url: str = "http://testserver.local") -> TestClient[Any]:
        """A new client with its own cookie jar (another browser).

        Each gets its own app (like another server process) over the same runtime and
        session store: two test clients on one app hang at shutdown.
        """
        app = create_web_app(self.runtime, sessions=self.sessions)
        client: TestClient[Any] = TestClient(app=app, base_url=base_url)
        client.__enter__()
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.__exit__(None, None, None)

    def audit(self, action: str, tenant: str = "acme") -> list[dict[str, Any]]:
        info = self.runtime.registry.get_tenant(tenant)
        assert info is not None
        return [e.as_json() for e in self.runtime.registry.audit.entries(info.id, action=action)]


@pytest.fixture
def web(runtime: Runtime, write_package: PackageWriter) -> Iterator[Web]:
    make_tenant(runtime, write_package, "acme")
    make_tenant(runtime, write_package, "globex")
    add_user(runtime, "acme", "norole@acme.test", [])
    site = Web(runtime, FakeClock())
    yield site
    site.close()


def _signed_in(client: TestClient[Any], tenant: str = "acme") -> bool:
    response = client.get(f"/t/{tenant}/", follow_redirects=False)
    if response.status_code == 200:
        return True
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/t/{tenant}/login")
    return False


def _session_cookie(response: Any) -> str:
    [header] = [h for h in response.headers.get_list("set-cookie") if SESSION_COOKIE in h]
    return str(header)


def _form_sign_in_cookies(client: TestClient[Any]) -> tuple[str, str]:
    """Sign in to acme through the form; the CSRF and the session ``Set-Cookie`` headers."""
    form = client.get("/t/acme/login")
    [csrf] = [h for h in form.headers.get_list("set-cookie") if h.startswith("csrftoken=")]
    response = client.post(
        "/t/acme/login",
        data={
            "email": "admin@acme.test",
            "password": PASSWORD,
            "_csrf_token": csrf_token(client, form.text),
        },
        headers={"Cookie": f"csrftoken={form.cookies['csrftoken']}"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return str(csrf), _session_cookie(response)


def test_sign_in_sets_a_tenant_scoped_httponly_cookie(web: Web) -> None:
    client = web.browser()
    assert not _signed_in(client)
    response = sign_in(client, "acme", "admin@acme.test")
    assert response.status_code == 303
    assert response.headers["location"] == "/t/acme/"
    cookie = _session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Path=/t/acme/" in cookie
    assert "Secure" not in cookie  # plain HTTP in the embedded default
    assert _signed_in(client)
    [entry] = web.audit("auth.signin")
    assert entry["actor"] == "admin@acme.test"


def test_cookies_are_secure_when_configured(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    https = sign_in(web.browser("https://testserver.local"), "acme", "admin@acme.test")
    assert https.status_code == 303
    assert "Secure" in _session_cookie(https)  # served over HTTPS
    monkeypatch.setenv("TRELLIS_SECURE_COOKIES", "1")  # plain HTTP behind a TLS proxy
    read = config_from_env(web.runtime.config.data_dir)  # read once, at start
    configured = web.runtime.config.with_overrides(secure_cookies=read.secure_cookies)
    monkeypatch.setattr(web.runtime, "config", configured)
    csrf, session = _form_sign_in_cookies(web.browser())
    assert "Secure" in csrf  # the CSRF cookie too
    assert "Secure" in session


def test_runtime_config_secure_cookies_marks_both_cookies_secure(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRELLIS_SECURE_COOKIES", raising=False)
    secure = web.runtime.config.with_overrides(secure_cookies=True)
    monkeypatch.setattr(web.runtime, "config", secure)
    csrf, session = _form_sign_in_cookies(web.browser())  # plain HTTP: only the config asks
    assert "Secure" in csrf
    assert "Secure" in session


def test_wrong_password_and_unknown_user_get_the_same_page(web: Web) -> None:
    client = web.browser()
    wrong = sign_in(client, "acme", "admin@acme.test", "not the password")
    unknown = sign_in(client, "acme", "nobody@acme.test")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert WRONG_CREDENTIALS in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert 'value="admin@acme.test"' in wrong.text  # the email is kept in the form
    reasons = sorted(e["detail"]["reason"] for e in web.audit("auth.signin.failure"))
    assert reasons == ["unknown user", "wrong password"]
    assert not _signed_in(client)


def test_a_locked_account_says_when_to_try_again_and_unlocks(web: Web) -> None:
    client = web.browser()
    for _ in range(4):
        assert sign_in(client, "acme", "admin@acme.test", "guess guess").status_code == 401
    locked = sign_in(client, "acme", "admin@acme.test", "guess guess")
    assert locked.status_code == 429
    assert "Too many failed attempts; try again in 15 minutes." in locked.text
    still = sign_in(client, "acme", "admin@acme.test")  # right password, still locked
    assert still.status_code == 429
    assert not _signed_in(client)
    web.clock.advance(15 * 60 + 1)
    assert sign_in(client, "acme", "admin@acme.test").status_code == 303
    assert _signed_in(client)


def test_an_expired_session_goes_back_to_sign_in(web: Web) -> None:
    client = web.browser()
    sign_in(client, "acme", "admin@acme.test")
    web.clock.advance(29 * 60)
    assert _signed_in(client)
    web.clock.advance(31 * 60)  # idle for longer than 30 minutes
    response = client.get("/t/acme/e/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/t/acme/login?next=%2Ft%2Facme%2Fe%2Faccount"


def test_forms_without_a_valid_csrf_token_are_refused_and_change_nothing(web: Web) -> None:
    client = web.browser()
    client.get("/t/acme/login")
    missing = client.post("/t/acme/login", data={"email": "admin@acme.test", "password": PASSWORD})
    forged = client.post(
        "/t/acme/login",
        data={"email": "admin@acme.test", "password": PASSWORD, "_csrf_token": "forged"},
    )
    assert (missing.status_code, forged.status_code) == (403, 403)
    assert web.audit("auth.signin") == []
    sign_in(client, "acme", "admin@acme.test")
    for data in ({}, {"_csrf_token": "x" * 64}):
        response = client.post("/t/acme/account/signout-everywhere", data=data)
        assert response.status_code == 403
    assert _signed_in(client)  # still signed in: nothing happened
    assert web.audit("auth.signout.everywhere") == []


def test_a_member_without_any_role_gets_a_clear_refusal(web: Web) -> None:
    client = web.browser()
    response = sign_in(client, "acme", "norole@acme.test")
    assert response.status_code == 403
    assert "Not allowed" in response.text
    assert NO_ROLE in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert not _signed_in(client)


def test_a_session_of_tenant_a_is_useless_on_tenant_b(web: Web) -> None:
    client = web.browser()
    response = sign_in(client, "acme", "admin@acme.test")
    sid = response.cookies[SESSION_COOKIE]
    assert _signed_in(client, "acme")
    assert not _signed_in(client, "globex")  # the browser does not even send it there
    other = web.browser()
    forged = other.get(
        "/t/globex/", headers={"Cookie": f"{SESSION_COOKIE}={sid}"}, follow_redirects=False
    )
    assert forged.status_code == 303
    assert forged.headers["location"].startswith("/t/globex/login")
    screen = other.get(
        "/t/globex/e/account",
        headers={"Cookie": f"{SESSION_COOKIE}={sid}"},
        follow_redirects=False,
    )
    assert screen.status_code == 303
    assert web.sessions.get(sid) is not None  # and it still works on acme


def test_an_unknown_tenant_has_no_sign_in_page(web: Web) -> None:
    assert web.browser().get("/t/nowhere/login").status_code == 404


def _enrol(web: Web, client: TestClient[Any]) -> tuple[pyotp.TOTP, list[str]]:
    """Turn on two-factor sign-in through the account page; returns the app and codes."""
    page = client.get("/t/acme/account")
    assert "Two-factor sign-in is <strong>off</strong>" in page.text
    started = post_form(client, "/t/acme/account/2fa/start", {}, follow_redirects=False)
    assert started.status_code == 303
    page = client.get("/t/acme/account")
    assert 'src="data:image/svg+xml;base64,' in page.text
    found = SECRET.search(page.text)
    assert found is not None
    totp = pyotp.TOTP(found.group(1))
    wrong = post_form(client, "/t/acme/account/2fa/confirm", {"code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.text
    confirmed = post_form(client, "/t/acme/account/2fa/confirm", {"code": totp.at(web.clock.now())})
    assert confirmed.status_code == 200
    codes = CODE.findall(confirmed.text)
    assert len(codes) == 10
    again = client.get("/t/acme/account")
    assert "Two-factor sign-in is <strong>on</strong>" in again.text
    assert not CODE.findall(again.text)  # recovery codes are shown once only
    return totp, codes


def _sign_out(client: TestClient[Any]) -> None:
    response = post_form(client, "/t/acme/logout", {}, follow_redirects=False)
    assert response.status_code == 303
    assert not _signed_in(client)


def test_two_factor_enrolment_then_sign_in_with_a_code(web: Web) -> None:
    client = web.browser()
    sign_in(client, "acme", "admin@acme.test")
    totp, _codes = _enrol(web, client)
    _sign_out(client)
    first = sign_in(client, "acme", "admin@acme.test")
    assert first.status_code == 303
    assert first.headers["location"] == "/t/acme/login/verify?next=/t/acme/"
    pending_sid = first.cookies[SESSION_COOKIE]
    assert not _signed_in(client)  # the password alone is not enough
    form = client.get("/t/acme/login/verify?next=/t/acme/")
    assert form.status_code == 200
    assert 'autocomplete="one-time-code"' in form.text
    token = csrf_token(client, form.text)
    wrong = client.post(
        "/t/acme/login/verify",
        data={"code": "123456", "next": "/t/acme/", "_csrf_token": token},
    )
    assert wrong.status_code == 400
    assert WRONG_CODE in wrong.text
    web.clock.advance(30)
    done = client.post(
        "/t/acme/login/verify",
        data={"code": totp.at(web.clock.now()), "next": "/t/acme/", "_csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/t/acme/"
    assert done.cookies[SESSION_COOKIE] != pending_sid  # a new id after the second factor
    assert web.sessions.get(pending_sid) is None
    assert _signed_in(client)


def test_sign_in_with_a_recovery_code_works_once(web: Web) -> None:
    client = web.browser()
    sign_in(client, "acme", "admin@acme.test")
    _totp, codes = _enrol(web, client)
    for attempt in range(2):
        _sign_out(client)
        sign_in(client, "acme", "admin@acme.test")
        response = post_form(
            client,
            "/t/acme/login/verify",
            {"code": codes[0], "next": "/t/acme/"},
            follow_redirects=False,
        )
        if attempt == 0:
            assert response.status_code == 303
            assert _signed_in(client)
        else:
            assert response.status_code == 400
            assert WRONG_CODE in response.text
            assert not _signed_in(client)
    page = client.get("/t/acme/login/verify")
    assert page.status_code == 200
    assert (
        post_form(
            client, "/t/acme/login/verify", {"code": codes[1]}, follow_redirects=False
        ).status_code
        == 303
    )
    assert "8 of 10 recovery codes are unused" in client.get("/t/acme/account").text


def test_turning_two_factor_off_needs_the_password(web: Web) -> None:
    client = web.browser()
    sign_in(client, "acme", "admin@acme.test")
    _enrol(web, client)
    wrong = post_form(client, "/t/acme/account/2fa/disable", {"password": "nope nope"})
    assert wrong.status_code == 400
    assert "The password is not right." in wrong.text
    off = post_form(client, "/t/acme/account/2fa/disable", {"password": PASSWORD})
    assert off.status_code == 200  # redirected to the account page
    assert "Two-factor sign-in is off." in off.text
    assert len(web.audit("auth.2fa.disable")) == 1
    _sign_out(client)
    assert sign_in(client, "acme", "admin@acme.test").headers["location"] == "/t/acme/"


def test_sign_out_everywhere_ends_the_other_sessions_but_not_api_tokens(
    web: Web, runtime: Runtime
) -> None:
    laptop, phone = web.browser(), web.browser()
    sign_in(laptop, "acme", "admin@acme.test")
    sign_in(phone, "acme", "admin@acme.test")
    token = runtime.registry.create_token("acme", "admin@acme.test")
    assert _signed_in(laptop) and _signed_in(phone)
    response = post_form(laptop, "/t/acme/account/signout-everywhere", {}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/t/acme/login"
    assert not _signed_in(phone)
    assert not _signed_in(laptop)
    api = phone.get("/t/acme/api/account", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    [entry] = web.audit("auth.signout.everywhere")
    assert entry["detail"]["sessions"] == 2


def test_change_password_from_the_account_page(web: Web) -> None:
    mine, other = web.browser(), web.browser()
    sign_in(mine, "acme", "admin@acme.test")
    sign_in(other, "acme", "admin@acme.test")
    cases = [
        ({"new_password": "a long new phrase", "confirm_password": "different"}, "not the same"),
        ({"new_password": "password123", "confirm_password": "password123"}, "breached"),
        ({"new_password": "short", "confirm_password": "short"}, "at least 8 characters"),
    ]
    for data, message in cases:
        response = post_form(
            mine, "/t/acme/account/password", {"current_password": PASSWORD, **data}
        )
        assert response.status_code == 400
        assert message in response.text
    new = "a long new phrase"
    done = post_form(
        mine,
        "/t/acme/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert done.status_code == 200
    assert "Your password is changed" in done.text
    assert _signed_in(mine)
    assert not _signed_in(other)
    assert sign_in(other, "acme", "admin@acme.test").status_code == 401
    assert sign_in(other, "acme", "admin@acme.test", new).status_code == 303


def test_sign_out_is_audited_and_ends_the_session(web: Web) -> None:
    client = web.browser()
    sid = sign_in(client, "acme", "admin@acme.test").cookies[SESSION_COOKIE]
    _sign_out(client)
    assert web.sessions.get(sid) is None
    assert len(web.audit("auth.signout")) == 1


def test_the_web_app_times_sessions_and_lockout_on_the_runtime_clock(
    clocked_runtime: Runtime, clock: FakeClock, write_package: PackageWriter
) -> None:
    make_tenant(clocked_runtime, write_package, "acme")
    app = create_web_app(clocked_runtime)  # its own session store, on the runtime's clock
    with TestClient(app=app, base_url="http://testserver.local") as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        clock.advance(29 * 60)
        assert _signed_in(client)
        clock.advance(31 * 60)  # idle for longer than 30 minutes
        assert not _signed_in(client)
        for _ in range(4):
            assert sign_in(client, "acme", "admin@acme.test", "guess guess").status_code == 401
        assert sign_in(client, "acme", "admin@acme.test", "guess guess").status_code == 429
        clock.advance(15 * 60 - 1)
        assert sign_in(client, "acme", "admin@acme.test").status_code == 429  # still locked
        clock.advance(2)
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        assert _signed_in(client)
