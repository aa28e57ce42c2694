"""The tenant record API end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from helpers import Api


def _account(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("account", json={"name": "Acme", **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_returns_201_with_flat_record(api: Api) -> None:
    response = api.post(
        "account",
        json={
            "name": "Acme",
            "revenue": 1234.5,
            "share": "12.5",
            "employees": 10,
            "founded": "2020-02-29",
            "last_contact": "2026-01-31T10:00:00+02:00",
            "tags": ["vip", "eu"],
            "channels": ["web"],
            "extra": {"a": [1, 2]},
            "email": "info@acme.test",
            "website": "https://acme.test",
            "phone": "+33 1 23 45 67 89",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert body["revenue"] == "1234.50"
    assert body["share"] == "12.5"
    assert body["founded"] == "2020-02-29"
    assert body["last_contact"] == "2026-01-31T08:00:00Z"
    assert body["tags"] == ["vip", "eu"]
    assert body["extra"] == {"a": [1, 2]}
    assert body["active"] is True
    assert body["double_employees"] == 20
    assert body["number"] == "A-0001"
    assert body["version"] == 1
    assert body["deleted_at"] is None
    assert isinstance(body["id"], int)
    assert set(body) >= {"created_at", "created_by", "updated_at", "updated_by", "owner_id"}
    assert body["owner_id"] == body["created_by"]


def test_read_update_delete_cycle(api: Api) -> None:
    created = _account(api)
    url = f"account/{created['id']}"
    read = api.get(url)
    assert read.status_code == 200
    assert read.json() == created
    assert read.headers["etag"] == '"1"'

    updated = api.patch(url, json={"employees": 7}, headers={"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.json()["double_employees"] == 14
    assert updated.headers["etag"] == '"2"'

    stale = api.patch(url, json={"employees": 8}, headers={"If-Match": "1"})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert api.get(url).json()["employees"] == 7

    by_body = api.patch(url, json={"employees": 9, "version": 2})
    assert by_body.status_code == 200
    stale_body = api.patch(url, json={"employees": 10, "version": 2})
    assert stale_body.status_code == 409

    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert api.patch(url, json={"employees": 1}).status_code == 404
    assert api.delete(url).status_code == 404
    assert api.get("account").json()["items"] == []


def test_change_log_keeps_a_row_per_write(api: Api, runtime: Any) -> None:
    created = _account(api)
    api.patch(f"account/{created['id']}", json={"employees": 3})
    api.delete(f"account/{created['id']}")
    app = runtime.app("acme")
    with runtime.engines.tenant_connection("acme") as conn:
        rows = conn.execute(app.changes.select().order_by(app.changes.c.id)).all()
    assert [r.op for r in rows] == ["create", "update", "delete"]
    assert rows[1].changes["employees"] == [None, 3]


def test_unknown_entity_and_id_are_404(api: Api) -> None:
    assert api.get("nothing").status_code == 404
    assert api.get("account/999999").status_code == 404
    assert api.get("account/abc").status_code == 404
    assert api.post("nothing", json={}).status_code == 404


def test_invalid_json_is_400(api: Api) -> None:
    response = api.post(
        "account", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["errors"]["__all__"][0]
    assert api.post("account", json=[1, 2]).status_code == 400
    created = _account(api)
    json_type = {"Content-Type": "application/json"}
    assert (
        api.patch(f"account/{created['id']}", content=b"nope", headers=json_type).status_code == 400
    )


def test_every_bad_field_is_reported_at_once(api: Api) -> None:
    response = api.post(
        "account",
        json={
            "employees": "many",
            "email": "not-an-email",
            "website": "ftp:/x",
            "industry": "farming",
            "revenue": -5,
            "share": 150,
            "founded": "2026-02-30",
            "last_contact": "yesterday",
            "active": "yes",
            "tags": "vip",
            "phone": "call me",
            "rating": "1.2.3",
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["name"] == ["This field is required."]
    assert set(errors) == {
        "name",
        "employees",
        "email",
        "website",
        "industry",
        "revenue",
        "share",
        "founded",
        "last_contact",
        "active",
        "tags",
        "phone",
        "rating",
    }
    assert "valid email" in errors["email"][0]
    assert "farming" in errors["industry"][0]
    assert errors["revenue"] == ["Must be at least 0."]
    assert api.get("account").json()["count"] == 0


def test_out_of_range_and_too_long(api: Api) -> None:
    response = api.post("account", json={"name": "x" * 101, "employees": 2_000_000})
    errors = response.json()["errors"]
    assert response.status_code == 422
    assert errors["name"] == ["Must be at most 100 characters long."]
    assert errors["employees"] == ["Must be at most 1000000."]


def test_computed_standard_and_unknown_fields_are_refused(api: Api) -> None:
    response = api.post(
        "account", json={"name": "A", "id": 5, "version": 3, "double_employees": 1, "nmae": "x"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "cannot be written" in errors["id"][0]
    assert "cannot be written" in errors["double_employees"][0]
    assert "did you mean 'name'" in errors["nmae"][0]


def test_validation_rules_and_references(api: Api) -> None:
    forbidden = api.post("account", json={"name": "forbidden", "revenue": 2_000_000})
    assert forbidden.status_code == 422
    assert forbidden.json()["errors"] == {
        "__all__": ["This name is not allowed."],
        "revenue": ["Revenue must not exceed one million."],
    }
    missing = api.post("contact", json={"last_name": "Doe", "account": 4242})
    assert missing.status_code == 422
    assert missing.json()["errors"]["account"] == ["No account with id 4242."]
    account = _account(api, industry="retail")
    contact = api.post(
        "contact", json={"first_name": "Jane", "last_name": "Doe", "account": account["id"]}
    )
    assert contact.status_code == 201, contact.text
    assert contact.json()["full_name"] == "Jane Doe"
    assert contact.json()["industry"] == "retail"


def test_unique_field_conflict_is_422(api: Api) -> None:
    _account(api, email="a@b.test")
    response = api.post("account", json={"name": "Other", "email": "a@b.test"})
    assert response.status_code == 422
    assert "already" in response.json()["errors"]["email"][0]
    first = api.get("account").json()["items"][0]
    api.delete(f"account/{first['id']}")
    assert api.post("account", json={"name": "Again", "email": "a@b.test"}).status_code == 201


def test_required_field_cannot_be_cleared(api: Api) -> None:
    created = _account(api)
    response = api.patch(f"account/{created['id']}", json={"name": None})
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": ["This field is required."]}


def test_bad_if_match_is_400(api: Api) -> None:
    created = _account(api)
    response = api.patch(
        f"account/{created['id']}", json={"employees": 1}, headers={"If-Match": "banana"}
    )
    assert response.status_code == 400


def test_idempotency_key_replays_the_first_answer(api: Api) -> None:
    headers = {"Idempotency-Key": "create-42"}
    first = api.post("account", json={"name": "Once"}, headers=headers)
    second = api.post("account", json={"name": "Once"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert api.get("account").json()["count"] == 1
    other = api.post("account", json={"name": "Different"}, headers=headers)
    assert other.status_code == 409


def test_bulk_create_and_upsert_never_half_applies(api: Api) -> None:
    response = api.post(
        "account/bulk",
        json=[
            {"name": "One", "email": "one@x.test"},
            {"name": "Two", "email": "bad"},
            {"email": "three@x.test"},
            "not an object",
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert [i["status"] for i in body["items"]] == ["created", "error", "error", "error"]
    assert body["created"] == 1 and body["failed"] == 3
    assert "email" in body["items"][1]["errors"]
    assert api.get("account").json()["count"] == 1

    upsert = api.post(
        "account/bulk",
        json={
            "upsert_key": "email",
            "items": [
                {"name": "One renamed", "email": "one@x.test"},
                {"name": "Four", "email": "four@x.test"},
            ],
        },
    )
    assert [i["status"] for i in upsert.json()["items"]] == ["updated", "created"]
    names = sorted(r["name"] for r in api.get("account").json()["items"])
    assert names == ["Four", "One renamed"]
    bad_key = api.post("account/bulk", json={"upsert_key": "nope", "items": []})
    assert bad_key.status_code == 400
