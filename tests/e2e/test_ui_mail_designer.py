"""The e-mail template designer on SQLite and PostgreSQL (issue 16): list, edit a
locale's subject and text, preview about a record with the mailer's renderer, save to
the draft, publish, and the next e-mail sent uses it; bad input changes nothing."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.drafts import DraftStore
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import Api
from jobs_helpers import DEAL, free_port, smtp_server, use_setting
from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "mail"
BASE = f"/t/{TENANT}/admin/email-templates"
ES_PATH = "email_templates/hello.es.j2"
HELLO_ES = (
    "{# Spanish greeting: keep it short. #}\n"
    "{% block subject %}Nueva oportunidad {{ name }}{% endblock %}\n"
    "{% block text %}Hola{% endblock %}\n"
)


@pytest.fixture
def mail(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """A Spanish tenant whose rule mails ``hello`` when a deal is created; SMTP on a port."""
    root = tmp_path / "pkg"
    for folder in ("entities", "rules", "email_templates"):
        (root / folder).mkdir(parents=True)
    (root / "app.yaml").write_text("name: mailapp\nversion: 1.0.0\nlocale: es\n")
    (root / "entities" / "deal.yaml").write_text(textwrap.dedent(DEAL).lstrip())
    (root / "rules" / "mail.rules").write_text(
        'rule "Hello"\n  on deal created\n  then send email "hello" to owner\nend\n'
    )
    (root / "email_templates" / "hello.j2").write_text(
        "{% block subject %}New deal {{ name }}{% endblock %}{% block text %}Hi{% endblock %}"
    )
    (root / "email_templates" / "hello.es.j2").write_text(HELLO_ES)
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    add_user(runtime, TENANT, "admin@mail.test", ["admin"])
    add_user(runtime, TENANT, "sales@mail.test", ["sales"])
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    runtime.smtp_test_port = port  # type: ignore[attr-defined]
    return runtime


@pytest.fixture
def admin(mail: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser, signed in."""
    with TestClient(app=create_web_app(mail)) as client:
        yield signed_in_client(client, TENANT, "admin@mail.test")


def _api(runtime: Runtime, client: TestClient[Any]) -> Api:
    return Api(client, TENANT, runtime.registry.create_token(TENANT, "admin@mail.test"))


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _draft_text(runtime: Runtime, path: str) -> str | None:
    change = (
        DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).files.get(path)
    )
    return None if change is None else change.text


def _edit(runtime: Runtime, subject: str, **extra: str) -> dict[str, str]:
    data = {"draft_version": str(_revision(runtime)), "locale": "es", "subject": subject}
    return {"text": "Hola {{ name }}", "html": "", **data, **extra}


def test_edit_preview_publish_and_the_next_email_uses_it(
    mail: Runtime, admin: TestClient[Any]
) -> None:
    listed = admin.get(BASE)
    assert listed.status_code == 200 and screen_problems(listed.text) == []
    assert 'id="template-hello"' in listed.text and f'href="{BASE}/hello?locale=es"' in listed.text
    assert f'href="{BASE}"' in listed.text  # linked from the admin nav

    page = admin.get(f"{BASE}/hello?locale=es")
    assert page.status_code == 200 and screen_problems(page.text) == []
    assert 'value="Nueva oportunidad {{ name }}"' in page.text
    assert '<option value="deal" selected>' in page.text  # the entity of the sending rule

    api = _api(mail, admin)
    made = api.post("deal", json={"name": "Uno", "amount": 5})
    assert made.status_code == 201
    record = made.json()["id"]

    # The live preview (htmx) renders the typed text about record #N, like the mailer.
    typed = _edit(mail, "Asunto {{ name }} ({{ amount }}) {{ record.name }}", entity="deal")
    preview = post_form(
        admin,
        f"{BASE}/hello/preview",
        {**typed, "record": str(record)},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert '<dd id="mail-preview-subject">Asunto Uno (5) Uno</dd>' in preview.text
    assert '<pre id="mail-preview-text">Hola Uno</pre>' in preview.text
    missing = post_form(
        admin, f"{BASE}/hello/preview", {**typed, "record": "999"}, headers={"HX-Request": "true"}
    )
    assert 'id="mail-preview-missing"' in missing.text
    # Without script the Preview button answers the whole page with the preview.
    whole = post_form(admin, f"{BASE}/hello/preview", {**typed, "record": str(record)})
    assert "Asunto Uno (5) Uno" in whole.text and 'id="mail-form"' in whole.text

    # Save: the draft has the new subject; the comment and the other block are kept.
    saved = post_form(admin, f"{BASE}/hello", _edit(mail, "Oportunidad nueva: {{ name }}"))
    assert saved.status_code == 200 and "Plantilla de correo guardada en el borrador." in saved.text
    text = _draft_text(mail, ES_PATH)
    expected = HELLO_ES.replace("Nueva oportunidad {{", "Oportunidad nueva: {{")
    assert text == expected.replace("Hola{%", "Hola {{ name }}{%")
    assert "{# Spanish greeting: keep it short. #}" in text
    assert "email_templates/hello.es.j2" in admin.get(f"/t/{TENANT}/admin/publish").text

    # Until it is published the mailer still sends the old text.
    port = mail.smtp_test_port  # type: ignore[attr-defined]
    with smtp_server(port) as inbox:
        Dispatcher(mail).run_due()
    assert [m["Subject"] for _, m in inbox] == ["Nueva oportunidad Uno"]

    done = post_form(admin, f"/t/{TENANT}/admin/publish", {"comment": "Spanish subject"})
    assert done.status_code == 200  # the tenant speaks Spanish: "Versión 2 publicada."
    assert mail.tenant(TENANT, fresh=True).current_version == 2
    assert api.post("deal", json={"name": "Dos"}).status_code == 201
    with smtp_server(port) as inbox:
        Dispatcher(mail).run_due()
    assert [m["Subject"] for _, m in inbox] == ["Oportunidad nueva: Dos"]
    assert [str(m.get_payload()).strip() for _, m in inbox] == ["Hola Dos"]


def test_english_page_and_a_new_locale_file(mail: Runtime, admin: TestClient[Any]) -> None:
    page = admin.get(f"{BASE}/hello?locale=en", headers={"accept-language": "es"})
    assert page.status_code == 200 and 'value="New deal {{ name }}"' in page.text
    data = {"draft_version": str(_revision(mail)), "locale": "en", "subject": "Deal {{ name }}"}
    saved = post_form(admin, f"{BASE}/hello", {**data, "text": "Hi", "html": "<p>Hi</p>"})
    assert saved.status_code == 200
    assert _draft_text(mail, "email_templates/hello.j2") == (
        "{% block subject %}Deal {{ name }}{% endblock %}{% block text %}Hi{% endblock %}\n"
        "{% block html %}<p>Hi</p>{% endblock %}\n"
    )
    assert admin.get(f"{BASE}/nothing?locale=es").status_code == 404


def test_a_syntax_error_is_placed_and_nothing_is_saved(
    mail: Runtime, admin: TestClient[Any]
) -> None:
    before = _revision(mail)
    bad = _edit(mail, "Nueva {{ name }", text="Hola")
    refused = post_form(admin, f"{BASE}/hello", bad)
    assert refused.status_code == 422
    placed = r"email_templates/hello\.es\.j2:(\d+):(\d+): error ET001: ([^<]*)"
    found = re.search(placed, refused.text)
    assert found is not None and found.group(1) == "2", refused.text
    assert 'value="Nueva {{ name }"' in refused.text  # what was typed stays
    assert _revision(mail) == before and _draft_text(mail, ES_PATH) is None
    preview = post_form(
        admin,
        f"{BASE}/hello/preview",
        {**bad, "entity": "deal", "record": "1"},
        headers={"HX-Request": "true"},
    )
    assert "error ET001" in preview.text
    private = post_form(admin, f"{BASE}/hello", _edit(mail, "{{ name.__class__ }}"))
    assert private.status_code == 422 and "error ET003" in private.text
    assert _draft_text(mail, ES_PATH) is None


def test_a_stale_page_gets_409_and_the_other_save_is_kept(
    mail: Runtime, admin: TestClient[Any]
) -> None:
    stale = _edit(mail, "Primero {{ name }}")
    assert post_form(admin, f"{BASE}/hello", stale).status_code == 200
    second = post_form(admin, f"{BASE}/hello", {**stale, "subject": "Segundo"})
    assert second.status_code == 409 and 'id="stale"' in second.text
    assert 'value="Segundo"' in second.text
    assert "Primero {{ name }}" in (_draft_text(mail, ES_PATH) or "")


def test_a_member_who_is_not_admin_gets_403(mail: Runtime) -> None:
    with TestClient(app=create_web_app(mail)) as client:
        signed_in_client(client, TENANT, "sales@mail.test")
        assert client.get(BASE).status_code == 403
        assert client.get(f"{BASE}/hello?locale=es").status_code == 403
        assert post_form(client, f"{BASE}/hello", _edit(mail, "x")).status_code == 403
        assert post_form(client, f"{BASE}/hello/preview", _edit(mail, "x")).status_code == 403
        assert 'href="/t/mail/admin/email-templates"' not in client.get(f"/t/{TENANT}/").text
    assert _draft_text(mail, ES_PATH) is None
