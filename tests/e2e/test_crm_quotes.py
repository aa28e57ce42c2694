"""CRM quotes through the API: lines, totals and bad input; a discount above 15 % needs a
sales manager's approval before the quote is sent (seed/crm/workflows/quote_flow.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest
from crm_sales_support import LINES, CrmWorld, created, crm_world


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def crm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrmWorld]:
    yield from crm_world(request.param, tmp_path_factory.mktemp(f"quotes-{request.param}"))


def test_quote_lines_totals_and_bad_input(crm: CrmWorld) -> None:
    rep = crm.rep
    account = crm.account("Initech")
    quote = created(
        rep.post("quote", json={"name": "Q1", "account": account["id"], "items": LINES,
                                "discount_percent": "10", "tax_rate": "21"})
    )  # fmt: skip
    assert quote["number"].startswith("Q-") and quote["status"] == "draft"
    assert [D(line["line_total"]) for line in quote["items"]] == [D("600"), D("450")]
    assert (D(quote["subtotal"]), quote["line_count"]) == (D("1050"), 2)
    assert D(quote["discount_amount"]) == D("105")
    assert D(quote["tax_amount"]) == D("198.45")  # (1050 - 105) * 21 %
    assert D(quote["total"]) == D("1143.45")
    # A changed line updates the rollup and the formulas in the same save.
    first = quote["items"][0]["id"]
    changed = rep.patch(f"quote/{quote['id']}", json={"items": [{"id": first, "quantity": "1"}]})
    assert changed.status_code == 200, changed.text
    assert (D(changed.json()["subtotal"]), changed.json()["line_count"]) == (D("200"), 1)
    # Bad input: 422 naming the field, nothing saved.
    negative = rep.post("quote", json={"name": "Q2", "account": account["id"],
                                       "items": [{**LINES[0], "quantity": "-2"}]})  # fmt: skip
    assert negative.status_code == 422
    assert negative.json()["errors"]["items[0].quantity"] == ["The quantity cannot be negative."]
    for body in ({"discount_percent": "150"}, {"items": [{**LINES[1], "discount_percent": "101"}]}):
        refused = rep.post("quote", json={"name": "Q3", "account": account["id"], **body})
        assert refused.status_code == 422, refused.text
        assert any("discount_percent" in key for key in refused.json()["errors"]), refused.text
    assert rep.get("quote", params={"filter": f"account == {account['id']}"}).json()["count"] == 1
    # The approved discount is kept by the flow, not typed in.
    typed = rep.patch(f"quote/{quote['id']}", json={"discount_approved": "50"})
    assert typed.status_code == 422
    assert (
        typed.json()["errors"]["__all__"]
        == [
            "Rule 'Keep the approved discount' refused the save: "
            "The approved discount is set when the quote is sent."
        ]
        or "approved discount is set" in typed.text
    )


def test_won_deal_needs_a_close_date(crm: CrmWorld) -> None:
    rep = crm.rep
    account = crm.account("Globex")
    deal = created(rep.post("opportunity", json={"name": "Globex", "account": account["id"]}))
    won = rep.patch(f"opportunity/{deal['id']}", json={"stage": "won"})
    assert won.status_code == 422
    assert won.json()["errors"]["close_date"] == [
        "Set the close date before marking the opportunity won."
    ]
    assert rep.get(f"opportunity/{deal['id']}").json()["stage"] == "prospecting"
    done = rep.patch(f"opportunity/{deal['id']}", json={"stage": "won", "close_date": "2026-12-01"})
    assert done.status_code == 200 and D(done.json()["probability"]) == 100


def test_discount_above_15_percent_waits_for_a_sales_manager(crm: CrmWorld) -> None:
    rep, manager = crm.rep, crm.manager
    account = crm.account("Umbrella")

    def quote(discount: str) -> dict[str, Any]:
        body = {"name": f"D{discount}", "account": account["id"], "items": LINES}
        return created(rep.post("quote", json={**body, "discount_percent": discount}))

    small, big = quote("15"), quote("20")
    # 15 % is sent at once; the discount it was sent with is kept.
    sent = rep.patch(f"quote/{small['id']}", json={"status": "sent"})
    assert sent.status_code == 200, sent.text
    assert (sent.json()["status"], D(sent.json()["discount_approved"])) == ("sent", D("15"))
    # 20 %: neither sent nor accepted without the approval, 409 with the reason.
    direct = rep.patch(f"quote/{big['id']}", json={"status": "sent"})
    assert direct.status_code == 409
    assert "approval" in direct.text and "sales_manager" in direct.text
    skipped = rep.patch(f"quote/{big['id']}", json={"status": "accepted"})
    assert skipped.status_code == 409 and "draft" in skipped.text
    ready = rep.get(f"quote/{big['id']}/transitions").json()["transitions"]
    assert {t["name"]: t["approval"] for t in ready}["send"] == "sales_manager"
    asked = rep.post(f"quote/{big['id']}/transitions/send", json={})
    assert asked.status_code == 202, asked.text
    assert asked.json()["record"]["status"] == "draft"
    assert rep.post(f"quote/{big['id']}/transitions/send/approve").status_code == 403
    approved = manager.post(f"quote/{big['id']}/transitions/send/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], D(approved.json()["discount_approved"])) == ("sent", D("20"))
    # A bigger discount after sending is refused at acceptance until sent (approved) again.
    raised = rep.patch(f"quote/{small['id']}", json={"discount_percent": "30"})
    assert raised.status_code == 200, raised.text
    refused = rep.patch(f"quote/{small['id']}", json={"status": "accepted"})
    assert refused.status_code == 409 and "approval" in refused.text
    accepted = rep.patch(f"quote/{big['id']}", json={"status": "accepted"})
    assert accepted.status_code == 200, accepted.text
