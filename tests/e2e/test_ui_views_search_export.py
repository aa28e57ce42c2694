"""Saved list views, the export of a list view and the global search page."""

from __future__ import annotations

import csv
import io
import json
import re

from litestar.testing import TestClient
from openpyxl import load_workbook

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_records import creator
from ui_support import add_user, crm_tenant, post_form, sign_in

HX = {"HX-Request": "true"}
VIEWS = "/t/acme/e/opportunity/_views"


def _view_links(html: str) -> dict[str, str]:
    """Saved view name -> its list query."""
    found = re.findall(
        r'<a href="/t/acme/e/opportunity\?([^"]*)" data-view="(\d+)">([^<]+)</a>', html
    )
    out = {}
    for query, ident, name in found:  # each link also selects its view (``view=<id>``)
        kept = query.replace("&amp;", "&").removesuffix(f"view={ident}").rstrip("&")
        out[name] = kept
    return out


def test_saved_views_private_shared_and_deleted(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "manager@acme.test", ["sales_manager"])
    add_user(runtime, "acme", "other@acme.test", ["sales_manager"])
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "manager@acme.test").status_code == 303
        listing = client.get("/t/acme/e/opportunity")
        assert f'hx-get="{VIEWS}"' in listing.text
        empty = client.get(VIEWS, headers=HX)
        assert empty.status_code == 200 and "No saved views yet." in empty.text

        query = {"q": "big", "sort": "-amount", "f": "stage", "op": "eq", "v": "proposal"}
        mine = post_form(client, VIEWS, {**query, "name": "  My   big deals "}, headers=HX)
        assert mine.status_code == 200 and "View “My big deals” saved." in mine.text
        shared = post_form(
            client,
            VIEWS,
            {"filter": "amount > 1000", "name": "Large", "shared": "1"},
            headers=HX,
        )
        assert "saved and shared." in shared.text
        links = _view_links(shared.text)
        assert links == {
            "Large": "filter=amount+%3E+1000",
            "My big deals": "q=big&sort=-amount&f=stage&op=eq&v=proposal",
        }
        opened = client.get(f"/t/acme/e/opportunity?{links['My big deals']}")
        assert 'value="big"' in opened.text

        replaced = post_form(client, VIEWS, {"q": "huge", "name": "My big deals"}, headers=HX)
        assert _view_links(replaced.text)["My big deals"] == "q=huge"

        for form, message in (
            ({"name": "   "}, "Give the view a name."),
            ({"name": "x" * 81}, "At most 80 characters."),
            ({"name": "Broken", "filter": "amout > 1"}, "This view cannot be saved:"),
            ({"name": "Long", "q": "y" * 2100}, "longer than 2000 characters"),
        ):
            refused = post_form(client, VIEWS, form, headers=HX)
            assert refused.status_code == 422 and message in refused.text, form
        plain = post_form(client, VIEWS, {"name": ""}, follow_redirects=False)
        assert plain.status_code == 303
        assert "Not saved: Give the view a name." in client.get(plain.headers["location"]).text

    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "other@acme.test").status_code == 303
        seen = client.get(VIEWS, headers=HX).text
        assert set(_view_links(seen)) == {"Large"}  # shared, not private
        assert "by manager</span>" in seen
        assert "/delete" not in seen  # only the owner deletes
        ids = re.findall(r'data-view="(\d+)">Large<', seen)
        refused = post_form(client, f"{VIEWS}/{ids[0]}/delete", {}, headers=HX)
        assert refused.status_code == 404

    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "manager@acme.test").status_code == 303
        html = client.get(VIEWS, headers=HX).text
        ident = re.findall(r'data-view="(\d+)">Large<', html)[0]
        deleted = post_form(client, f"{VIEWS}/{ident}/delete", {}, headers=HX)
        assert deleted.status_code == 200 and "View “Large” deleted." in deleted.text
        assert set(_view_links(deleted.text)) == {"My big deals"}
        again = post_form(client, f"{VIEWS}/{ident}/delete", {}, headers=HX)
        assert again.status_code == 404


def test_export_of_the_current_view_honours_scope_and_permission(runtime: Runtime) -> None:
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    add_user(runtime, "acme", "viewer@acme.test", ["read_only"])
    account = creator(runtime, "acme", admin)("account", name="Acme Corp", annual_revenue="5")
    creator(runtime, "acme", admin)("opportunity", name="Admin deal", account=account["id"])
    make = creator(runtime, "acme", rep)
    make("opportunity", name="Rep small", account=account["id"], amount="10")
    make("opportunity", name="Rep large", account=account["id"], amount="5000")
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "rep@acme.test").status_code == 303
        listing = client.get("/t/acme/e/opportunity?q=rep")
        assert 'data-export="xlsx"' in listing.text
        assert "/t/acme/e/opportunity/export?format=csv&amp;q=rep" in listing.text

        done = client.get("/t/acme/e/opportunity/export?format=csv&q=rep&f=amount&op=gt&v=100")
        assert done.status_code == 200 and done.headers["content-type"].startswith("text/csv")
        assert "attachment;" in done.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(done.text)))
        assert [r["name"] for r in rows] == ["Rep large"]

        everything = client.get("/t/acme/e/opportunity/export?format=json")
        names = sorted(r["name"] for r in json.loads(everything.text))
        assert names == ["Rep large", "Rep small"]  # the admin's deal is out of scope

        workbook = client.get("/t/acme/e/opportunity/export?format=xlsx&q=small")
        sheet = load_workbook(io.BytesIO(workbook.content)).active
        assert sheet is not None
        values = [c.value for row in sheet.iter_rows() for c in row]
        assert "Rep small" in values and "Rep large" not in values

        accounts = client.get("/t/acme/e/account/export?format=csv")
        assert accounts.status_code == 403  # sales_rep may read accounts, not export them
        bad = client.get("/t/acme/e/opportunity/export?format=pdf")
        assert bad.status_code == 400 and "Unknown export format" in bad.text
        bad_filter = client.get("/t/acme/e/opportunity/export?format=csv&filter=amout%20%3E%201")
        assert bad_filter.status_code == 400 and "amout" in bad_filter.text
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        full = client.get("/t/acme/e/account/export?format=csv")
        assert "annual_revenue" in full.text.splitlines()[0]
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "viewer@acme.test").status_code == 303
        refused = client.get("/t/acme/e/opportunity/export?format=csv")
        assert refused.status_code == 403


def test_global_search_groups_results_and_follows_scope(runtime: Runtime) -> None:
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    make = creator(runtime, "acme", admin)
    account = make("account", name="Zephyr Industries")["id"]
    make("opportunity", name="Zephyr renewal", account=account)
    make("ticket", subject="Zephyr printer")
    creator(runtime, "acme", rep)("opportunity", name="Zephyr upsell", account=account)
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        home = client.get("/t/acme/")
        assert 'action="/t/acme/search"' in home.text
        found = client.get("/t/acme/search?q=zephyr")
        assert found.status_code == 200
        headings = re.findall(r'<h2 id="found-([a-z_]+)">([^<]+)', found.text)
        assert [h[0] for h in headings] == ["account", "opportunity", "ticket"]
        assert "Zephyr renewal" in found.text and "Zephyr upsell" in found.text
        assert f'href="/t/acme/e/account/{account}"' in found.text
        assert 'value="zephyr"' in found.text  # the top bar keeps the search text
        prompt = client.get("/t/acme/search")
        assert prompt.status_code == 200 and "Type a name or a word" in prompt.text
        nothing = client.get("/t/acme/search?q=nothing+like+this")
        assert 'id="search-empty"' in nothing.text
        long = client.get("/t/acme/search?q=" + "x" * 201)
        assert long.status_code == 400 and "longer than 200 characters" in long.text
        assert "At most 200 characters." in long.text
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "rep@acme.test").status_code == 303
        found = client.get("/t/acme/search?q=zephyr").text
        assert "Zephyr upsell" in found and "Zephyr Industries" in found
        assert "Zephyr renewal" not in found  # another user's deal, outside the rep's scope
        assert "Zephyr printer" not in found  # tickets are not readable by sales reps
