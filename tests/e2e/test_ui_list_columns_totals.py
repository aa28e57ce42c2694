"""The list screen: chosen columns (URL and saved views) and money totals."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.i18n import Translator
from trellis.platform.money import rates_table
from trellis.platform.money.rates import parse_rate
from trellis.platform.money.service import store_rates
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_records import creator
from ui_support import add_user, crm_tenant, post_form, sign_in

HX = {"HX-Request": "true"}
LIST = "/t/acme/e/opportunity"
VIEWS = f"{LIST}/_views"


def _header(html: str) -> list[str]:
    """The column names of the list's header (their sort links)."""
    head = html.split("<thead>")[1].split("</thead>")[0]
    return re.findall(r'\?(?:[^"]*&amp;)?sort=-?([a-z_]+)', head)


def _total(html: str, name: str) -> str | None:
    found = re.search(rf'data-total="{name}">([^<]*)', html)
    return found.group(1).strip() if found else None


def _totals(client: TestClient[Any], url: str) -> str:
    """The totals row the list page loads after its rows ("" when it has none)."""
    found = re.search(r'id="list-totals" hx-get="([^"]+)"', client.get(url).text)
    if found is None:
        return ""
    response = client.get(found.group(1).replace("&amp;", "&"), headers=HX)
    assert response.status_code == 200
    return str(response.text)


def _sql_sum(runtime: Runtime, where: str, **params: object) -> Decimal:
    """A plain SQL sum of the live opportunities' amounts matching ``where``."""
    t = runtime.app("acme").entities["opportunity"].table
    query = sa.select(sa.func.coalesce(sa.func.sum(t.c.amount), 0)).where(
        t.c.deleted_at.is_(None), sa.text(where).bindparams(**params)
    )
    with runtime.engines.tenant_connection("acme") as conn:
        value = conn.execute(query).scalar_one()
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_chosen_columns_round_trip_and_are_saved_in_the_view(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "manager@acme.test", ["sales_manager"])
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "manager@acme.test").status_code == 303
        default = client.get(LIST).text
        assert _header(default)[:3] == ["number", "name", "account"]
        assert 'id="col-close_date"' in default and 'id="col-description"' in default

        saved = post_form(client, VIEWS, {"q": "big", "name": "Big"}, headers=HX)
        ident = re.findall(r'data-view="(\d+)">Big<', saved.text)[0]
        assert f'href="{LIST}?q=big&amp;view={ident}"' in saved.text

        chosen = client.get(f"{LIST}?q=big&col=amount&col=name&col=nope&view={ident}")
        assert _header(chosen.text) == ["amount", "name"]  # unknown names are dropped
        assert '<input type="hidden" name="col" value="amount" form="list-query">' in chosen.text
        assert f'name="view" value="{ident}" form="list-query"' in chosen.text
        results = client.get(
            f"{LIST}?part=results&q=big&col=amount&col=name&view={ident}", headers=HX
        )
        pushed = results.headers["HX-Push-Url"]
        assert pushed == f"{LIST}?q=big&col=amount&col=name&view={ident}"

        columns = f"{VIEWS}/{ident}/columns"
        done = post_form(client, columns, {"col": ["amount", "name"]}, headers=HX)
        assert done.status_code == 200 and "Columns saved in the view “Big”." in done.text
        menu = client.get(f"{VIEWS}?view={ident}", headers=HX).text
        link = f'{LIST}?q=big&amp;col=amount&amp;col=name&amp;view={ident}"'
        assert link in menu and 'aria-current="true"' in menu
        reopened = client.get(link[:-1].replace("&amp;", "&"))
        assert _header(reopened.text) == ["amount", "name"]

        refused = post_form(client, columns, {"col": ["amount", "nope"]}, headers=HX)
        assert refused.status_code == 422 and "Unknown column: nope." in refused.text
        plain = post_form(client, columns, {"col": ["nope"]})
        assert plain.status_code == 422
        cleared = post_form(client, columns, {}, headers=HX)
        assert cleared.status_code == 200
        menu = client.get(VIEWS, headers=HX).text
        assert f'href="{LIST}?q=big&amp;view={ident}"' in menu

    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "rep@acme.test").status_code == 303
        other = post_form(client, f"{VIEWS}/{ident}/columns", {"col": ["name"]}, headers=HX)
        assert other.status_code == 404  # another user's view is not revealed
        accounts = client.get("/t/acme/e/account?col=name&col=annual_revenue").text
        assert _header(accounts) == ["name"]  # a hidden field is not shown, nor named
        assert 'id="col-annual_revenue"' not in accounts  # nor offered by the chooser


def test_totals_equal_sql_sums_inside_scope_and_converted(runtime: Runtime) -> None:
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    make = creator(runtime, "acme", admin)
    account = make("account", name="Acme Corp")["id"]
    make("opportunity", name="Admin deal", account=account, amount="1000.50")
    make("opportunity", name="Admin small", account=account, amount="20.25")
    own = creator(runtime, "acme", rep)
    own("opportunity", name="Rep deal", account=account, amount="300.10")
    own("opportunity", name="Rep other", account=account, amount="45")
    en = Translator("en")
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        html = _totals(client, LIST)
        assert _total(html, "amount") == en.money(_sql_sum(runtime, "1 = 1"), "EUR")
        assert _total(html, "name") == ""  # not money: no total
        small = _totals(client, f"{LIST}?q=small")
        expected = _sql_sum(runtime, "name like :n", n="%small%")
        assert _total(small, "amount") == en.money(expected, "EUR")
        accounts = _totals(client, "/t/acme/e/account")
        assert _total(accounts, "pipeline_value") is not None

        store_rates(runtime, "acme", [parse_rate("EUR", "USD", "1.25", "2020-01-01")], admin)
        make("opportunity", name="Dollar deal", account=account, amount="125", currency="USD")
        converted = _totals(client, LIST)
        eur = _sql_sum(runtime, "currency = 'EUR'")
        usd = _sql_sum(runtime, "currency = 'USD'")
        assert _total(converted, "amount") == en.money(eur + usd / Decimal("1.25"), "EUR")
        assert "left out" not in converted
        with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
            conn.execute(rates_table(runtime.app("acme")).delete())
        flagged = _totals(client, LIST)
        assert _total(flagged, "amount") == en.money(eur, "EUR")  # USD left out, not added
        assert "amounts without an exchange rate left out" in flagged
        assert "No exchange rate from USD to EUR" in flagged

    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "rep@acme.test").status_code == 303
        html = _totals(client, LIST)
        mine = _sql_sum(runtime, "owner_id = :u", u=rep)
        assert mine == Decimal("345.10")
        assert _total(html, "amount") == en.money(mine, "EUR")
        accounts = client.get("/t/acme/e/account").text
        assert 'class="restricted"' in accounts  # the rollup counts other reps' deals
        assert 'id="list-totals"' not in accounts  # so it gets no total
        assert _total(_totals(client, "/t/acme/e/account"), "pipeline_value") is None
        spanish = client.get(f"{LIST}/_totals", headers={**HX, "Accept-Language": "es"}).text
        assert "Total" in spanish and "345,10" in spanish
        chosen = _totals(client, f"{LIST}?col=amount&col=name")  # the totals follow the columns
        assert re.findall(r'data-total="([a-z_]+)"', chosen) == ["amount", "name"]
