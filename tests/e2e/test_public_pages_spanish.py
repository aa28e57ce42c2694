"""The platform's own wording on public pages follows ``Accept-Language``: errors,
thanks, refusals, the honeypot's label and the required-field message, on SQLite and
PostgreSQL (the declared texts are checked by test_public_forms)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from public_support import Site, shared_site

FORM = "/p/acme/forms/contact-us"
GOOD = {"name": "Ana", "email": "ana@example.com", "topic": "sales", "message": "Hola"}
ES = {"accept-language": "es-ES, en;q=0.5"}
OWN = {"origin": "http://testserver.local", **ES}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    with shared_site(request.param, tmp_path_factory.mktemp("public-es")) as found:
        yield found


@pytest.fixture(autouse=True)
def _fresh_window(site: Site) -> None:
    site.new_window()


def test_form_errors_and_honeypot_label_in_spanish(site: Site) -> None:
    page = site.client.get(FORM, headers=ES)
    assert "Deje esto vacío" in page.text and "Leave this empty" not in page.text
    bad = site.client.post(FORM, data={**GOOD, "name": ""}, headers=OWN)
    assert bad.status_code == 422
    assert "Corrija los campos marcados a continuación." in bad.text
    assert "Este campo es obligatorio." in bad.text
    assert "This field is required." not in bad.text and "Please correct" not in bad.text
    english = site.client.post(
        FORM, data={**GOOD, "name": ""}, headers={"origin": "http://testserver.local"}
    )
    assert "Please correct the fields marked below." in english.text
    assert "This field is required." in english.text


def test_json_errors_follow_accept_language(site: Site) -> None:
    answer = site.client.post(FORM, json={**GOOD, "name": ""}, headers=OWN)
    assert answer.status_code == 422
    assert "Este campo es obligatorio." in answer.json()["errors"]["name"]
    malformed = site.client.post(
        FORM, content=b"[1]", headers={**OWN, "content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json() == {"error": "Envíe un objeto JSON con los campos."}


def test_refusals_in_spanish(site: Site) -> None:
    client = site.client
    foreign = {**ES, "origin": "https://evil.example"}
    refused = client.post(FORM, data=GOOD, headers=foreign)
    assert refused.status_code == 403
    assert "Este formulario no se puede enviar desde la página que ha usado." in refused.text
    assert "<h1>No permitido</h1>" in refused.text
    missing = client.get("/p/acme/forms/nope", headers=ES)
    assert missing.status_code == 404 and "Esta página no existe." in missing.text
    assert '<html lang="es">' in missing.text
    link = client.get("/p/acme/s/not-a-token", headers=ES)
    assert link.status_code == 404 and "Este enlace no es válido." in link.text
    assert "<h1>Enlace</h1>" in link.text
    unknown = client.get("/p/acme/s/not-a-token", headers={"accept-language": "fr"})
    assert "This link is not valid." in unknown.text  # no French catalogue: English


def test_too_many_posts_in_spanish(site: Site) -> None:
    statuses = []
    for _ in range(40):
        answer = site.client.post(FORM, data={**GOOD, "_homepage": "x"}, headers=OWN)
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    assert "Demasiados envíos desde su dirección." in answer.text
    assert answer.headers["retry-after"].isdigit()
