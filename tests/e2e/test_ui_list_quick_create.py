"""The list screen's quick-create row: 201 with the new row, 422 keeping what was typed."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_records import creator, record
from ui_support import add_user, crm_tenant, post_form, sign_in

HX = {"HX-Request": "true"}
LIST = "/t/acme/e/opportunity"
QUICK = f"{LIST}/_quick"


def test_quick_create_row_saves_through_the_create_path(runtime: Runtime) -> None:
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    add_user(runtime, "acme", "viewer@acme.test", ["read_only"])
    account = creator(runtime, "acme", admin)("account", name="Acme Corp")["id"]
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        listing = client.get(LIST).text
        row = listing.split('id="quick-create-row"')[1].split("</tr>")[0]
        assert re.findall(r'id="qc-([a-z_]+)"', row) == ["name", "account", "stage"]
        assert '<option value="prospecting" selected>' in row  # the field's default
        assert 'id="quick-create" method="post"' in listing

        created = post_form(
            client,
            QUICK,
            {"name": "Quick deal", "account": str(account), "stage": "prospecting"},
            headers=HX,
        )
        assert created.status_code == 201
        assert "Opportunity created." in created.text and 'id="quick-create-row"' in created.text
        ident = int(re.findall(r'data-href="/t/acme/e/opportunity/(\d+)"', created.text)[0])
        stored = record(runtime, "acme", "opportunity", ident)
        assert stored["name"] == "Quick deal" and stored["account"] == account
        assert stored["currency"] == "EUR"  # defaults filled by the save pipeline
        assert "Acme Corp" in created.text  # the new row shows the account's title

        refused = post_form(
            client,
            QUICK,
            {"name": "", "account": str(account), "stage": "prospecting"},
            headers=HX,
        )
        assert refused.status_code == 422
        assert 'id="qc-err-name"' in refused.text and 'aria-invalid="true"' in refused.text
        assert 'value="Acme Corp"' in refused.text  # the chosen account is kept
        assert 'value="prospecting" selected' in refused.text
        kept = post_form(
            client,
            QUICK,
            {"name": "Keep me", "account": "", "stage": "qualification"},
            headers=HX,
        )
        assert kept.status_code == 422 and 'id="qc-err-account"' in kept.text
        assert 'value="Keep me"' in kept.text and 'value="qualification" selected' in kept.text

        # The row follows the list's columns: without the account column it cannot create.
        narrow = client.get(f"{LIST}?col=name&col=amount").text
        assert 'id="quick-create-row"' not in narrow
        no_row = post_form(client, f"{QUICK}?col=name", {"name": "x"}, headers=HX)
        assert no_row.status_code == 400 and "has no quick-create row" in no_row.text
        chosen = post_form(
            client,
            f"{QUICK}?col=account&col=name",
            {"name": "Ordered", "account": str(account)},
            headers=HX,
        )
        assert chosen.status_code == 201
        cells = re.findall(r'<td data-label="([^"]+)"', chosen.text.split("</tr>", 1)[1])
        assert cells == ["Account", "Name"]
        spanish = client.get(LIST, headers={"Accept-Language": "es"}).text
        assert "Añadir" in spanish.split('id="quick-create-row"')[1].split("</tr>")[0]

    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "viewer@acme.test").status_code == 303
        assert 'id="quick-create-row"' not in client.get(LIST).text
        forbidden = post_form(client, QUICK, {"name": "x", "account": str(account)}, headers=HX)
        assert forbidden.status_code == 403
