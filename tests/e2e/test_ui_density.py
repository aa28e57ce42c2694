"""List density is each member's own setting, kept in the system database."""

from __future__ import annotations

from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_support import add_user, crm_tenant, post_form, sign_in

DENSITY = "/t/acme/account/density"


def test_density_is_per_member_and_refuses_unknown_values(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    with TestClient(app=create_web_app(runtime)) as admin:
        sign_in(admin, "acme", "admin@acme.test")
        assert 'data-density="comfortable"' in admin.get("/t/acme/e/contact").text
        saved = post_form(
            admin,
            DENSITY,
            {"density": "compact", "next": "/t/acme/e/contact?q=x"},
            follow_redirects=False,
        )
        assert saved.status_code == 303 and saved.headers["location"] == "/t/acme/e/contact?q=x"
        assert 'data-density="compact"' in admin.get("/t/acme/e/account").text
        assert 'id="density-toggle">' in admin.get("/t/acme/e/account").text
        refused = post_form(admin, DENSITY, {"density": "cosy"})
        assert refused.status_code == 400 and "Choose a density of the list." in refused.text
        assert 'value="compact" checked' in refused.text  # the saved choice is kept
        # ``next`` never leaves the tenant.
        away = post_form(
            admin,
            DENSITY,
            {"density": "comfortable", "next": "https://elsewhere.test/"},
            follow_redirects=False,
        )
        assert away.headers["location"] == "/t/acme/"
        assert 'data-density="comfortable"' in admin.get("/t/acme/e/account").text
        post_form(admin, DENSITY, {"density": "compact"})
        sign_in(admin, "acme", "rep@acme.test")  # another member: their own setting
        assert 'data-density="comfortable"' in admin.get("/t/acme/e/account").text
