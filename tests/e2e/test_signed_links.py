"""Signed links /p/{tenant}/s/{token}: issue, view, answer, set, expiry, reuse, tampering,
revocation; the admin API and the CLI. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from openapi_spec_validator import validate as validate_openapi
from public_support import Site, public_tenant, shared_site

from trellis.cli import main
from trellis.platform.public import LinkRefusedError, SignedLinks

OWN = {"origin": "http://testserver.local"}
DAY = 86400


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """One tenant per backend for the module; each test starts a fresh rate-limit minute."""
    with shared_site(request.param, tmp_path_factory.mktemp("signed-links")) as found:
        yield found


@pytest.fixture(autouse=True)
def _fresh_window(site: Site) -> None:
    site.new_window()


def _record(
    client: TestClient[Any], auth: dict[str, str], tenant: str = "acme", **fields: Any
) -> int:
    body = {"name": "Ana", "email": "ana@example.com", **fields}
    made = client.post(f"/t/{tenant}/api/enquiry", json=body, headers=auth)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _read(client: TestClient[Any], auth: dict[str, str], record_id: int) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/t/acme/api/enquiry/{record_id}", headers=auth).json()
    return found


def _issue(
    client: TestClient[Any], auth: dict[str, str], link: str, record_id: int, **extra: Any
) -> dict[str, Any]:
    issued = client.post(
        "/t/acme/api/_links", json={"link": link, "record_id": record_id, **extra}, headers=auth
    )
    assert issued.status_code == 201, issued.text
    answer: dict[str, Any] = issued.json()
    return answer


def test_admin_api_issues_and_revokes(site: Site) -> None:
    client, auth, runtime = site.client, site.auth, site.runtime
    record_id = _record(client, auth)
    link = _issue(client, auth, "unsubscribe", record_id)
    assert link["path"] == f"/p/acme/s/{link['token']}" and link["entity"] == "enquiry"
    assert link["single_use"] is False and link["expires_at"].endswith("Z")
    for body, status in (
        ({"link": "nope", "record_id": record_id}, 404),
        ({"link": "unsubscribe", "record_id": 999}, 404),
        ({"link": "unsubscribe"}, 400),
        ({"link": "unsubscribe", "record_id": record_id, "extra": 1}, 400),
        ({"link": "unsubscribe", "record_id": record_id, "expires_days": 0}, 400),
        ({"link": "unsubscribe", "record_id": record_id, "expires_days": 4000}, 422),
    ):
        assert client.post("/t/acme/api/_links", json=body, headers=auth).status_code == status, (
            body
        )
    # Admins only, and in the admin's OpenAPI document only.
    runtime.registry.add_membership(
        "acme", runtime.registry.ensure_user("clerk@acme.test", "correct horse battery"), ["clerk"]
    )
    clerk = {"authorization": "Bearer " + runtime.registry.create_token("acme", "clerk@acme.test")}
    assert (
        client.post(
            "/t/acme/api/_links",
            json={"link": "unsubscribe", "record_id": record_id},
            headers=clerk,
        ).status_code
        == 403
    )
    assert client.delete(f"/t/acme/api/_links/{link['id']}", headers=clerk).status_code == 403
    admin_doc = client.get("/t/acme/api/openapi.json", headers=auth).json()
    assert (
        "/t/acme/api/_links" in admin_doc["paths"]
        and "/t/acme/api/_links/{link_id}" in admin_doc["paths"]
    )
    clerk_doc = client.get("/t/acme/api/openapi.json", headers=clerk).json()
    assert not [p for p in clerk_doc["paths"] if "_links" in p]

    # Use it, revoke it: a clear page and nothing changed.
    assert client.post(link["path"], headers=OWN).status_code == 200
    assert _read(client, auth, record_id)["subscribed"] is False
    client.patch(f"/t/acme/api/enquiry/{record_id}", json={"subscribed": True}, headers=auth)
    assert client.delete(f"/t/acme/api/_links/{link['id']}", headers=auth).status_code == 204
    for answer in (client.get(link["path"]), client.post(link["path"], headers=OWN)):
        assert answer.status_code == 410 and "This link has been withdrawn." in answer.text
    assert _read(client, auth, record_id)["subscribed"] is True
    assert client.delete("/t/acme/api/_links/99999", headers=auth).status_code == 404
    assert client.delete("/t/acme/api/_links/abc", headers=auth).status_code == 404


def test_view_answer_and_single_use(site: Site) -> None:
    client, auth = site.client, site.auth
    record_id = _record(client, auth, topic="support")
    view = _issue(client, auth, "view-enquiry", record_id)
    shown = client.get(view["path"], headers={"accept-language": "es"})
    assert shown.status_code == 200 and '<html lang="es">' in shown.text
    assert "<dt>Tema</dt><dd>support</dd>" in shown.text and "<form" not in shown.text
    assert "frame-ancestors 'none'" in shown.headers["content-security-policy"]
    again = client.get(view["path"])  # single use: viewed once
    assert again.status_code == 410 and "This link has already been used." in again.text

    card = client.get(_issue(client, auth, "card", record_id)["path"])  # layout: detail
    assert card.status_code == 200
    for label in ("<dt>Name</dt>", "<dt>Email</dt>", "<dt>Topic</dt>", "<dt>Rating</dt>"):
        assert label in card.text

    rate = _issue(client, auth, "rate-us", record_id)
    form = client.get(rate["path"])
    assert form.status_code == 200 and 'name="rating"' in form.text
    assert client.get(rate["path"]).status_code == 200  # showing the form does not use it
    bad = client.post(rate["path"], data={"rating": "9"}, headers=OWN)
    assert bad.status_code == 422 and 'id="err-rating"' in bad.text
    empty = client.post(rate["path"], data={"rating": ""}, headers=OWN)
    assert empty.status_code == 422 and "This field is required." in empty.text
    assert _read(client, auth, record_id)["rating"] is None
    other = client.post(
        rate["path"], data={"rating": "4"}, headers={"origin": "https://evil.example"}
    )
    assert other.status_code == 403 and _read(client, auth, record_id)["rating"] is None
    done = client.post(rate["path"], data={"rating": "4", "name": "Changed"}, headers=OWN)
    assert done.status_code == 200 and "Thanks for rating us." in done.text
    record = _read(client, auth, record_id)
    assert record["rating"] == 4 and record["name"] == "Ana"  # only the declared field
    reused = client.post(rate["path"], data={"rating": "1"}, headers=OWN)
    assert reused.status_code == 410 and "already been used" in reused.text
    assert _read(client, auth, record_id)["rating"] == 4


def test_expired_and_tampered_links_change_nothing(site: Site) -> None:
    client, auth, clock = site.client, site.auth, site.clock
    record_id = _record(client, auth)
    short = _issue(client, auth, "rate-us", record_id, expires_days=1)
    other = _issue(client, auth, "unsubscribe", record_id)
    link_id, expires, signature = other["token"].split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    invalid = [
        f"/p/acme/s/{link_id}.{expires}.{flipped}",
        f"/p/acme/s/{link_id}.{int(expires) + DAY}.{signature}",
        f"/p/acme/s/{int(link_id) + 1}.{expires}.{signature}",
        f"/p/acme/s/{short['token'].split('.')[0]}.{expires}.{signature}",
        "/p/acme/s/garbage",
        f"/p/nobody/s/{other['token']}",
    ]
    bodies = set()
    for path in invalid:
        for answer in (client.get(path), client.post(path, data={}, headers=OWN)):
            assert answer.status_code == 404 and "This link is not valid." in answer.text, path
            bodies.add(answer.text)
    assert len(bodies) == 1  # an unknown tenant looks like any bad token
    assert _read(client, auth, record_id)["subscribed"] is True

    clock.advance(2 * DAY)
    for answer in (
        client.get(short["path"]),
        client.post(short["path"], data={"rating": "5"}, headers=OWN),
    ):
        assert answer.status_code == 410 and "This link has expired." in answer.text
    assert _read(client, auth, record_id)["rating"] is None
    assert client.get(other["path"]).status_code == 200  # 30 days by default


def test_cli_issues_and_revokes(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client, auth, runtime = site.client, site.auth, site.runtime
    record_id = _record(client, auth)
    config = runtime.config
    monkeypatch.setenv("TRELLIS_DATA_DIR", str(config.data_dir))
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    assert (
        main(["link", "issue", "acme", "unsubscribe", str(record_id), "--expires-days", "30"]) == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    path = lines[-1]
    assert path.startswith("/p/acme/s/") and lines[0].startswith("link ")
    link_id = lines[0].split()[1]
    assert client.get(path).status_code == 200
    assert main(["link", "revoke", "acme", link_id]) == 0
    assert client.get(path).status_code == 410
    assert main(["link", "issue", "acme", "nope", str(record_id)]) == 1
    assert "No link kind 'nope'" in capsys.readouterr().err


def test_every_altered_token_and_other_tenants_are_refused(site: Site) -> None:
    client, auth, runtime = site.client, site.auth, site.runtime
    record_id = _record(client, auth)
    token = _issue(client, auth, "unsubscribe", record_id)["token"]
    links = SignedLinks(runtime)
    assert links.open("acme", token).record["id"] == record_id
    for index, char in enumerate(token):  # every single-character change
        changed = token[:index] + ("1" if char != "1" else "2") + token[index + 1 :]
        with pytest.raises(LinkRefusedError) as refused:
            links.open("acme", changed)
        assert refused.value.reason == "invalid", changed
    for cut in (token[:-1], token + "A", token.replace(".", "", 1), f"{token}.{token}"):
        with pytest.raises(LinkRefusedError):
            links.open("acme", cut)

    # Another tenant with the same package and the same record id: its own secret.
    other = public_tenant(runtime, site.root / "pkg2", name="beta")
    beta_auth = {"authorization": f"Bearer {other}"}
    made = _record(client, beta_auth, "beta")
    while made < record_id:  # the same id in both tenants
        made = _record(client, beta_auth, "beta")
    assert made == record_id
    with pytest.raises(LinkRefusedError):
        links.open("beta", token)
    answer = client.post(f"/p/beta/s/{token}", headers={"origin": "http://testserver.local"})
    assert answer.status_code == 404
    beta_record = client.get(f"/t/beta/api/enquiry/{record_id}", headers=beta_auth).json()
    assert beta_record["subscribed"] is True
    # A form post to one tenant creates nothing in the other.
    sent = client.post(
        "/p/beta/forms/contact-us",
        data={"name": "Beta", "email": "b@example.com", "topic": "sales"},
        headers=OWN,
    )
    assert sent.status_code == 200
    names = [r["name"] for r in client.get("/t/acme/api/enquiry", headers=auth).json()["items"]]
    assert "Beta" not in names


def test_the_admin_document_is_valid(site: Site) -> None:
    client, auth = site.client, site.auth
    doc = client.get("/t/acme/api/openapi.json", headers=auth).json()
    validate_openapi(doc)
    issue = doc["paths"]["/t/acme/api/_links"]["post"]
    assert set(issue["responses"]) >= {"201", "400", "403", "404", "422"}
    schema = doc["components"]["schemas"]["Trellis_LinkIssue"]
    assert schema["properties"]["link"]["enum"] == [
        "card",
        "rate-us",
        "unsubscribe",
        "view-enquiry",
    ]
