"""The entities and fields designer: list, entity page, field editor, draft saves (issue 16)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.designers import TYPES, options_for
from trellis.platform.drafts import DraftStore, read_file, save_file
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    entity: item
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true, max_length: 100, label: {en: Name, es: Nombre}}
      size:
        type: enum
        options: [small, large]
        option_labels:
          small: {en: Small, es: Pequeño}
          large: {en: Large, es: Grande}
      price: {type: decimal, formula: 'quantity * 2'}
      quantity: {type: integer}
    layouts:
      list: {columns: [name, size]}
      form:
        sections:
          - {label: Main, fields: [name, size, quantity]}
"""
ITEM_PATH = "entities/item.yaml"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A SQLite tenant with one entity, its admin and a plain member (pages only read)."""
    root = tmp_path_factory.mktemp("designers")
    package = root / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "app.yaml").write_text("name: shop\nversion: 1.0.0\nlabel: Shop\n")
    (package / "entities" / "item.yaml").write_text(textwrap.dedent(ITEM).lstrip())
    runtime = Runtime(RuntimeConfig(data_dir=root / "data", version_check_interval=0.0))
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, package)
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    add_user(runtime, TENANT, "ana@shop.test", ["admin"])
    add_user(runtime, TENANT, "sales@shop.test", ["sales"])
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def admin_browser(shop: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser, signed in once for the module."""
    with TestClient(app=create_web_app(shop)) as client:
        yield signed_in_client(client, TENANT, "admin@shop.test")


@pytest.fixture
def admin(shop: Runtime, admin_browser: TestClient[Any]) -> TestClient[Any]:
    """The admin's browser, with the draft emptied first."""
    info = shop.tenant(TENANT, fresh=True)
    DraftStore(shop.registry).discard(info.id, None, info.current_version, "test")
    return admin_browser


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _add(client: TestClient[Any], runtime: Runtime, **values: str) -> Any:
    data = {"draft_version": str(_revision(runtime)), **values}
    return post_form(client, f"/t/{TENANT}/admin/entities/item/fields", data)


PAGES = [
    ("get", "/admin/entities"),
    ("get", "/admin/entities/item"),
    ("get", "/admin/entities/item/new-field"),
    ("get", "/admin/entities/item/fields/name"),
    ("get", "/admin/entities/item/fields/name/usage"),
    ("post", "/admin/entities/item/fields"),
    ("post", "/admin/entities/item/fields/name"),
    ("post", "/admin/entities/item/field-form"),
    ("post", "/admin/entities/item/field-preview"),
    ("get", "/admin/publish"),
    ("get", "/admin/publish/plan"),
    ("post", "/admin/publish"),
    ("get", "/admin/versions"),
    ("get", "/admin/versions/diff?a=1&b=1"),
    ("get", "/admin/versions/1/rollback"),
    ("post", "/admin/versions/1/rollback"),
]


def test_a_member_who_is_not_an_admin_gets_403_on_every_designer_page(shop: Runtime) -> None:
    before = _revision(shop)
    with TestClient(app=create_web_app(shop)) as client:
        signed_in_client(client, TENANT, "sales@shop.test")
        for method, path in PAGES:
            url = f"/t/{TENANT}{path}"
            data = {"name": "x", "type": "string", "draft_version": str(before), "comment": "x"}
            answer = post_form(client, url, data) if method == "post" else client.get(url)
            assert answer.status_code == 403, (path, answer.status_code)
            assert "Only tenant admins may change the application." in answer.text
    assert _revision(shop) == before
    assert shop.tenant(TENANT, fresh=True).current_version == 1


def test_the_entity_list_and_page_show_fields_and_a_form_preview(
    admin: TestClient[Any],
) -> None:
    listing = admin.get(f"/t/{TENANT}/admin/entities")
    assert listing.status_code == 200
    assert 'href="/t/shop/admin/entities/item">Item</a>' in listing.text
    assert screen_problems(listing.text) == []
    page = admin.get(f"/t/{TENANT}/admin/entities/item").text
    assert [m for m in re.findall(r'<tr id="field-(\w+)"', page)] == [
        "name",
        "size",
        "price",
        "quantity",
    ]
    preview = page[page.index('id="form-preview"') :]
    assert '<select id="preview-input-size" disabled>' in preview
    assert "<option>small</option><option>large</option>" in preview
    assert 'id="preview-input-quantity" type="number" disabled' in preview
    assert 'id="preview-input-price" class="muted">Computed' in preview
    assert screen_problems(page) == []


def test_the_field_editor_offers_every_type_with_exactly_its_options(
    admin: TestClient[Any],
) -> None:
    for kind in TYPES:
        page = admin.get(f"/t/{TENANT}/admin/entities/item/new-field?type={kind}").text
        shown = set(re.findall(r'<div class="field" id="option-(\w+)">', page))
        assert shown == {o.key for o in options_for(kind)}, kind
        assert f'<option value="{kind}" selected>' in page
    enum = admin.get(f"/t/{TENANT}/admin/entities/item/new-field?type=enum").text
    assert 'id="option-options"' in enum and 'id="option-max_length"' not in enum
    assert screen_problems(enum) == []
    changed = post_form(
        admin,
        f"/t/{TENANT}/admin/entities/item/field-form",
        {"type": "reference", "name": "maker", "draft_version": "0"},
        headers={"HX-Request": "true"},
    )
    assert changed.status_code == 200
    assert changed.text.lstrip().startswith('<div id="field-editor">')
    assert 'id="option-to"' in changed.text and 'value="maker"' in changed.text


def test_the_live_preview_follows_the_form(admin: TestClient[Any]) -> None:
    preview = post_form(
        admin,
        f"/t/{TENANT}/admin/entities/item/field-preview",
        {"name": "colour", "type": "enum", "opt_label_en": "Colour", "opt_options": "red\nblue"},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert '<label for="preview-input-colour">Colour</label>' in preview.text
    assert "<option>red</option><option>blue</option>" in preview.text


def test_adding_a_field_saves_it_in_the_draft_and_lists_it(
    admin: TestClient[Any], shop: Runtime
) -> None:
    before = _revision(shop)
    saved = _add(
        admin,
        shop,
        name="code",
        type="string",
        opt_label_en="Code",
        opt_label_es="Código",
        opt_max_length="20",
        opt_required="on",
        show_on_layouts="on",
    )
    assert saved.status_code == 200
    assert "Field code saved in the draft." in saved.text
    assert '<tr id="field-code">' in saved.text
    text, revision = read_file(shop, TENANT, ITEM_PATH)
    assert revision == before + 1
    code = "  code: {type: string, label: {en: Code, es: Código}, required: true, max_length: 20}\n"
    shown = "fields: [name, size, quantity, code]}"
    assert text.replace(code, "").replace(shown, "fields: [name, size, quantity]}") == (
        textwrap.dedent(ITEM).lstrip()  # the rest is as written
    )
    form = admin.get(f"/t/{TENANT}/admin/entities/item/new-field").text
    assert '<input type="checkbox" id="f-show" name="show_on_layouts" checked>' in form
    assert shop.tenant(TENANT, fresh=True).current_version == 1  # nothing published


def test_editing_a_field_keeps_what_the_designer_does_not_edit(
    admin: TestClient[Any], shop: Runtime
) -> None:
    page = admin.get(f"/t/{TENANT}/admin/entities/item/fields/size").text
    assert re.search(
        r'<textarea id="f-options" name="opt_options"[^>]*>small\nlarge</textarea>', page
    )
    data = {"type": "enum", "opt_options": "small\nlarge\nhuge", "opt_label_en": "Size"}
    data["draft_version"] = str(_revision(shop))
    saved = post_form(admin, f"/t/{TENANT}/admin/entities/item/fields/size", data)
    assert saved.status_code == 200, saved.text
    text, _ = read_file(shop, TENANT, ITEM_PATH)
    # A block-style field is edited key by key (its layout and comments stay).
    assert "  size:\n    type: enum\n    options: [small, large, huge]\n" in text
    assert "      large: {en: Large, es: Grande}\n    label: Size\n" in text
    assert "  price: {type: decimal, formula: 'quantity * 2'}" in text


def test_a_bad_option_is_refused_inline_with_the_clis_positioned_error(
    admin: TestClient[Any], shop: Runtime
) -> None:
    before = _revision(shop)
    refused = _add(admin, shop, name="code", type="string", opt_max_length="abc")
    assert refused.status_code == 422
    error = re.search(r'<p class="error" id="error-max_length">([^<]+)</p>', refused.text)
    assert error is not None
    assert re.fullmatch(
        r"entities/item\.yaml:\d+:\d+: error MD\d{3}: field &#39;code&#39;: "
        r"&#39;max_length&#39; must be an integer.*",
        error.group(1),
    )
    assert 'aria-describedby="error-max_length"' in refused.text
    assert 'value="abc"' in refused.text  # what was typed stays in the form
    assert _revision(shop) == before


def test_a_formula_with_an_unknown_field_is_placed_on_the_formula(
    admin: TestClient[Any], shop: Runtime
) -> None:
    before = _revision(shop)
    refused = _add(admin, shop, name="total", type="decimal", opt_formula="quantiti * 2")
    assert refused.status_code == 422
    error = re.search(r'<p class="error" id="error-formula">([^<]+)</p>', refused.text)
    assert error is not None and "quantity" in error.group(1)
    assert _revision(shop) == before


def test_a_taken_or_missing_name_is_refused(admin: TestClient[Any], shop: Runtime) -> None:
    before = _revision(shop)
    taken = _add(admin, shop, name="size", type="string")
    assert taken.status_code == 422
    assert "This entity already has a field named size." in taken.text
    missing = _add(admin, shop, name="", type="string")
    assert missing.status_code == 422 and "Give the field a name." in missing.text
    assert _revision(shop) == before


def test_a_second_admin_saving_a_stale_draft_gets_409_and_loses_nothing(
    admin: TestClient[Any], shop: Runtime
) -> None:
    form = admin.get(f"/t/{TENANT}/admin/entities/item/new-field").text
    read_at = re.search(r'name="draft_version" value="(\d+)"', form)
    assert read_at is not None
    text, revision = read_file(shop, TENANT, ITEM_PATH)
    save_file(shop, TENANT, ITEM_PATH, text, revision, "ana@shop.test")
    data = {"name": "code", "type": "string", "opt_label_en": "My code"}
    stale = post_form(
        admin,
        f"/t/{TENANT}/admin/entities/item/fields",
        {**data, "draft_version": read_at.group(1)},
    )
    assert stale.status_code == 409
    assert "Another admin (ana@shop.test) saved the draft" in stale.text
    assert "reload the page" in stale.text
    assert 'value="My code"' in stale.text and 'value="code"' in stale.text
    assert _revision(shop) == revision + 1
    assert "code:" not in read_file(shop, TENANT, ITEM_PATH)[0]


def test_where_a_field_is_used(admin: TestClient[Any]) -> None:
    used = admin.get(f"/t/{TENANT}/admin/entities/item/fields/quantity/usage").text
    assert re.findall(r"<code>([^<]+)</code>", used) == [
        "entities/item.yaml:12",
        "entities/item.yaml:18",
    ]
    assert "formula: &#39;quantity * 2&#39;" in used
    size = admin.get(f"/t/{TENANT}/admin/entities/item/fields/size/usage").text
    assert "columns: [name, size]" in size
    unused = admin.get(f"/t/{TENANT}/admin/entities/item/fields/price/usage").text
    assert "Nothing else in the application names price." in unused


def test_the_designer_speaks_spanish(admin: TestClient[Any]) -> None:
    page = admin.get(
        f"/t/{TENANT}/admin/entities/item/new-field", headers={"Accept-Language": "es"}
    ).text
    assert "Guardar en el borrador" in page and "Nuevo campo" in page
    listing = admin.get(f"/t/{TENANT}/admin/entities", headers={"Accept-Language": "es"}).text
    assert "Entidades y campos" in listing and ">Artículo</a>" in listing


def test_an_unknown_entity_or_field_is_404(admin: TestClient[Any]) -> None:
    assert admin.get(f"/t/{TENANT}/admin/entities/nope").status_code == 404
    assert admin.get(f"/t/{TENANT}/admin/entities/..%2Fapp").status_code == 404
    assert admin.get(f"/t/{TENANT}/admin/entities/item/fields/nope").status_code == 404


def test_renaming_a_field_rewrites_its_references_in_the_draft(
    admin: TestClient[Any], shop: Runtime
) -> None:
    url = f"/t/{TENANT}/admin/entities/item/fields/quantity/rename"
    taken = post_form(admin, url, {"to": "price", "draft_version": str(_revision(shop))})
    assert taken.status_code == 422
    error = re.search(r'<p class="error" id="error-rename">([^<]+)</p>', taken.text)
    assert error is not None
    assert re.match(r"entities/item\.yaml:\d+:\d+: error MD005: cannot rename", error.group(1))
    before = _revision(shop)
    stale = post_form(admin, url, {"to": "qty", "draft_version": str(before - 1)})
    assert stale.status_code == 409 and "saved the draft since you opened" in stale.text
    done = post_form(admin, url, {"to": "qty", "draft_version": str(before)})
    assert done.status_code == 200
    assert "Field quantity renamed to qty in the draft (files rewritten: 1)." in done.text
    text, revision = read_file(shop, TENANT, ITEM_PATH)
    assert revision == before + 1
    assert "formula: 'qty * 2'" in text and "renamed_from: quantity" in text
    assert "fields: [name, size, qty]" in text
