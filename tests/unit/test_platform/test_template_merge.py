"""The three-way merge works on nodes by stable id (issue 16, item 7)."""

from __future__ import annotations

import pytest

from trellis.platform.app_packages.archive import PackageError
from trellis.platform.app_packages.canonical import read_yaml
from trellis.platform.app_packages.demo import sample_records
from trellis.platform.app_packages.lock import lock_files, read_lock
from trellis.platform.app_packages.merge import merge_packages
from trellis.platform.app_packages.upgrade import read_resolutions

APP = "name: demo\nversion: 1.0.0\nlabel: Demo\n"
BASE = {
    "app.yaml": APP,
    "entities/item.yaml": "fields:\n  title: {type: string}\n  size: {type: integer}\n",
}


def _entity(files: dict[str, str]) -> dict[str, object]:
    data = read_yaml(files["entities/item.yaml"])
    assert isinstance(data, dict)
    fields = data["fields"]
    assert isinstance(fields, dict)
    return fields


def test_a_tenant_rename_still_receives_the_upstream_change() -> None:
    base = lock_files(BASE)
    ours = lock_files(
        {
            **BASE,
            "entities/item.yaml": "fields:\n  name: {type: string, renamed_from: title}\n"
            "  size: {type: integer}\n",
        },
        read_lock(base["trellis.lock.yaml"]),
    )
    theirs = {
        **BASE,
        "entities/item.yaml": "fields:\n  title: {type: string, label: Title}\n"
        "  size: {type: integer}\n",
    }
    result = merge_packages(base, theirs, ours)
    assert result.conflicts == []
    assert _entity(result.files)["name"] == {
        "type": "string",
        "renamed_from": "title",
        "label": "Title",
    }


def test_upstream_removal_of_a_changed_node_and_a_name_clash_are_conflicts() -> None:
    base = lock_files(BASE)
    ours = lock_files(
        {
            **BASE,
            "entities/item.yaml": "fields:\n  title: {type: string}\n"
            "  size: {type: integer, min: 0}\n  color: {type: string}\n",
        },
        read_lock(base["trellis.lock.yaml"]),
    )
    theirs = {
        **BASE,
        "entities/item.yaml": "fields:\n  title: {type: string}\n"
        "  color: {type: enum, options: [red]}\n",
    }
    result = merge_packages(base, theirs, ours)
    kinds = {c.path: c.kind for c in result.conflicts}
    assert kinds == {
        "entities/item.yaml:fields.size": "removed upstream, changed here",
        "entities/item.yaml:fields.color": "name clash",
    }
    resolved = merge_packages(
        base,
        theirs,
        ours,
        {"entities/item.yaml:fields.size": "theirs", "entities/item.yaml:fields.color": "ours"},
    )
    assert resolved.unresolved == []
    assert _entity(resolved.files) == {"title": {"type": "string"}, "color": {"type": "string"}}


def test_resolutions_must_say_ours_theirs_or_a_value() -> None:
    assert read_resolutions("a: ours\nb: {value: 3}\n", "r.yaml") == {
        "a": "ours",
        "b": {"value": 3},
    }
    with pytest.raises(PackageError, match="ours, theirs"):
        read_resolutions("a: mine\n", "r.yaml")


def test_sample_data_files_are_lists_of_records() -> None:
    files = {"data/item.yaml": "- {title: One}\n- {title: Two}\n", "app.yaml": APP}
    assert sample_records(files) == [("item", {"title": "One"}), ("item", {"title": "Two"})]
    with pytest.raises(PackageError, match="list of records"):
        sample_records({"data/item.yaml": "title: One\n"})


def test_errors_of_a_merged_package_name_its_own_paths() -> None:
    from trellis.metadata.diagnostics import MetadataError
    from trellis.metadata.loader import load_package
    from trellis.platform.app_packages.install import package_folder

    bad = {**BASE, "entities/item.yaml": "fields:\n  title: {type: strin}\n"}
    with pytest.raises(MetadataError) as caught, package_folder(bad) as folder:
        load_package(folder)
    assert str(caught.value.errors[0]).startswith("entities/item.yaml:2:")
