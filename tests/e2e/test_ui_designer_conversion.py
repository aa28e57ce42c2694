"""The field designer's conversion preview for a type change (issue 16), SQLite and PostgreSQL."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from trellis.platform.drafts import DraftStore, read_file, save_file
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_activity_support import create, screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    label: Item
    title: name
    fields:
      name: {type: string, required: true, max_length: 100}
      code: {type: string}
      qty: {type: string}
"""
BASE = f"/t/{TENANT}/admin/entities/item"
ITEM_PATH = "entities/item.yaml"


def _tenant(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    rows = [("A", "12", "1"), ("B", "007", "2"), ("C", "abc", " 30 "), ("D", None, None)]
    for name, code, qty in rows:
        create(runtime, TENANT, "admin@shop.test", "item", {"name": name, "code": code, "qty": qty})


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _form(runtime: Runtime, field: str, kind: str, **extra: str) -> dict[str, str]:
    return {
        "draft_version": str(_revision(runtime)),
        "original": field,
        "type": kind,
        "label_en": field,
        **extra,
    }


def _samples(html: str) -> list[tuple[str, str, str]]:
    body = re.search(
        r'<table class="records compact" id="conversion-samples">(.*?)</table>', html, re.S
    )
    assert body is not None, html
    rows = re.findall(
        r'<tr id="conversion-(\d+)"><td>.*?</td><td><code>([^<]*)</code></td><td>(.*?)</td></tr>',
        body.group(1),
    )
    return [(record, before, re.sub(r"<[^>]+>", "", after)) for record, before, after in rows]


def test_a_type_change_shows_the_values_before_and_after_and_the_failures(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        assert 'id="conversion"' not in client.get(f"{BASE}/fields/code").text
        same = post_form(client, f"{BASE}/field-form", _form(runtime, "code", "string"))
        assert 'id="conversion"' not in same.text

        shown = post_form(client, f"{BASE}/field-form", _form(runtime, "code", "integer"))
        assert shown.status_code == 200
        assert screen_problems(shown.text) == []
        assert "Stored values to convert from string to integer: 3" in shown.text
        assert _samples(shown.text) == [
            ("1", "12", "12"),
            ("2", "007", "7"),
            ("3", "abc", "&#39;abc&#39; is not a whole number."),
        ]
        failed = re.search(
            r'<p class="error" role="alert" id="conversion-failed">([^<]+)', shown.text
        )
        assert failed is not None
        assert failed.group(1).startswith("Values that do not convert to integer: 1.")
        assert 'name="confirm_conversion"' not in shown.text  # nothing to confirm: refused

        dated = post_form(client, f"{BASE}/field-form", _form(runtime, "qty", "date"))
        assert "Values that do not convert to date: 3." in dated.text
        yes_no = post_form(client, f"{BASE}/field-form", _form(runtime, "qty", "boolean"))
        assert _samples(yes_no.text)[:2] == [
            ("1", "1", "true"),
            ("2", "2", "&#39;2&#39; is not yes or no (true/false, 1/0)."),
        ]
        assert "Values that do not convert to boolean: 2." in yes_no.text

        spanish = post_form(
            client,
            f"{BASE}/field-form",
            _form(runtime, "code", "integer"),
            headers={"accept-language": "es"},
        )
        assert "Valores guardados que convertir de string a integer: 3" in spanish.text
        assert "«abc» no es un número entero." in spanish.text

        before = _revision(runtime)
        refused = post_form(
            client,
            f"{BASE}/fields/code",
            _form(runtime, "code", "integer", confirm_conversion="item"),
        )
        assert refused.status_code == 422
        error = re.search(r'<p class="error" id="error-type">([^<]+)</p>', refused.text)
        assert error is not None
        assert error.group(1) == (
            "Stored values that do not convert to integer: 1 of 3. "
            "Correct or empty them first (listed below)."
        )
        assert _revision(runtime) == before
        assert "code: {type: string}" in read_file(runtime, TENANT, ITEM_PATH)[0]


def test_a_type_change_the_api_saves_is_refused_at_publish_with_the_count(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    text, revision = read_file(runtime, TENANT, ITEM_PATH)
    changed = text.replace("code: {type: string}", "code: {type: integer}")
    save_file(runtime, TENANT, ITEM_PATH, changed, revision, "ana@shop.test")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        plan = client.get(f"/t/{TENANT}/admin/publish/plan").text
        assert (
            "changes `code` of item from string to integer; does not convert: 1 stored value "
            "(correct or empty them before publishing)" in plan
        )
        refused = post_form(client, f"/t/{TENANT}/admin/publish", {"confirm_item": "item"})
        assert refused.status_code == 409
        assert runtime.tenant(TENANT, fresh=True).current_version == 1


def test_a_convertible_type_change_is_confirmed_with_the_entity_name_and_published(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    _tenant(runtime, write_package)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, TENANT, "admin@shop.test")
        shown = post_form(client, f"{BASE}/field-form", _form(runtime, "qty", "integer"))
        assert _samples(shown.text) == [("1", "1", "1"), ("2", "2", "2"), ("3", " 30 ", "30")]
        assert 'id="conversion-ok"' in shown.text
        assert '<input id="confirm-conversion" name="confirm_conversion"' in shown.text
        before = _revision(runtime)
        for typed in ("", "Item", "qty"):
            refused = post_form(
                client,
                f"{BASE}/fields/qty",
                _form(runtime, "qty", "integer", confirm_conversion=typed),
            )
            assert refused.status_code == 422, typed
            assert (
                '<p class="error" id="error-conversion">Type item to confirm the type change.</p>'
                in (refused.text)
            )
        spanish = post_form(
            client,
            f"{BASE}/fields/qty",
            _form(runtime, "qty", "integer"),
            headers={"accept-language": "es"},
        )
        assert "Escriba item para confirmar el cambio de tipo." in spanish.text
        assert _revision(runtime) == before
        saved = post_form(
            client,
            f"{BASE}/fields/qty",
            _form(runtime, "qty", "integer", confirm_conversion="item"),
            follow_redirects=False,
        )
        assert saved.status_code == 303
        assert "qty: {type: integer" in read_file(runtime, TENANT, ITEM_PATH)[0]
        plan = client.get(f"/t/{TENANT}/admin/publish/plan").text
        assert "does not convert" not in plan
        done = post_form(client, f"/t/{TENANT}/admin/publish", {})
        assert "Version 2 published." in done.text
        assert client.get(f"/t/{TENANT}/e/item/3").status_code == 200
