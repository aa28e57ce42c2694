"""Data steps of a publish: a fill value for a new required field, an option mapping (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TENANT = "steps"
ITEM = """
    label: Item
    fields:
      name: {type: string, required: true}
      size: {type: enum, options: [small, medium, large]}
"""
PATH = "_meta/draft/entities/item.yaml"


@pytest.fixture
def admin(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    from trellis.platform.publish import publish

    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    reg = runtime.registry
    reg.add_membership(TENANT, reg.ensure_user("admin@st.test", "correct horse battery"), ["admin"])
    api = Api(client, TENANT, reg.create_token(TENANT, "admin@st.test"))
    for name, size in (("a", "large"), ("b", "small"), ("c", "large")):
        assert api.post("item", json={"name": name, "size": size}).status_code == 201
    return api


def _save(admin: Api, old: str, new: str) -> None:
    read = admin.get(PATH)
    text = read.text.replace(old, new)
    headers = {"If-Match": read.headers["etag"], "Content-Type": "text/plain"}
    assert admin.put(PATH, content=text.encode(), headers=headers).status_code == 200


def _publish(admin: Api, **body: Any) -> Any:
    return admin.post("_meta/draft/publish", json=body)


def test_a_fill_value_makes_a_new_required_field_safe_to_publish(admin: Api) -> None:
    _save(admin, "  size:", "  code: {type: string, required: true}\n  size:")
    plan = admin.get("_meta/draft/plan").json()
    assert plan["needs_confirmation"] is True
    assert plan["data_steps"] == [{"kind": "fill", "field": "item.code", "count": 3, "value": None}]

    done = _publish(admin, data_steps={"fill": {"item.code": "N/A"}})
    assert done.status_code == 200, done.text
    assert done.json()["plan"]["data_steps"][0]["value"] == "N/A"
    assert sorted(r["code"] for r in admin.get("item").json()["items"]) == ["N/A"] * 3


def test_an_option_mapping_moves_rows_off_a_removed_option(admin: Api) -> None:
    _save(admin, "[small, medium, large]", "[small, medium]")
    plan = admin.get("_meta/draft/plan").json()
    (step,) = plan["data_steps"]
    assert step == {"kind": "map_options", "field": "item.size", "count": 2, "map": {}}
    assert _publish(admin).status_code == 409  # without a mapping it loses data

    done = _publish(admin, data_steps={"map_options": {"item.size": {"large": "medium"}}})
    assert done.status_code == 200, done.text
    assert done.json()["plan"]["needs_confirmation"] is False
    sizes = sorted(r["size"] for r in admin.get("item").json()["items"])
    assert sizes == ["medium", "medium", "small"]


def test_bad_data_steps_are_refused_and_change_nothing(admin: Api) -> None:
    _save(admin, "[small, medium, large]", "[small, medium]")
    unknown = _publish(admin, data_steps={"fill": {"item.nope": "x"}})
    assert unknown.status_code == 422 and "data_steps.fill" in unknown.json()["errors"]
    wrong = _publish(admin, data_steps={"map_options": {"item.size": {"large": "huge"}}})
    assert wrong.status_code == 422 and "data_steps.map_options" in wrong.json()["errors"]
    shape = _publish(admin, data_steps=["fill"])
    assert shape.status_code == 422
    sizes = sorted(r["size"] for r in admin.get("item").json()["items"])
    assert sizes == ["large", "large", "small"]


def test_cli_publish_takes_fill_and_map_option_and_backs_up_when_destructive(
    runtime: Runtime,
    admin: Api,
    write_package: PackageWriter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trellis.cli import main

    config = runtime.config
    monkeypatch.setenv("TRELLIS_DATA_DIR", str(config.data_dir))
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    changed = ITEM.replace("[small, medium, large]", "[small, medium]").replace(
        "  size:", "  qty: {type: integer, required: true}\n      size:"
    )
    package = str(write_package({"item": changed}))
    assert main(["publish", TENANT, package, "--fill", "item.qty"]) == 1
    assert "write entity.field=value" in capsys.readouterr().err
    steps = ["--fill", "item.qty=1", "--map-option", "item.size:large=small"]
    assert main(["publish", TENANT, package, *steps]) == 0
    out = capsys.readouterr().out
    assert "Published as version 2." in out and "backup:" not in out  # nothing lost
    rows = admin.get("item").json()["items"]
    assert sorted((r["size"], r["qty"]) for r in rows) == [("small", 1)] * 3

    dropped = str(write_package({"item": ITEM.replace("  size:", "  old_size:")}))
    assert main(["publish", TENANT, dropped, "--allow-destructive"]) == 0
    backup = capsys.readouterr().out.split("backup: ", 1)[1].strip()
    assert (config.data_dir / backup).is_file()
