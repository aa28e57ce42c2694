"""The CRM help centre's category filter, translation links and one vote per visitor
(portals/kb.yaml: ``filters``, ``translation_of``, the signed votes cookie), on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from test_crm_kb_portal import KB, OWN, PUBLISHED, Desk, _titles

from trellis.cli import create_tenant
from trellis.platform.public.portal_votes import read_votes, vote_cookie_name, write_votes
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app


@pytest.fixture
def desk(runtime: Runtime) -> Iterator[Desk]:
    """Articles in two categories; a Spanish translation of one English article."""
    create_tenant(runtime, "crm-kb", "crm", "boss@crm.test", "long enough secret")
    token = runtime.registry.create_token("crm-kb", "boss@crm.test")
    with TestClient(app=create_web_app(runtime)) as client:
        desk = Desk(client, {"authorization": f"Bearer {token}"}, {})
        public = {"visibility": "public", "body": "<p>x</p>"}
        desk.article("reset", PUBLISHED, title="Reset your password", category="how_to",
                     language="en", **public)  # fmt: skip
        desk.article("invoice", PUBLISHED, title="Read your invoice", category="billing",
                     language="en", **public)  # fmt: skip
        desk.article("es", PUBLISHED, title="Restablecer la contraseña", category="how_to",
                     language="es", translation_of=desk.ids["reset"], **public)  # fmt: skip
        desk.article("draft_es", [], title="Borrador", category="how_to", language="es",
                     translation_of=desk.ids["reset"], **public)  # fmt: skip
        yield desk


def test_the_list_filters_by_category_keeping_search_and_language(desk: Desk) -> None:
    client = desk.client
    page = client.get(KB, params={"lang": "en"})
    assert _titles(page.text) == ["Read your invoice", "Reset your password"]
    assert 'href="/p/crm-kb/kb?lang=en&amp;category=billing"' in page.text
    billing = client.get(KB, params={"lang": "en", "category": "billing"})
    assert _titles(billing.text) == ["Read your invoice"]
    assert 'aria-current="true">Billing</a>' in billing.text
    searched = client.get(KB, params={"q": "your", "lang": "en", "category": "how_to"})
    assert _titles(searched.text) == ["Reset your password"]
    spanish = client.get(KB, params={"lang": "es", "category": "how_to"})
    assert _titles(spanish.text) == ["Restablecer la contraseña"]
    assert "Categoría:" in spanish.text and ">Cómo hacer</a>" in spanish.text
    assert _titles(client.get(KB, params={"lang": "en", "category": "faq"}).text) == []


def test_a_bad_category_answers_400_in_the_readers_language(desk: Desk) -> None:
    for lang, text in (("en", "The filter value is not valid."), ("es", "no es válido")):
        answer = desk.client.get(KB, params={"lang": lang, "category": "nonsense"})
        assert answer.status_code == 400 and text in answer.text


def test_an_article_links_its_public_translations_both_ways(desk: Desk) -> None:
    client = desk.client
    english = client.get(f"{KB}/{desk.ids['reset']}", params={"lang": "en"})
    link = f'href="{KB}/{desk.ids["es"]}?lang=es" hreflang="es" lang="es"'
    assert "Also available in" in english.text and link in english.text
    assert "Spanish: Restablecer la contraseña" in english.text
    assert "Borrador" not in english.text  # a draft translation is never linked
    spanish = client.get(f"{KB}/{desk.ids['es']}", params={"lang": "es"})
    assert "También disponible en" in spanish.text
    assert f'href="{KB}/{desk.ids["reset"]}?lang=en"' in spanish.text
    assert "Inglés: Reset your password" in spanish.text
    alone = client.get(f"{KB}/{desk.ids['invoice']}", params={"lang": "en"})
    assert "Also available in" not in alone.text


def test_a_visitor_votes_once_per_article(desk: Desk, runtime: Runtime) -> None:
    client = desk.client
    path = f"{KB}/{desk.ids['reset']}"
    vote: dict[str, Any] = {"headers": OWN, "follow_redirects": False}
    first = client.post(f"{path}/vote", data={"helpful": "yes"}, **vote)
    assert first.status_code == 303 and first.headers["location"] == f"{path}?voted=1"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/p/crm-kb/kb" in cookie
    again = client.post(f"{path}/vote", data={"helpful": "no"}, **vote)
    assert again.status_code == 303 and again.headers["location"] == f"{path}?voted=again"
    assert desk.counters("reset") == (1, 0)
    shown = client.get(again.headers["location"], params={"lang": "es"})
    assert "Ya ha valorado esta página." in shown.text and 'name="helpful"' not in shown.text
    later = client.get(path, params={"lang": "en"})  # the buttons stay hidden
    assert "You have already rated this page." in later.text
    assert 'name="helpful"' not in later.text
    other = client.post(f"{KB}/{desk.ids['invoice']}/vote", data={"helpful": "no"}, headers=OWN)
    assert other.status_code == 200 and desk.counters("invoice") == (0, 1)
    name = vote_cookie_name("kb")
    value = client.cookies.get(name)
    assert read_votes(runtime.config, "crm-kb", "kb", value) == [
        desk.ids["reset"],
        desk.ids["invoice"],
    ]


def test_a_forged_or_foreign_cookie_counts_as_no_vote(desk: Desk, runtime: Runtime) -> None:
    client = desk.client
    rid = desk.ids["reset"]
    name = vote_cookie_name("kb")
    signed = write_votes(runtime.config, "crm-kb", "kb", [rid])
    forged: list[Any] = [
        f"{rid}.not-a-signature",
        signed.replace(str(rid), str(rid + 1), 1),
        write_votes(runtime.config, "other", "kb", [rid]),  # another tenant's
        "garbage",
    ]
    for value in forged:
        assert read_votes(runtime.config, "crm-kb", "kb", value) == []
        client.cookies.clear()
        client.cookies.set(name, value)
        answer = client.post(f"{KB}/{rid}/vote", data={"helpful": "yes"}, headers=OWN,
                             follow_redirects=False)  # fmt: skip
        assert answer.headers["location"].endswith("voted=1")
    assert desk.counters("reset") == (len(forged), 0)
