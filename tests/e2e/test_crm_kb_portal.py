"""The CRM's public help centre (portals/kb.yaml) over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

KB = "/p/crm-kb/kb"
OWN = {"origin": "http://testserver.local"}


@dataclass
class Desk:
    """The web app over a CRM tenant, its admin's API headers and the articles made."""

    client: TestClient[Any]
    auth: dict[str, str]
    ids: dict[str, int]

    def api(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self.client.request(method, f"/t/crm-kb/api/{path}", headers=self.auth, **kwargs)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    def article(self, key: str, steps: list[str], **fields: Any) -> None:
        rid = int(self.api("POST", "knowledge_article", json=fields)["id"])
        for step in steps:
            self.api("POST", f"knowledge_article/{rid}/transitions/{step}")
        self.ids[key] = rid

    def counters(self, key: str) -> tuple[int, int]:
        found = self.api("GET", f"knowledge_article/{self.ids[key]}")
        return found["helpful_yes"], found["helpful_no"]


PUBLISHED = ["submit", "publish"]


@pytest.fixture
def desk(runtime: Runtime) -> Iterator[Desk]:
    """A CRM tenant with public and internal articles in every state."""
    create_tenant(runtime, "crm-kb", "crm", "boss@crm.test", "long enough secret")
    create_tenant(runtime, "other-kb", "crm", "boss@other.test", "long enough secret")
    token = runtime.registry.create_token("crm-kb", "boss@crm.test")
    with TestClient(app=create_web_app(runtime)) as client:
        desk = Desk(client, {"authorization": f"Bearer {token}"}, {})
        body = "<p>Open <b>Settings</b> then Password.<script>alert(1)</script></p>"
        public = {"visibility": "public", "category": "how_to"}
        desk.article("reset", PUBLISHED, title="Reset your password", summary="Forgot it?",
                     body=body, language="en", **public)  # fmt: skip
        desk.article("es", PUBLISHED, title="Restablecer la contraseña", summary="¿La olvidó?",
                     body="<p>Abra Ajustes.</p>", language="es", **public)  # fmt: skip
        desk.article("internal", PUBLISHED, title="Password policy for agents",
                     body="<p>Internal.</p>", language="en", visibility="internal")  # fmt: skip
        desk.article("draft", [], title="Password draft", body="<p>x</p>", language="en", **public)
        desk.article("review", ["submit"], title="Password review", body="<p>x</p>",
                     language="en", **public)  # fmt: skip
        yield desk


def _titles(html: str) -> list[str]:
    return [part.split("</a>", 1)[0].split(">")[-1] for part in html.split("<li><a href=")[1:]]


def test_the_portal_lists_and_searches_only_published_public_articles(desk: Desk) -> None:
    client = desk.client
    page = client.get(KB, headers={"accept-language": "en"})
    assert page.status_code == 200 and "<h1>Help center</h1>" in page.text
    assert _titles(page.text) == ["Reset your password"]  # the reader's language only
    assert "script" not in page.headers["content-security-policy"].replace("'none'", "")
    spanish = client.get(KB, headers={"accept-language": "es-MX,es;q=0.9"})
    assert '<html lang="es">' in spanish.text and "<h1>Centro de ayuda</h1>" in spanish.text
    assert _titles(spanish.text) == ["Restablecer la contraseña"] and "Buscar" in spanish.text
    assert _titles(client.get(f"{KB}?lang=es", headers={"accept-language": "en"}).text) == [
        "Restablecer la contraseña"
    ]
    found = client.get(KB, params={"q": "passw"}, headers={"accept-language": "en"})
    assert _titles(found.text) == ["Reset your password"]
    assert _titles(client.get(KB, params={"q": "settings", "lang": "en"}).text) == [
        "Reset your password"
    ]  # words of the rich text body, never its tags
    assert _titles(client.get(KB, params={"q": "contrasena", "lang": "es"}).text) == [
        "Restablecer la contraseña"
    ]  # accents ignored
    none = client.get(KB, params={"q": "internal agents", "lang": "en"})
    assert none.status_code == 200 and _titles(none.text) == []
    assert "Nothing matches your search." in none.text
    assert _titles(client.get(KB, params={"q": "!!!", "lang": "en"}).text) == []


def test_an_article_page_shows_clean_rich_text_and_hides_the_others(desk: Desk) -> None:
    client = desk.client
    page = client.get(f"{KB}/{desk.ids['reset']}", headers={"accept-language": "en"})
    assert page.status_code == 200 and "<h1>Reset your password</h1>" in page.text
    assert "<b>Settings</b>" in page.text and "<script" not in page.text
    assert "How to" in page.text and "Was this helpful?" in page.text
    spanish = client.get(f"{KB}/{desk.ids['es']}?lang=es")
    assert "¿Le resultó útil?" in spanish.text and "Cómo hacer" in spanish.text
    missing = client.get("/p/nowhere/kb/1")
    assert missing.status_code == 404
    for path in (
        f"{KB}/{desk.ids['internal']}",
        f"{KB}/{desk.ids['draft']}",
        f"{KB}/{desk.ids['review']}",
        f"{KB}/999999",
        f"{KB}/abc",
        f"{KB}/{'9' * 40}",
        "/p/crm-kb/nokb",
        "/p/nowhere/kb",
        f"/p/other-kb/kb/{desk.ids['reset']}",  # another tenant's article id
    ):
        answer = client.get(path)
        assert (answer.status_code, answer.text) == (404, missing.text), path


def test_votes_are_counted_and_bad_votes_change_nothing(desk: Desk) -> None:
    client = desk.client
    reset = f"{KB}/{desk.ids['reset']}/vote"
    voted = client.post(reset, data={"helpful": "yes"}, headers=OWN, follow_redirects=False)
    assert voted.status_code == 303
    assert voted.headers["location"] == f"{KB}/{desk.ids['reset']}?voted=1"
    thanks = client.get(voted.headers["location"], headers={"accept-language": "en"})
    assert "Thank you for your feedback." in thanks.text
    for vote in ({"data": {"helpful": "yes"}}, {"json": {"helpful": "no"}}):
        client.cookies.clear()  # another visitor
        client.post(reset, headers=OWN, **vote)  # type: ignore[arg-type]
    assert desk.counters("reset") == (2, 1)

    bad = client.post(reset, data={"helpful": "maybe"}, headers=OWN)
    assert bad.status_code == 400 and "Answer yes or no." in bad.text
    assert client.post(reset, data={}, headers=OWN).status_code == 400
    assert (
        client.post(
            reset, content=b"[1]", headers={**OWN, "content-type": "application/json"}
        ).status_code
        == 400
    )
    foreign = client.post(reset, data={"helpful": "yes"}, headers={"origin": "https://evil.test"})
    assert foreign.status_code == 403
    for key in ("internal", "draft"):
        hidden = client.post(f"{KB}/{desk.ids[key]}/vote", data={"helpful": "yes"}, headers=OWN)
        assert hidden.status_code == 404
        assert desk.counters(key) == (0, 0)
    assert (
        client.post("/p/nowhere/kb/1/vote", data={"helpful": "yes"}, headers=OWN).status_code == 404
    )
    assert desk.counters("reset") == (2, 1)


def test_bad_list_queries_answer_400_clearly(desk: Desk) -> None:
    client = desk.client
    long = client.get(KB, params={"q": "x" * 201, "lang": "en"})
    assert long.status_code == 400 and "at most 200 characters" in long.text
    spanish = client.get(KB, params={"q": "x" * 201, "lang": "es"})
    assert spanish.status_code == 400 and "como máximo 200 caracteres" in spanish.text
    for page in ("0", "abc", "501", "-1"):
        answer = client.get(KB, params={"page": page, "lang": "en"})
        assert answer.status_code == 400 and "The page number is not valid." in answer.text


def test_votes_are_rate_limited_per_address(desk: Desk, runtime: Runtime) -> None:
    client = desk.client
    limit = runtime.config.rate_limit_public
    path = f"{KB}/{desk.ids['reset']}/vote"
    codes = []
    for _ in range(limit + 1):
        client.cookies.clear()  # each post from a new visitor of the same address
        answer = client.post(path, data={"helpful": "yes"}, headers=OWN, follow_redirects=False)
        codes.append(answer.status_code)
    assert codes == [303] * limit + [429]
    assert desk.counters("reset") == (limit, 0)
