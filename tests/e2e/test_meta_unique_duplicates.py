"""Making a field unique over duplicate values: listed with its count, refused until fixed."""

from __future__ import annotations

import pytest

from trellis.platform.drafts import (
    DestructiveChangeError,
    plan_draft,
    publish_draft,
    read_file,
    save_file,
)
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import PackageWriter
from ui_activity_support import create, update
from ui_support import add_user

TENANT = "uniq"
ITEM = """
    label: Item
    title: name
    fields:
      name: {type: string}
      code: {type: string}
"""


def test_a_unique_rule_over_duplicates_is_listed_and_refused_until_they_are_fixed(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    admin = "admin@uniq.test"
    add_user(runtime, TENANT, admin, ["admin"])
    first = create(runtime, TENANT, admin, "item", {"name": "one", "code": "A"})
    create(runtime, TENANT, admin, "item", {"name": "two", "code": "A"})
    create(runtime, TENANT, admin, "item", {"name": "three", "code": "B"})
    create(runtime, TENANT, admin, "item", {"name": "four"})
    create(runtime, TENANT, admin, "item", {"name": "five"})  # empty values never clash
    text, revision = read_file(runtime, TENANT, "entities/item.yaml")
    unique = text.replace("code: {type: string}", "code: {type: string, unique: true}")
    save_file(runtime, TENANT, "entities/item.yaml", unique, revision, admin)

    plan = plan_draft(runtime, TENANT)
    assert plan["needs_confirmation"] is True
    assert plan["destructive"] == [
        {
            "kind": "unique_over_duplicates",
            "entity": "item",
            "field": "code",
            "count": 2,
            "text": "makes `code` of item unique: 2 live rows share a value with another; "
            "merge or correct them before publishing",
        }
    ]
    for confirm in (False, True):
        with pytest.raises(DestructiveChangeError) as refused:
            publish_draft(runtime, TENANT, actor=admin, comment="", confirm=confirm)
        assert "2 live rows share a value" in str(refused.value)
        assert runtime.tenant(TENANT, fresh=True).current_version == 1

    update(runtime, TENANT, admin, "item", first["id"], {"code": "C"})
    assert plan_draft(runtime, TENANT)["destructive"] == []
    done = publish_draft(runtime, TENANT, actor=admin, comment="Unique codes", confirm=False)
    assert done["version"] == 2
    assert runtime.app(TENANT).model.entities["item"].fields["code"].unique is True
