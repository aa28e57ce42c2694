"""The public form designer on SQLite and PostgreSQL (issue 16): list, edit the fields a
form shows and its texts, save to the draft (comments kept), publish, and the public
form shows and accepts them; bad input changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from public_support import FORM, write_public_package

from trellis.platform.drafts import DraftStore
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "acme"
BASE = f"/t/{TENANT}/admin/public-forms"
PATH = "forms/contact-us.yaml"
PUBLIC = f"/p/{TENANT}/forms/contact-us"
OWN = {"origin": "http://testserver.local"}
COMMENTED = "# The contact form of the web site.\n" + FORM.lstrip().replace(
    "fields:\n", "fields:  # in this order\n"
)


@pytest.fixture
def acme(runtime: Runtime, tmp_path: Path) -> Runtime:
    """The public test package (form contact-us, a commented file) and two members."""
    root = write_public_package(tmp_path / "pkg")
    (root / PATH).write_text(COMMENTED, encoding="utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    add_user(runtime, TENANT, "boss@acme.test", ["admin"])
    add_user(runtime, TENANT, "clerk@acme.test", ["clerk"])
    return runtime


@pytest.fixture
def admin(acme: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser, signed in."""
    with TestClient(app=create_web_app(acme)) as client:
        yield signed_in_client(client, TENANT, "boss@acme.test")


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _draft_text(runtime: Runtime) -> str | None:
    change = (
        DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).files.get(PATH)
    )
    return None if change is None else change.text


def _posted(page: str) -> dict[str, str]:
    """The values the form page would post as it is (inputs, checked boxes, textareas)."""
    form = page[page.index('id="form-designer"') :]
    values: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or name.group(1) == "_csrf_token":
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                values[name.group(1)] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        values[name] = text
    return values


def _row(values: dict[str, str], field: str) -> str:
    return next(k[: -len("_name")] for k, v in values.items() if k.endswith("_name") and v == field)


def test_edit_fields_and_texts_publish_and_the_public_form_uses_them(
    acme: Runtime, admin: TestClient[Any]
) -> None:
    listed = admin.get(BASE)
    assert listed.status_code == 200 and screen_problems(listed.text) == []
    assert 'id="form-contact-us"' in listed.text and f'href="{BASE}"' in listed.text
    page = admin.get(f"{BASE}/contact-us")
    assert page.status_code == 200 and screen_problems(page.text) == []
    assert 'value="Su nombre"' in page.text and '<option value="rating">' in page.text
    assert '<option value="shout">' not in page.text  # computed: a visitor cannot fill it

    values = _posted(page.text)
    topic, message, email = _row(values, "topic"), _row(values, "message"), _row(values, "email")
    values[f"{topic}_required"] = ""  # untick: topic becomes optional
    values.pop(f"{topic}_required")
    values[f"{message}_remove"] = "on"
    values[f"{email}_label_en"], values[f"{email}_label_es"] = "Your e-mail", "Su correo"
    values[f"{email}_position"] = "1"
    values["add"] = "rating"
    values["success_es"] = "¡Recibido!"
    saved = post_form(admin, f"{BASE}/contact-us", values)
    assert saved.status_code == 200 and "Public form saved in the draft." in saved.text
    text = _draft_text(acme) or ""
    assert text.startswith("# The contact form of the web site.\n")
    assert "fields:  # in this order\n" in text
    assert "  - {field: email, label: {en: Your e-mail, es: Su correo}}\n" in text
    assert "  - {field: name, label: {en: Your name, es: Su nombre}}\n" in text  # as written
    assert "message" not in text.split("hidden:")[0] and "  - rating\n" in text
    assert "¡Recibido!" in text and "Thanks, we will be in touch." in text
    assert PATH in admin.get(f"/t/{TENANT}/admin/publish").text

    # Not published yet: visitors still get the old form.
    assert 'name="rating"' not in admin.get(PUBLIC).text
    done = post_form(admin, f"/t/{TENANT}/admin/publish", {"comment": "Form fields"})
    assert done.status_code == 200 and "Version 2 published." in done.text

    shown = admin.get(PUBLIC, headers={"accept-language": "es"}).text
    assert "Su correo" in shown and 'name="rating"' in shown and 'name="message"' not in shown
    assert shown.index('name="email"') < shown.index('name="name"')
    posted = admin.post(
        PUBLIC,
        data={"name": "Eva", "email": "eva@example.com", "rating": "4", "message": "hi"},
        headers={**OWN, "accept-language": "es"},
    )
    assert posted.status_code == 200 and "¡Recibido!" in posted.text
    token = acme.registry.create_token(TENANT, "boss@acme.test")
    items = admin.get(
        f"/t/{TENANT}/api/enquiry", headers={"authorization": f"Bearer {token}"}
    ).json()["items"]
    (eva,) = [i for i in items if i["name"] == "Eva"]
    assert eva["rating"] == 4 and eva["topic"] is None and eva["message"] is None


def test_an_unknown_field_is_placed_and_nothing_is_saved(
    acme: Runtime, admin: TestClient[Any]
) -> None:
    values = _posted(admin.get(f"{BASE}/contact-us").text)
    refused = post_form(admin, f"{BASE}/contact-us", {**values, "add": "ratin"})
    assert refused.status_code == 422
    found = re.search(r"forms/contact-us\.yaml:\d+:\d+: error MD242: [^<]*ratin[^<]*", refused.text)
    assert found is not None and "rating" in found.group(0), refused.text  # did you mean
    assert '<option value="ratin" selected>' in refused.text  # what was chosen stays
    assert _draft_text(acme) is None and _revision(acme) == 0
    rows = [k for k in values if k.endswith("_name")]
    none = {**values, **{k.replace("_name", "_remove"): "on" for k in rows}}
    empty = post_form(admin, f"{BASE}/contact-us", none)
    assert empty.status_code == 422 and "A form needs at least one field." in empty.text
    assert _draft_text(acme) is None


def test_a_stale_page_gets_409_and_the_other_save_is_kept(
    acme: Runtime, admin: TestClient[Any]
) -> None:
    values = _posted(admin.get(f"{BASE}/contact-us").text)
    first = post_form(admin, f"{BASE}/contact-us", {**values, "title_en": "First"})
    assert first.status_code == 200
    second = post_form(admin, f"{BASE}/contact-us", {**values, "title_en": "Second"})
    assert second.status_code == 409 and 'id="stale"' in second.text
    assert 'value="Second"' in second.text
    assert "First" in (_draft_text(acme) or "") and "Second" not in (_draft_text(acme) or "")


def test_a_member_who_is_not_admin_gets_403(acme: Runtime) -> None:
    with TestClient(app=create_web_app(acme)) as client:
        signed_in_client(client, TENANT, "clerk@acme.test")
        assert client.get(BASE).status_code == 403
        assert client.get(f"{BASE}/contact-us").status_code == 403
        data = {"draft_version": "0", "f1_name": "name", "add": "rating"}
        assert post_form(client, f"{BASE}/contact-us", data).status_code == 403
    assert _draft_text(acme) is None
    with TestClient(app=create_web_app(acme)) as client:
        signed_in_client(client, TENANT, "boss@acme.test")
        assert client.get(f"{BASE}/nothing").status_code == 404
