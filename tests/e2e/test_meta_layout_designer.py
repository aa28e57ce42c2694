"""The layout designer's service: each change lands in the draft, publishes, bad ones refused."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from trellis.platform.designers.layout_edit import LayoutChange, LayoutEditError
from trellis.platform.designers.layout_service import edit_layout, entity_layouts
from trellis.platform.drafts import (
    DraftConflictError,
    DraftStore,
    InvalidDraftError,
    plan_draft,
    publish_draft,
)
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import PackageWriter

TENANT = "shop"
ITEM = """
    label: {en: Item, es: Artículo}
    title: name
    fields:
      name: {type: string, required: true}
      size: {type: enum, options: [small, large]}
      quantity: {type: integer}
      notes: {type: text}
      double: {type: integer, formula: 'quantity * 2'}
    layouts:
      list: {columns: [name, size]}
      form:
        sections:
          - {label: Main, fields: [name, size]}
          - {label: More, fields: [quantity]}
      kanban: {field: size, card: [quantity]}
"""
ORDER = """
    label: Order
    fields:
      code: {type: string}
      item: {type: reference, to: item}
"""


@pytest.fixture
def shop(runtime: Runtime, write_package: PackageWriter) -> Runtime:
    """A tenant with an item (declared list, form and kanban) and an order pointing at it."""
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM, "order": ORDER}))
    return runtime


def _edit(runtime: Runtime, op: str, screen: str, **values: Any) -> int:
    revision = entity_layouts(runtime, TENANT, "item").revision
    change = LayoutChange(op, screen, **values)
    return edit_layout(runtime, TENANT, "item", change, expected=revision, actor="admin@x")


def _draft_layouts(runtime: Runtime) -> dict[str, Any]:
    info = runtime.tenant(TENANT, fresh=True)
    text = DraftStore(runtime.registry).load(info.id).files["entities/item.yaml"].text
    assert text is not None
    found: dict[str, Any] = yaml.safe_load(text)["layouts"]
    return found


def _form(runtime: Runtime) -> list[list[str]]:
    return [list(s["fields"]) for s in _draft_layouts(runtime)["form"]["sections"]]


def test_each_layout_change_goes_into_the_draft_and_publish_applies_it(shop: Runtime) -> None:
    _edit(shop, "down", "form", field="name")
    assert _form(shop) == [["size", "name"], ["quantity"]]
    _edit(shop, "down", "form", field="name")  # over the edge: first of the next section
    assert _form(shop) == [["size"], ["name", "quantity"]]
    _edit(shop, "to_section", "form", field="quantity", section=0)
    _edit(shop, "place", "form", field="quantity", section=0, index=0)
    assert _form(shop) == [["quantity", "size"], ["name"]]
    _edit(shop, "add_section", "form", field="size", label_en="Sizes", label_es="Tallas")
    _edit(shop, "section_up", "form", section=2)
    assert _form(shop) == [["quantity"], ["size"], ["name"]]
    assert _draft_layouts(shop)["form"]["sections"][1]["label"] == {"en": "Sizes", "es": "Tallas"}
    _edit(shop, "edit_section", "form", section=1, label_en="Size", label_es="Talla", tab="Extra")
    assert _draft_layouts(shop)["form"]["sections"][1] == {
        "label": {"en": "Size", "es": "Talla"},
        "fields": ["size"],
        "tab": "Extra",
    }
    _edit(shop, "edit_section", "form", section=1, label_en="Sizes", label_es="Tallas")
    assert "tab" not in _draft_layouts(shop)["form"]["sections"][1]
    _edit(shop, "remove", "form", field="quantity")  # its section goes with it
    _edit(shop, "add", "form", field="quantity", section=1)
    assert _form(shop) == [["size"], ["name", "quantity"]]

    _edit(shop, "up", "list", field="size")
    _edit(shop, "add", "list", field="quantity")
    _edit(shop, "add", "kanban", field="name")
    _edit(shop, "place", "kanban", field="name", index=0)
    # A screen left to the generated default is written out on its first change.
    _edit(shop, "up", "detail", field="size")
    layouts = _draft_layouts(shop)
    assert layouts["list"]["columns"] == ["size", "name", "quantity"]
    assert layouts["kanban"]["card"] == ["name", "quantity"]
    assert layouts["detail"]["sections"][0]["fields"][:3] == ["size", "name", "quantity"]
    assert layouts["kanban"]["field"] == "size"

    plan = plan_draft(shop, TENANT)
    assert plan["diff"]["metadata"]["layouts_changed"] == ["item"]
    assert plan["ddl"] == []
    publish_draft(shop, TENANT, actor="admin@x", comment="layouts", confirm=False)
    declared = shop.app(TENANT).model.entities["item"].layouts
    assert declared is not None and declared.form is not None and declared.list is not None
    assert [s.fields for s in declared.form.sections] == [("size",), ("name", "quantity")]
    assert declared.form.sections[0].label == "Sizes"
    assert declared.list.columns == ("size", "name", "quantity")
    assert entity_layouts(shop, TENANT, "item").changed is False


def test_the_page_view_fills_in_generated_layouts(shop: Runtime) -> None:
    view = entity_layouts(shop, TENANT, "item")
    assert view.declared == ("list", "form", "kanban")
    assert view.layouts["detail"]["sections"][0]["fields"] == [
        "name",
        "size",
        "quantity",
        "notes",
        "double",
    ]
    order = entity_layouts(shop, TENANT, "order").layouts
    assert order["form"]["sections"][0]["fields"] == ["code", "item"]
    assert order["list"]["columns"] == ["code", "item"]


BAD = [
    (LayoutChange("add", "form", field="colour", section=0), "Entity 'item' has no field 'colour'"),
    (
        LayoutChange("add", "form", field="code", section=0),
        "Field 'code' belongs to entity 'order', not to 'item'",
    ),
    (LayoutChange("add", "form", field="size", section=1), "already on the form layout"),
    (LayoutChange("add", "list", field="name"), "already on the list layout"),
    (
        LayoutChange("add_section", "form", field="size", label_en=" ", label_es="Tallas"),
        "Give the section a name in English and in Spanish.",
    ),
    (LayoutChange("to_section", "form", field="size", section=7), "There is no section 8"),
    (LayoutChange("up", "form", field="notes"), "Field 'notes' is not on this layout."),
    (LayoutChange("up", "form", field=""), "Choose a field."),
    (
        LayoutChange("edit_section", "form", section=0, label_en="Main", label_es=""),
        "Give the section a name in English and in Spanish.",
    ),
    (
        LayoutChange("edit_section", "form", section=5, label_en="A", label_es="B"),
        "There is no section 6",
    ),
    (LayoutChange("twist", "form", field="name"), "'twist' is not a layout change."),
    (LayoutChange("up", "phone", field="name"), "There is no 'phone' layout."),
    (LayoutChange("add_section", "list", field="name"), "The list layout has no sections."),
    (LayoutChange("related_up", "detail", section=0), "There is no related list 1."),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_a_bad_layout_change_is_refused_with_a_clear_error_and_changes_nothing(
    shop: Runtime, change: LayoutChange, message: str
) -> None:
    before = entity_layouts(shop, TENANT, "item")
    with pytest.raises(LayoutEditError, match=message.replace("(", r"\(")):
        edit_layout(shop, TENANT, "item", change, expected=before.revision, actor="admin@x")
    after = entity_layouts(shop, TENANT, "item")
    assert (after.revision, after.layouts, after.changed) == (
        before.revision,
        before.layouts,
        False,
    )


def test_a_change_the_package_check_refuses_is_reported_placed(shop: Runtime) -> None:
    revision = entity_layouts(shop, TENANT, "item").revision
    computed = LayoutChange("add", "form", field="created_at", section=0)
    with pytest.raises(InvalidDraftError) as caught:
        edit_layout(shop, TENANT, "item", computed, expected=revision, actor="admin@x")
    assert any(
        "entities/item.yaml:" in e["text"] and "MD101" in e["text"] for e in caught.value.errors
    )
    assert entity_layouts(shop, TENANT, "item").revision == revision


def test_a_change_on_a_stale_draft_revision_gets_a_conflict_and_changes_nothing(
    shop: Runtime,
) -> None:
    stale = entity_layouts(shop, TENANT, "item").revision
    _edit(shop, "down", "form", field="name")
    kept = _form(shop)
    with pytest.raises(DraftConflictError, match="Reload"):
        edit_layout(
            shop,
            TENANT,
            "item",
            LayoutChange("up", "list", field="size"),
            expected=stale,
            actor="other@x",
        )
    assert _form(shop) == kept
    assert _draft_layouts(shop)["list"]["columns"] == ["name", "size"]


COMMENTED = ITEM.replace(
    """    layouts:
      list: {columns: [name, size]}
      form:
        sections:
          - {label: Main, fields: [name, size]}
          - {label: More, fields: [quantity]}
""",
    """    layouts:
      # the list's columns
      list: {columns: [name, size]}
      form:
        sections:
          # the first section
          - {label: Main, fields: [name, size]}
          # then the rest
          - label: More
            fields:
              - quantity  # how many
""",
)


def test_comments_inside_layouts_are_kept_and_only_the_changed_node_is_rewritten(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": COMMENTED, "order": ORDER}))
    _edit(runtime, "down", "form", field="name")
    _edit(runtime, "add", "form", field="notes", section=1)
    info = runtime.tenant(TENANT, fresh=True)
    text = DraftStore(runtime.registry).load(info.id).files["entities/item.yaml"].text
    assert text is not None
    assert _form(runtime) == [["size", "name"], ["quantity", "notes"]]
    for kept in (
        "  # the list's columns\n  list: {columns: [name, size]}\n",
        "      # the first section\n      - {label: Main, fields: [size, name]}\n",
        "      # then the rest\n      - label: More\n",
        "          - quantity  # how many\n          - notes\n",
    ):
        assert kept in text, text
    publish_draft(runtime, TENANT, actor="admin@x", comment="order", confirm=False)
    declared = runtime.app(TENANT).model.entities["item"].layouts
    assert declared is not None and declared.form is not None
    assert [s.fields for s in declared.form.sections] == [("size", "name"), ("quantity", "notes")]
