"""Comments over the JSON API: list, post, mentions, scope and bad input."""

from __future__ import annotations

from litestar.testing import TestClient

from trellis.platform.api.app import create_app
from trellis.platform.notifications import list_for_user
from trellis.platform.runtime import Runtime

from helpers import Api
from ui_activity_support import create
from ui_support import add_user, crm_tenant


def test_post_and_list_comments(runtime: Runtime) -> None:
    crm_tenant(runtime)
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    other = add_user(runtime, "acme", "other@acme.test", ["sales_rep"])
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Globex"})
    deal = create(
        runtime, "acme", "rep@acme.test", "opportunity", {"name": "Deal", "account": account["id"]}
    )
    with TestClient(app=create_app(runtime)) as client:
        admin = Api(client, "acme", runtime.registry.create_token("acme", "admin@acme.test"))
        path = f"opportunity/{deal['id']}/_comments"
        first = admin.post(path, json={"body": " Hello @rep and @other\r\n<b>!</b> @ghost "})
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["comment"]["body"] == "Hello @rep and @other\n<b>!</b> @ghost"
        assert body["comment"]["mentions"] == sorted([rep, other])
        assert body["notified"] == [rep]
        assert body["cannot_read"] == [other]
        assert body["unresolved"] == ["ghost"]
        second = admin.post(path, json={"body": "Second"}).json()["comment"]
        listed = admin.get(path).json()
        assert [c["body"] for c in listed["items"]] == ["Second", body["comment"]["body"]]
        assert listed["count"] == 2
        older = admin.get(f"{path}?limit=1&before={second['id']}").json()
        assert [c["id"] for c in older["items"]] == [body["comment"]["id"]]
    notes = list_for_user(runtime, "acme", rep)
    assert len(notes) == 1 and "mentioned you on Opportunity “Deal”" in notes[0]["text"]


def test_comment_api_refusals(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "other@acme.test", ["sales_rep"])
    add_user(runtime, "acme", "agent@acme.test", ["marketing"])  # reads no opportunity
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Globex"})
    deal = create(
        runtime, "acme", "admin@acme.test", "opportunity", {"name": "D", "account": account["id"]}
    )
    with TestClient(app=create_app(runtime)) as client:
        admin = Api(client, "acme", runtime.registry.create_token("acme", "admin@acme.test"))
        path = f"account/{account['id']}/_comments"
        empty = admin.post(path, json={"body": "   "})
        assert empty.status_code == 422
        assert empty.json()["errors"] == {"body": ["Write something before posting a comment."]}
        wrong = admin.post(path, json={"body": 5})
        assert wrong.status_code == 422
        assert wrong.json()["errors"] == {"body": ["Send the comment text as a string."]}
        json_type = {"Content-Type": "application/json"}
        assert admin.post(path, content=b"not json", headers=json_type).status_code == 400
        assert admin.post(path, json=["x"]).status_code == 400
        assert admin.get(f"{path}?limit=0").status_code == 400
        assert admin.get(f"{path}?before=x").status_code == 400
        assert admin.post("account/999999/_comments", json={"body": "x"}).status_code == 404
        assert admin.get("account/999999/_comments").status_code == 404
        assert admin.get("nothing/1/_comments").status_code == 404
        assert client.post(f"/t/acme/api/{path}", json={"body": "x"}).status_code == 401
        other = Api(client, "acme", runtime.registry.create_token("acme", "other@acme.test"))
        deal_path = f"opportunity/{deal['id']}/_comments"
        assert other.get(deal_path).status_code == 404
        assert other.post(deal_path, json={"body": "x"}).status_code == 404
        agent = Api(client, "acme", runtime.registry.create_token("acme", "agent@acme.test"))
        assert agent.post(deal_path, json={"body": "x"}).status_code == 403
        assert admin.get(path).json()["items"] == []
