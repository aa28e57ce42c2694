"""Stable ids survive renames: a renamed entity keeps the ids of its fields and layout."""

from __future__ import annotations

from trellis.platform.app_packages.lock import LOCK_FILE, publish_files, read_lock

ITEM = """\
fields:
  name: {type: string}
  price: {type: decimal}
validations:
  - {when: "price < 0", message: No}
layouts:
  form:
    sections:
      - {label: Main, fields: [name, price]}
"""


def test_an_entity_rename_keeps_the_ids_of_the_entity_and_everything_in_it() -> None:
    current = publish_files({"entities/item.yaml": ITEM}, None)
    first = read_lock(current[LOCK_FILE])
    renamed = "renamed_from: item\n" + ITEM.replace(
        "  price: {type: decimal}", "  cost: {type: decimal, renamed_from: price}"
    )
    second = read_lock(publish_files({"entities/article.yaml": renamed}, current)[LOCK_FILE])
    assert second["entity:article"] == first["entity:item"]
    assert second["entity:article/field:name"] == first["entity:item/field:name"]
    assert second["entity:article/field:cost"] == first["entity:item/field:price"]
    assert second["entity:article/validation:1"] == first["entity:item/validation:1"]
    assert (
        second["entity:article/layout:form/section:Main"]
        == first["entity:item/layout:form/section:Main"]
    )
