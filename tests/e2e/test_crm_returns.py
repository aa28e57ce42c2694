"""CRM returns against an order line (seed/crm/entities/return_request.yaml): never more
than the line holds (what was delivered of it once the line says so) less what other returns
of it already took; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest
from crm_sales_support import CrmWorld, created, crm_world

TOO_MANY = (
    "A return cannot exceed the quantity ordered on its line, less what was already returned."
)
DELIVERED = (
    "A return cannot exceed the quantity delivered on its line, less what was already returned."
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def crm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrmWorld]:
    yield from crm_world(request.param, tmp_path_factory.mktemp(f"returns-{request.param}"))


def _order(crm: CrmWorld, quantity: str) -> tuple[dict[str, Any], int]:
    account = crm.account("Globex")
    line = {"description": "Licence", "quantity": quantity, "unit_price": "100"}
    order = created(crm.admin.post("sales_order", json={"account": account["id"], "items": [line]}))
    return order, int(order["items"][0]["id"])


def _return(crm: CrmWorld, order: dict[str, Any], line: int, quantity: int) -> Any:
    body = {"sales_order": order["id"], "order_line": line, "quantity": quantity,
            "reason": "damaged"}  # fmt: skip
    return crm.admin.post("return_request", json=body)


def test_a_return_never_exceeds_what_is_left_of_its_order_line(crm: CrmWorld) -> None:
    order, line = _order(crm, "5")
    refused = _return(crm, order, line, 6)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"]["quantity"] == [TOO_MANY]
    first = created(_return(crm, order, line, 3))
    left = crm.admin.get(f"sales_order_line/{line}").json()
    assert D(left["returned_quantity"]) == D("3")
    over = _return(crm, order, line, 3)  # 3 + 3 > 5
    assert over.status_code == 422 and over.json()["errors"]["quantity"] == [TOO_MANY]
    second = created(_return(crm, order, line, 2))  # exactly what is left
    # Editing a return counts its own quantity once: 3 → 3 is fine, 3 → 4 is not.
    same = crm.admin.patch(f"return_request/{first['id']}", json={"quantity": 3, "notes": "x"})
    assert same.status_code == 200, same.text
    more = crm.admin.patch(f"return_request/{first['id']}", json={"quantity": 4})
    assert more.status_code == 422 and more.json()["errors"]["quantity"] == [TOO_MANY]
    # A rejected return frees its quantity.
    for step in ("reject",):
        moved = crm.admin.post(f"return_request/{second['id']}/transitions/{step}")
        assert moved.status_code == 200, moved.text
    assert D(crm.admin.get(f"sales_order_line/{line}").json()["returned_quantity"]) == D("3")
    created(_return(crm, order, line, 2))


def test_a_return_names_a_line_of_its_own_order(crm: CrmWorld) -> None:
    order, _ = _order(crm, "2")
    _, foreign = _order(crm, "2")
    answer = _return(crm, order, foreign, 1)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"]["order_line"] == ["The order line belongs to another order."]
    without = crm.admin.post("return_request", json={"sales_order": order["id"], "quantity": 9})
    assert without.status_code == 201, without.text  # no line named: nothing to check against


def test_once_delivered_a_return_is_counted_against_the_delivered_quantity(
    crm: CrmWorld,
) -> None:
    order, line = _order(crm, "5")
    # Delivered: never negative, never more than ordered; 422 naming the line's field.
    for bad in ("6", "-1"):
        refused = crm.admin.patch(
            f"sales_order/{order['id']}", json={"items": [{"id": line, "delivered_quantity": bad}]}
        )
        assert refused.status_code == 422, refused.text
        assert "items[0].delivered_quantity" in refused.json()["errors"], refused.text
    shipped = crm.admin.patch(
        f"sales_order/{order['id']}", json={"items": [{"id": line, "delivered_quantity": "2"}]}
    )
    assert shipped.status_code == 200, shipped.text
    # 3 of 5 were ordered but only 2 delivered: refused, naming the field, nothing stored.
    over = _return(crm, order, line, 3)
    assert over.status_code == 422, over.text
    assert over.json()["errors"]["quantity"] == [DELIVERED]
    left = crm.admin.get(f"sales_order_line/{line}").json()["returned_quantity"]
    assert D(left or 0) == 0
    first = created(_return(crm, order, line, 2))
    assert _return(crm, order, line, 1).json()["errors"]["quantity"] == [DELIVERED]
    # Its own quantity is not counted twice when edited; more than delivered is not.
    same = crm.admin.patch(f"return_request/{first['id']}", json={"quantity": 2, "notes": "x"})
    assert same.status_code == 200, same.text
    more = crm.admin.patch(f"return_request/{first['id']}", json={"quantity": 3})
    assert more.status_code == 422 and more.json()["errors"]["quantity"] == [DELIVERED]
    # The rest delivered: one more may come back.
    rest = crm.admin.patch(
        f"sales_order/{order['id']}", json={"items": [{"id": line, "delivered_quantity": "5"}]}
    )
    assert rest.status_code == 200, rest.text
    created(_return(crm, order, line, 3))
