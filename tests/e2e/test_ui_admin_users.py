"""The users page: the list, invitations and their links, deactivation, two-factor reset,
teams and manager, and who may use it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.config.clock import FakeClock
from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.identity.totp import TwoFactor
from trellis.platform.people import Invitations
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import RegistryError
from trellis.tenants.registry.member_status import set_member_active
from trellis.tenants.registry.members import update_member
from trellis.ui.screens.app import create_web_app

from ui_activity_support import screen_problems, signed_in_client
from ui_support import PASSWORD, add_user, crm_tenant, csrf_token, post_form, sign_in

HX = {"hx-request": "true"}
NEW_PASSWORD = "plum tree lantern 42"


def _audit(runtime: Runtime, action: str) -> list[dict[str, Any]]:
    log = runtime.registry.metadata.tables["audit_log"]
    with runtime.registry.connect() as conn:
        rows = conn.execute(sa.select(log).where(log.c.action == action).order_by(log.c.id))
        return [dict(r._mapping) for r in rows]


def _enrol(runtime: Runtime, email: str) -> None:
    user_id = runtime.registry.user_id(email)
    assert user_id is not None
    two_factor = TwoFactor(runtime.registry, runtime.config, clock=runtime.clock)
    secret = two_factor.begin(user_id, email, "acme").secret
    two_factor.confirm(user_id, pyotp.TOTP(secret).at(runtime.clock.now()))
    assert two_factor.is_enabled(user_id)


def _invite(client: TestClient[Any], email: str, roles: list[str], **extra: str) -> Any:
    body = {"email": email, "roles": roles, "language": "en", **extra}
    return post_form(client, "/t/acme/admin/users/invite", body, headers=HX)


def _link(runtime: Runtime, email: str) -> str:
    invitations = Invitations(runtime)
    (found,) = [i for i in invitations.pending("acme") if i.email == email]
    return invitations.path("acme", found)


def _accept(client: TestClient[Any], path: str, data: dict[str, str]) -> Any:
    page = client.get(path)
    token = csrf_token(client, page.text, path)
    return client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


def test_admin_sees_every_member_with_roles_teams_manager_and_two_factor(
    runtime: Runtime,
) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    update_member(
        runtime.registry, "acme", "rep@acme.test", teams=["north"], manager="admin@acme.test"
    )
    _enrol(runtime, "rep@acme.test")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        assert 'href="/t/acme/admin/users"' in client.get("/t/acme/admin/jobs").text
        html = client.get("/t/acme/admin/users").text
        assert screen_problems(html) == []
        row = html.split('id="person-', 3)[2]  # admin@ sorts first, then rep@
        assert "rep@acme.test" in row and "sales_rep" in row
        assert '<td data-label="Teams" class="person-teams">north</td>' in row
        assert '<td data-label="Manager" class="person-manager">admin@acme.test</td>' in row
        assert '<td data-label="Two-factor" class="person-2fa">On</td>' in row
        assert '<td data-label="Active" class="person-active">Yes</td>' in row
        spanish = client.get("/t/acme/admin/users", headers={"accept-language": "es"}).text
        assert "Invitar a alguien" in spanish or "Usuarios" in spanish


def test_an_invitation_link_sets_a_password_joins_and_signs_in(runtime: Runtime) -> None:
    crm_tenant(runtime)
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        sent = _invite(admin, "New.Person@Example.com", ["sales_rep"])
        assert sent.status_code == 200
        assert "Invitation sent to new.person@example.com" in sent.text
        assert "new.person@example.com as sales_rep" in sent.text
    outbox = runtime.app("acme").metadata.tables[OUTBOX_TABLE]
    with runtime.engines.tenant_connection("acme") as conn:
        (job,) = conn.execute(sa.select(outbox).where(outbox.c.kind == "invite")).all()
    assert set(job.payload) == {"invitation_id", "base_url"}  # never the token itself
    path = _link(runtime, "new.person@example.com")
    with TestClient(app=create_web_app(runtime)) as guest:
        page = guest.get(path)
        assert page.status_code == 200 and "Choose a password" in page.text
        assert page.headers["content-type"].startswith("text/html")
        assert screen_problems(page.text) == []
        differ = _accept(guest, path, {"password": NEW_PASSWORD, "repeat": "other words 12"})
        assert differ.status_code == 422 and "The two passwords differ" in differ.text
        weak = _accept(guest, path, {"password": "short", "repeat": "short"})
        assert weak.status_code == 422 and "at least" in weak.text
        done = _accept(
            guest, path, {"name": "Nia", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        )
        assert done.status_code == 303 and done.headers["location"] == "/t/acme/"
        assert guest.get("/t/acme/").status_code == 200
        again = guest.get(path)
        assert again.status_code == 410
        assert "This invitation has already been used." in again.text
    identity = runtime.registry.member_identity(
        "acme", runtime.registry.user_id("new.person@example.com") or 0
    )
    assert identity is not None and identity.roles == ("sales_rep",)
    assert [r["target"] for r in _audit(runtime, "member.invite")] == [
        "user:new.person@example.com"
    ]
    assert len(_audit(runtime, "member.invite.accept")) == 1
    with TestClient(app=create_web_app(runtime)) as fresh:
        assert sign_in(fresh, "acme", "new.person@example.com", NEW_PASSWORD).status_code == 303


def test_someone_with_an_account_accepts_with_their_own_password(runtime: Runtime) -> None:
    crm_tenant(runtime)
    crm_tenant(runtime, "beta")
    add_user(runtime, "beta", "ola@beta.test", ["sales_rep"])
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        assert _invite(admin, "ola@beta.test", ["admin"]).status_code == 200
        member = _invite(admin, "admin@acme.test", ["admin"])
        assert "admin@acme.test is a member of this tenant already" in member.text
    path = _link(runtime, "ola@beta.test")
    with TestClient(app=create_web_app(runtime)) as guest:
        assert "type its password to accept" in guest.get(path).text
        wrong = _accept(guest, path, {"password": "not my password"})
        assert wrong.status_code == 422 and "The password is not right." in wrong.text
        done = _accept(guest, path, {"password": PASSWORD})
        assert done.status_code == 303
        assert guest.get("/t/acme/admin/users").status_code == 200  # joined as admin


def test_tampered_replaced_and_expired_links_are_refused(
    clocked_runtime: Runtime, clock: FakeClock
) -> None:
    runtime = clocked_runtime
    crm_tenant(runtime)
    crm_tenant(runtime, "beta")
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        _invite(admin, "kim@example.com", ["sales_rep"])
        first = _link(runtime, "kim@example.com")
        _invite(admin, "kim@example.com", ["sales_rep"])  # a newer invitation replaces it
        latest = _link(runtime, "kim@example.com")
    with TestClient(app=create_web_app(runtime)) as guest:
        replaced = guest.get(first)
        assert replaced.status_code == 410 and "replaced by a newer one" in replaced.text
        tampered = latest[:-2] + ("AA" if not latest.endswith("AA") else "BB")
        for bad in (tampered, latest.replace("/t/acme/", "/t/beta/"), "/t/acme/invitation/1.2"):
            refused = guest.get(bad)
            assert refused.status_code == 404, bad
            assert "This invitation link is not valid" in refused.text
        assert _accept(guest, tampered, {"password": NEW_PASSWORD}).status_code == 404
        clock.advance(timedelta(days=8).total_seconds())
        expired = guest.get(latest)
        assert expired.status_code == 410 and "This invitation has expired." in expired.text
        spanish = guest.get(latest, headers={"accept-language": "es"})
        assert "La invitación ha caducado." in spanish.text
    assert runtime.registry.user_id("kim@example.com") is None


def test_bad_invitations_are_refused_with_a_reason(runtime: Runtime) -> None:
    crm_tenant(runtime)
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        assert "Type an e-mail address" in _invite(admin, "nobody", ["sales_rep"]).text
        assert "Unknown role &#39;wizard&#39;." in _invite(admin, "a@b.test", ["wizard"]).text
    assert Invitations(runtime).pending("acme") == []


def test_deactivated_members_cannot_sign_in_or_use_tokens(runtime: Runtime) -> None:
    crm_tenant(runtime)
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    token = runtime.registry.create_token("acme", "rep@acme.test")
    bearer = {"authorization": f"Bearer {token}"}
    with (
        TestClient(app=create_web_app(runtime)) as admin,
        TestClient(app=create_web_app(runtime)) as other,
    ):
        signed_in_client(other, "acme", "rep@acme.test")
        assert admin.get("/t/acme/api/account", headers=bearer).status_code == 200
        signed_in_client(admin, "acme", "admin@acme.test")
        done = post_form(admin, f"/t/acme/admin/users/{rep}/deactivate", {}, headers=HX)
        assert "rep@acme.test is deactivated" in done.text
        assert "No (deactivated)" in done.text
        assert admin.get("/t/acme/api/account", headers=bearer).status_code == 401
        assert other.get("/t/acme/", follow_redirects=False).status_code == 303
        with TestClient(app=create_web_app(runtime)) as fresh:
            refused = sign_in(fresh, "acme", "rep@acme.test")
            assert refused.status_code == 403
            assert "Your access to this organisation has been deactivated." in refused.text
        back = post_form(admin, f"/t/acme/admin/users/{rep}/reactivate", {}, headers=HX)
        assert "rep@acme.test is active again." in back.text
        assert admin.get("/t/acme/api/account", headers=bearer).status_code == 200
    assert [r["action"] for r in _audit(runtime, "member.deactivate")] == ["member.deactivate"]
    reasons = [r["detail"]["reason"] for r in _audit(runtime, "auth.signin.failure")]
    assert reasons == ["deactivated member"]
    tokens = [r["detail"]["reason"] for r in _audit(runtime, "auth.failure")]
    assert tokens == ["deactivated member"]
    assert len(_audit(runtime, "member.reactivate")) == 1


def test_the_last_active_admin_cannot_be_deactivated(runtime: Runtime) -> None:
    crm_tenant(runtime)
    me = runtime.registry.user_id("admin@acme.test")
    other = add_user(runtime, "acme", "second@acme.test", ["admin"])
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        own = post_form(admin, f"/t/acme/admin/users/{me}/deactivate", {}, headers=HX)
        assert "You cannot deactivate yourself" in own.text
        post_form(admin, f"/t/acme/admin/users/{other}/deactivate", {}, headers=HX)
        last = post_form(admin, f"/t/acme/admin/users/{me}/deactivate", {}, headers=HX)
        assert "admin@acme.test is the last active admin of this tenant" in last.text
        plain = post_form(admin, f"/t/acme/admin/users/{me}/deactivate", {}, follow_redirects=False)
        assert plain.status_code == 303
        assert "last active admin" in admin.get(plain.headers["location"]).text
        assert (
            post_form(admin, "/t/acme/admin/users/999999/deactivate", {}, headers=HX).status_code
            == 200
        )
    assert runtime.registry.member_identity("acme", me or 0) is not None
    with pytest.raises(RegistryError, match="last active admin"):  # the check under the lock
        set_member_active(runtime.registry, "acme", me or 0, False, actor="cli")


def test_two_factor_reset_is_audited(runtime: Runtime) -> None:
    crm_tenant(runtime)
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    _enrol(runtime, "rep@acme.test")
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        done = post_form(admin, f"/t/acme/admin/users/{rep}/reset-two-factor", {}, headers=HX)
        assert "Two-factor sign-in of rep@acme.test was reset" in done.text
        again = post_form(admin, f"/t/acme/admin/users/{rep}/reset-two-factor", {}, headers=HX)
        assert "rep@acme.test has no two-factor sign-in to reset." in again.text
    assert not TwoFactor(runtime.registry, runtime.config, clock=runtime.clock).is_enabled(rep)
    (row,) = _audit(runtime, "member.2fa.reset")
    assert row["actor"] == "admin@acme.test" and row["target"] == "user:rep@acme.test"


def test_teams_and_manager_are_edited_and_a_loop_is_refused(runtime: Runtime) -> None:
    crm_tenant(runtime)
    me = runtime.registry.user_id("admin@acme.test")
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        url = f"/t/acme/admin/users/{rep}/profile"
        saved = post_form(
            admin, url, {"teams": "north, south", "manager": "admin@acme.test"}, headers=HX
        )
        assert "Teams and manager of rep@acme.test saved." in saved.text
        assert "north, south" in saved.text
        loop = post_form(
            admin,
            f"/t/acme/admin/users/{me}/profile",
            {"teams": "", "manager": "rep@acme.test"},
            headers=HX,
        )
        assert (
            "rep@acme.test cannot manage admin@acme.test: that would make a reporting loop"
            in loop.text
        )
        bad = post_form(admin, url, {"teams": "no spaces allowed", "manager": ""}, headers=HX)
        assert "Team name &#39;no spaces allowed&#39; is not valid" in bad.text
        nobody = post_form(admin, url, {"teams": "", "manager": "ghost@acme.test"}, headers=HX)
        assert "ghost@acme.test is not an active member of this tenant." in nobody.text
        spanish = post_form(
            admin,
            f"/t/acme/admin/users/{me}/profile",
            {"teams": "", "manager": "rep@acme.test"},
            headers={**HX, "accept-language": "es"},
        )
        assert "bucle" in spanish.text
    (row,) = _audit(runtime, "member.update")
    assert row["detail"]["after"] == {
        "teams": ["north", "south"],
        "manager": "admin@acme.test",
        "attributes": {},
    }


def test_only_tenant_admins_reach_the_users_page(runtime: Runtime) -> None:
    crm_tenant(runtime)
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    with TestClient(app=create_web_app(runtime)) as anonymous:
        away = anonymous.get("/t/acme/admin/users", follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"].startswith("/t/acme/login")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        denied = client.get("/t/acme/admin/users")
        assert denied.status_code == 403 and "Only tenant admins may manage users." in denied.text
        assert _invite(client, "x@example.com", ["admin"]).status_code == 403
        for action in ("deactivate", "reactivate", "reset-two-factor", "profile"):
            url = f"/t/acme/admin/users/{rep}/{action}"
            assert post_form(client, url, {"teams": "", "manager": ""}).status_code == 403
    assert Invitations(runtime).pending("acme") == []


def test_wrong_passwords_on_an_invitation_lock_the_account_like_sign_in(
    runtime: Runtime,
) -> None:
    crm_tenant(runtime)
    crm_tenant(runtime, "beta")
    add_user(runtime, "beta", "ola@beta.test", ["sales_rep"])
    with TestClient(app=create_web_app(runtime)) as admin:
        signed_in_client(admin, "acme", "admin@acme.test")
        _invite(admin, "ola@beta.test", ["sales_rep"])
    path = _link(runtime, "ola@beta.test")
    with TestClient(app=create_web_app(runtime)) as guest:
        tries = runtime.config.signin_max_failures
        for _ in range(tries):
            assert _accept(guest, path, {"password": "not my password"}).status_code == 422
        locked = _accept(guest, path, {"password": PASSWORD})
        assert locked.status_code == 422 and "Too many failed attempts" in locked.text
    assert (
        runtime.registry.member_identity("acme", runtime.registry.user_id("ola@beta.test") or 0)
        is None
    )
