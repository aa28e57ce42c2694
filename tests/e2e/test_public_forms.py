"""Public forms under /p/{tenant}/forms/{form}: on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from public_support import Site, shared_site

FORM = "/p/acme/forms/contact-us"
GOOD = {"name": "Ana", "email": "ana@example.com", "topic": "sales", "message": "Hello"}
OWN = {"origin": "http://testserver.local"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """One tenant per backend for the module; each test starts a fresh rate-limit minute."""
    with shared_site(request.param, tmp_path_factory.mktemp("public-forms")) as found:
        yield found


@pytest.fixture(autouse=True)
def _fresh_window(site: Site) -> None:
    site.new_window()


def _enquiries(site: Site, name: str | None = None) -> list[dict[str, Any]]:
    answer = site.client.get("/t/acme/api/enquiry?limit=500", headers=site.auth)
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return [i for i in items if name is None or i["name"] == name]


def test_public_form_get_post_errors_honeypot_origin(site: Site) -> None:
    client = site.client
    page = client.get(FORM, headers={"accept-language": "es-MX, en;q=0.5"})
    assert page.status_code == 200
    assert '<html lang="es">' in page.text and "<h1>Contáctenos</h1>" in page.text
    assert "Su nombre" in page.text and "<script" not in page.text and "style=" not in page.text
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors https://www.example.com" in policy and "script-src" not in policy
    assert "default-src 'none'" in policy and "x-frame-options" not in page.headers
    english = client.get(FORM, headers={"accept-language": "fr, de"})  # default: en
    assert '<html lang="en">' in english.text and "Your name" in english.text

    # A good post: saved through the pipeline as the public role (formula, hidden value).
    saved = client.post(FORM, data=GOOD, headers=OWN)
    assert saved.status_code == 200 and "Thanks, we will be in touch." in saved.text
    (record,) = _enquiries(site, "Ana")
    assert record["name"] == "Ana" and record["shout"] == "ANA" and record["source"] == "web"
    assert record["owner_id"] is None and record["created_by"] == 0

    # A validation rule of the entity refuses: the form again, nothing created.
    refused = client.post(FORM, data={**GOOD, "name": "spam"}, headers=OWN)
    assert refused.status_code == 422 and "That is not a real name." in refused.text
    assert 'value="spam"' in refused.text and 'id="err-name"' in refused.text
    # Bad fields: every error inline, the visitor's values kept, nothing created.
    bad = client.post(FORM, data={"name": "", "email": "nope", "topic": "x"}, headers=OWN)
    assert bad.status_code == 422
    for name in ("name", "email", "topic"):
        assert f'id="err-{name}"' in bad.text, name
    assert 'value="nope"' in bad.text
    # Fields the form does not show (a fixed hidden value, a computed one) are ignored.
    client.post(FORM, data={**GOOD, "name": "Bo", "source": "phone", "shout": "X"}, headers=OWN)
    bo = _enquiries(site, "Bo")
    assert bo and bo[0]["source"] == "web" and bo[0]["shout"] == "BO"

    # The honeypot: the success page, nothing stored.
    before = len(_enquiries(site))
    trap = client.post(FORM, data={**GOOD, "name": "Bot", "_homepage": "http://x"}, headers=OWN)
    assert trap.status_code == 200 and "Thanks, we will be in touch." in trap.text
    assert len(_enquiries(site)) == before

    # Origins: an allowed site and our own pass; another site, a null origin, a foreign
    # Referer are 403 and store nothing.
    allowed = client.post(
        FORM, data={**GOOD, "name": "Cy"}, headers={"origin": "https://www.example.com"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://www.example.com"
    assert "access-control-allow-origin" not in saved.headers  # our own page: no CORS
    behind_tls = {"origin": "https://testserver.local"}  # a TLS proxy in front of us
    assert client.post(FORM, data={**GOOD, "name": "Tls"}, headers=behind_tls).status_code == 200
    for headers in (
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"referer": "https://evil.example/page"},
        {"origin": "https://www.example.com.evil.example"},
    ):
        wrong = client.post(FORM, data={**GOOD, "name": "Evil"}, headers=headers)
        assert wrong.status_code == 403, headers
    assert not _enquiries(site, "Evil") and not _enquiries(site, "spam")

    # JSON posts: 201 with the message, 422 with the errors.
    ok = client.post(FORM, json={**GOOD, "name": "Json"}, headers=OWN)
    assert ok.status_code == 201 and ok.json() == {"message": "Thanks, we will be in touch."}
    nok = client.post(FORM, json={"name": "Json2"}, headers=OWN)
    assert nok.status_code == 422 and set(nok.json()["errors"]) >= {"email", "topic"}
    assert (
        client.post(
            FORM, content=b"[1]", headers={**OWN, "content-type": "application/json"}
        ).status_code
        == 400
    )

    # A redirecting form sends the visitor on; its page allows that form action.
    quick = client.get("/p/acme/forms/quick")
    assert "form-action 'self' https://www.example.com" in quick.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in quick.headers["content-security-policy"]
    sent = client.post(
        "/p/acme/forms/quick",
        data={"name": "Di", "email": "di@example.com"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == "https://www.example.com/thanks"


def test_unknown_form_and_tenant_answer_the_same(site: Site) -> None:
    client = site.client
    answers = [
        client.get("/p/acme/forms/nope"),
        client.get("/p/nobody/forms/contact-us"),
        client.post("/p/nobody/forms/contact-us", data=GOOD),
        client.post("/p/acme/forms/nope", data=GOOD),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    assert "This page does not exist." in answers[0].text


def test_public_role_reads_nothing(site: Site) -> None:
    client, runtime = site.client, site.runtime
    client.post(FORM, data=GOOD, headers=OWN)
    from trellis.platform.public import PublicForms
    from trellis.platform.services import Services

    forms = PublicForms(runtime, Services(runtime))
    call = forms.call(forms.find("acme", "contact-us"))
    assert call.access.can("enquiry", "create")
    for entity in ("enquiry", "note"):
        for action in ("read", "update", "delete", "export", "import"):
            assert not call.access.can(entity, action), (entity, action)
    assert not call.access.can("note", "create")
    # No session, no token: the API and screens stay closed to a public visitor.
    assert client.get("/t/acme/api/enquiry").status_code == 401
    assert client.get("/t/acme/e/enquiry", follow_redirects=False).status_code == 303


def test_public_posts_are_rate_limited_per_address(site: Site) -> None:
    client = site.client
    limit = site.runtime.config.rate_limit_public
    before = len(_enquiries(site))
    codes = [
        client.post(FORM, data={**GOOD, "name": f"N{i}"}, headers=OWN).status_code
        for i in range(limit + 2)
    ]
    assert codes == [200] * limit + [429, 429]
    last = client.post(FORM, data=GOOD, headers=OWN)
    assert int(last.headers["retry-after"]) >= 1 and "Too many submissions" in last.text
    assert len(_enquiries(site)) == before + limit
    assert client.get(FORM).status_code == 200  # pages are not counted
    site.new_window()
    assert client.post(FORM, data={**GOOD, "name": "Later"}, headers=OWN).status_code == 200


def test_an_allowed_sites_json_post_is_preflighted(site: Site) -> None:
    """A browser script on an allowed site may post JSON: OPTIONS answers for it only."""
    client = site.client
    ask = {
        "origin": "https://www.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    answer = client.options(FORM, headers=ask)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "https://www.example.com"
    assert answer.headers["access-control-allow-methods"] == "POST"
    assert answer.headers["access-control-allow-headers"].lower() == "content-type"
    assert "access-control-allow-credentials" not in answer.headers
    for wrong in (
        {**ask, "origin": "https://evil.example"},
        {**ask, "access-control-request-method": "DELETE"},
        {**ask, "access-control-request-headers": "content-type, authorization"},
    ):
        refused = client.options(FORM, headers=wrong)
        assert refused.status_code == 403, wrong
        assert "access-control-allow-origin" not in refused.headers
    unknown = client.options("/p/acme/forms/nope", headers=ask)
    assert unknown.status_code == 403
    # The post that follows is checked as always and readable by that site.
    sent = client.post(FORM, json={**GOOD, "name": "Cors"}, headers={"origin": ask["origin"]})
    assert sent.status_code == 201
    assert sent.headers["access-control-allow-origin"] == "https://www.example.com"
