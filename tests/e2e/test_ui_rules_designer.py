"""The rules editor: list, live check, completions, draft saves, try on a record (issue 16)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.drafts import DraftStore, read_file
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import create, screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "shop"
ITEM = """
    entity: item
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true, label: {en: Name, es: Nombre}}
      quantity: {type: integer, label: {en: Quantity, es: Cantidad}}
      double: {type: integer, formula: "quantity * 2"}
      note: {type: string, default: '"none"'}
    validations:
      - {when: "quantity < 0", field: quantity, message: "No negative quantities."}
"""
RULES = """
    # Item rules.
    rule "Big order"
      on item created, updated
      when quantity > 100
      then notify owner "Big order"
    end
"""
BASE = f"/t/{TENANT}/admin/entities/item/rules"


@pytest.fixture
def shop(runtime: Runtime, tmp_path: Any) -> Runtime:
    """A tenant (SQLite or PostgreSQL) with one entity, one validation and one trigger rule."""
    package = tmp_path / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "rules").mkdir()
    (package / "app.yaml").write_text("name: shop\nversion: 1.0.0\nlabel: Shop\n")
    (package / "entities" / "item.yaml").write_text(textwrap.dedent(ITEM).lstrip())
    (package / "rules" / "item.rules").write_text(textwrap.dedent(RULES).lstrip())
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, package)
    add_user(runtime, TENANT, "admin@shop.test", ["admin"])
    add_user(runtime, TENANT, "sales@shop.test", ["sales"])
    return runtime


@pytest.fixture
def admin(shop: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser, signed in."""
    with TestClient(app=create_web_app(shop)) as client:
        yield signed_in_client(client, TENANT, "admin@shop.test")


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _validation(runtime: Runtime, source: str, **extra: str) -> dict[str, str]:
    data = {"draft_version": str(_revision(runtime)), "kind": "validation", "source": source}
    return {"message_en": "Too many.", "message_es": "Demasiados.", **data, **extra}


def test_the_page_lists_validations_formulas_defaults_and_trigger_rules(
    admin: TestClient[Any],
) -> None:
    answer = admin.get(BASE)
    assert answer.status_code == 200
    text = answer.text
    assert "quantity &lt; 0" in text and "No negative quantities." in text
    assert "quantity * 2" in text and "&#34;none&#34;" in text
    assert "Big order" in text and "rules/item.rules:2" in text
    assert screen_problems(text) == []
    spanish = admin.get(BASE, headers={"accept-language": "es"})
    assert "Reglas de Artículo" in spanish.text
    editor = admin.get(f"{BASE}/validations/1")
    assert editor.status_code == 200 and "quantity &lt; 0" in editor.text
    assert screen_problems(editor.text) == []
    trigger = admin.get(f"{BASE}/triggers/edit", params={"name": "Big order"})
    assert trigger.status_code == 200 and "when quantity &gt; 100" in trigger.text
    assert screen_problems(trigger.text) == []
    assert admin.get(f"{BASE}/triggers/edit", params={"name": "Nope"}).status_code == 404


def test_the_check_underlines_the_error_with_its_code_and_suggestion(
    admin: TestClient[Any],
) -> None:
    data = {"kind": "validation", "source": 'quantity > 1 and nmae == "x"'}
    answer = post_form(admin, f"{BASE}/check", data)
    assert answer.status_code == 200
    assert '<mark class="rule-error" id="rule-mark-1">nmae</mark>' in answer.text
    assert "Line 1, column 18" in answer.text and "RL" in answer.text
    assert "Did you mean name?" in answer.text
    assert screen_problems(answer.text) == []
    spanish = post_form(admin, f"{BASE}/check", data, headers={"accept-language": "es"})
    assert "Línea 1, columna 18" in spanish.text and "¿Quería decir name?" in spanish.text
    typed = {"kind": "validation", "source": "quantity > 1 and qua", "cursor": "20"}
    completing = post_form(admin, f"{BASE}/check", typed)
    assert 'data-insert="quantity"' in completing.text
    fine = post_form(admin, f"{BASE}/check", {"kind": "validation", "source": "quantity > 5"})
    assert 'id="rule-ok"' in fine.text and "rule-error" not in fine.text
    text = 'rule "x"\n  on item created\n  when quantty > 1\n  then notify owner "y"\nend\n'
    rule = {"kind": "trigger", "source": text}
    checked = post_form(admin, f"{BASE}/check", rule)
    assert '<mark class="rule-error" id="rule-mark-1">quantty</mark>' in checked.text


def test_a_validation_saves_to_the_draft_and_an_invalid_one_is_not_saved(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    before = _revision(shop)
    bad = post_form(admin, f"{BASE}/validations", _validation(shop, "quantty > 10"))
    assert bad.status_code == 422
    assert "nothing was saved" in bad.text and 'id="rule-mark-1"' in bad.text
    assert _revision(shop) == before
    empty = post_form(
        admin, f"{BASE}/validations", _validation(shop, "quantity > 10", message_en="")
    )
    assert empty.status_code == 422 and _revision(shop) == before
    good = post_form(
        admin, f"{BASE}/validations", _validation(shop, "quantity > 10", field="quantity")
    )
    assert good.status_code == 200 and "Rule saved in the draft." in good.text
    text, revision = read_file(shop, TENANT, "entities/item.yaml")
    assert revision == before + 1
    assert "quantity > 10" in text and "Demasiados." in text and "quantity < 0" in text
    edit = _validation(shop, "quantity >= 0 and quantity < 0", index="1", message_en="Never.")
    assert post_form(admin, f"{BASE}/validations", edit).status_code == 200
    text, _ = read_file(shop, TENANT, "entities/item.yaml")
    assert "quantity >= 0 and quantity < 0" in text and "No negative quantities." not in text
    stale = post_form(admin, f"{BASE}/validations", {**edit, "draft_version": str(before)})
    assert stale.status_code == 409
    assert "Another admin" in stale.text and "quantity &gt;= 0" in stale.text  # kept
    delete = {"draft_version": str(_revision(shop)), "kind": "validation", "index": "2"}
    assert "Rule deleted from the draft." in post_form(admin, f"{BASE}/delete", delete).text
    text, _ = read_file(shop, TENANT, "entities/item.yaml")
    assert "quantity > 10" not in text and "quantity >= 0" in text


def test_a_trigger_rule_saves_to_the_draft_and_an_invalid_one_is_not_saved(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    before = _revision(shop)
    rule = (
        'rule "Low stock"\n  on item updated\n  when quantity < 5\n  then notify owner "Low"\nend\n'
    )
    wrong = {
        "draft_version": str(before),
        "kind": "trigger",
        "source": rule.replace("quantity <", "qty <"),
    }
    bad = post_form(admin, f"{BASE}/triggers", wrong)
    assert bad.status_code == 422 and 'id="rule-mark-1"' in bad.text
    two = {**wrong, "source": rule + rule.replace("Low stock", "Other")}
    assert post_form(admin, f"{BASE}/triggers", two).status_code == 422
    assert _revision(shop) == before
    added = post_form(admin, f"{BASE}/triggers", {**wrong, "source": rule.replace("\n", "\r\n")})
    assert added.status_code == 200 and "Rule saved in the draft." in added.text
    text, _ = read_file(shop, TENANT, "rules/item.rules")
    assert text.startswith("# Item rules.") and 'rule "Low stock"' in text and "\r" not in text
    changed = rule.replace("< 5", "< 3")
    edit = {"draft_version": str(_revision(shop)), "kind": "trigger", "source": changed}
    saved = post_form(admin, f"{BASE}/triggers", {**edit, "original": "Low stock"})
    assert saved.status_code == 200
    text, _ = read_file(shop, TENANT, "rules/item.rules")
    assert "quantity < 3" in text and "quantity < 5" not in text and text.count("Low stock") == 1
    stale = post_form(admin, f"{BASE}/triggers", {**edit, "original": "Low stock"})
    assert stale.status_code == 409 and "quantity &lt; 3" in stale.text
    gone = {"draft_version": str(_revision(shop)), "kind": "trigger", "name": "Big order"}
    post_form(admin, f"{BASE}/delete", gone)
    text, _ = read_file(shop, TENANT, "rules/item.rules")
    assert "Big order" not in text and "Low stock" in text


def test_try_on_a_record_evaluates_the_rule_and_explains_the_save(
    shop: Runtime, admin: TestClient[Any]
) -> None:
    record = create(shop, TENANT, "admin@shop.test", "item", {"name": "Box", "quantity": 7})
    data = {"kind": "validation", "source": "quantity > 5", "record": str(record["id"])}
    answer = post_form(admin, f"{BASE}/try", data)
    assert answer.status_code == 200
    assert f"On record #{record['id']} this validation refuses the save." in answer.text
    assert 'id="try-would-save"' in answer.text
    passes = post_form(admin, f"{BASE}/try", {**data, "source": "quantity > 50"})
    assert "lets the save through" in passes.text
    missing = post_form(admin, f"{BASE}/try", {**data, "record": "999999"})
    assert "There is no record #999999." in missing.text
    draft_only = post_form(admin, f"{BASE}/try", {**data, "source": "colour > 1"})
    assert "publish the draft to try it" in draft_only.text
    rule = 'rule "t"\n  on item updated\n  when quantity > 5\n  then notify owner "x"\nend\n'
    fired = post_form(admin, f"{BASE}/try", {**data, "kind": "trigger", "source": rule})
    assert "the rule would act on its trigger" in fired.text
    bad = post_form(admin, f"{BASE}/try", {**data, "record": "abc"})
    assert "Type the number of a record" in bad.text


def test_a_member_who_is_not_an_admin_is_refused(shop: Runtime) -> None:
    with TestClient(app=create_web_app(shop)) as client:
        signed_in_client(client, TENANT, "sales@shop.test")
        assert client.get(BASE).status_code == 403
        check = post_form(client, f"{BASE}/check", {"kind": "validation", "source": "x"})
        assert check.status_code == 403
