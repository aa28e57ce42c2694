"""``encrypted: true`` fields: ciphertext on disk, exact-match filters, key rotation."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.cli import main
from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import CODES, load_package
from trellis.platform.db.tables import build_metadata
from trellis.platform.privacy.keys import PREFIX, DataKeyError, data_keys_table
from trellis.platform.privacy.rotate import rotate_keys
from trellis.platform.runtime import Runtime

from helpers import Api, make_tenant

PATIENT = """
label: Patient
title: name
fields:
  name: {type: string, required: true}
  tax_id: {type: string, max_length: 20, encrypted: true, unique: true}
  notes: {type: text, encrypted: true}
  visits: {type: integer}
"""


@pytest.fixture
def api(runtime: Runtime, client: TestClient[Any], write_package: Any) -> Api:
    token = make_tenant(runtime, write_package, "clinic", entities={"patient": PATIENT})
    return Api(client, "clinic", token)


def _stored(runtime: Runtime, tenant: str, table: str) -> list[dict[str, Any]]:
    """Rows as they are on disk (the tables without the tenant's keyring)."""
    raw = build_metadata(runtime.app(tenant).model).tables[table]
    with runtime.engines.tenant_connection(tenant) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(raw).order_by(raw.c.id))]


def _create(api: Api, **body: Any) -> int:
    response = api.post("patient", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _ids(api: Api, text: str) -> list[int]:
    response = api.get("patient", params={"filter": text})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_disk_holds_ciphertext_reads_and_exact_filters_work(api: Api, runtime: Runtime) -> None:
    ada = _create(api, name="Ada", tax_id="X-1234", notes="allergic to penicillin", visits=2)
    bob = _create(api, name="Bob", tax_id="Y-9876", visits=1)
    api.patch(f"patient/{bob}", json={"notes": "second note", "version": 1})
    rows = _stored(runtime, "clinic", "patient")
    for row in rows:
        assert row["tax_id"].startswith(PREFIX)
        assert "X-1234" not in row["tax_id"] and "Y-9876" not in row["tax_id"]
    assert "penicillin" not in rows[0]["notes"]
    history = json.dumps([r["changes"] for r in _stored(runtime, "clinic", "_changes")])
    assert "penicillin" not in history and "X-1234" not in history and "second note" not in history
    assert api.get(f"patient/{ada}").json()["tax_id"] == "X-1234"
    assert api.get(f"patient/{ada}").json()["notes"] == "allergic to penicillin"
    assert _ids(api, 'tax_id == "X-1234"') == [ada]
    assert _ids(api, 'tax_id != "X-1234"') == [bob]
    assert _ids(api, 'tax_id == "nobody"') == []
    assert _ids(api, "notes is empty") == []
    # field history decrypts for readers
    items = api.get(f"patient/{bob}/_history").json()["items"]
    assert any(i["changes"].get("notes") == [None, "second note"] for i in items)
    # unique holds on the plain value (equal values, equal ciphertexts)
    dup = api.post("patient", json={"name": "Eve", "tax_id": "X-1234"})
    assert dup.status_code in (409, 422), dup.text


REFUSED = ('tax_id contains "12"', 'tax_id > "A"', "tax_id == name", 'lower(tax_id) == "x-1234"')


def test_other_filters_and_sorting_are_refused_and_tampering_is_caught(
    api: Api, runtime: Runtime
) -> None:
    ada = _create(api, name="Ada", tax_id="X-1234")
    for text in REFUSED:
        response = api.get("patient", params={"filter": text})
        assert response.status_code == 400, (text, response.text)
        body = response.json()
        assert body["diagnostics"][0]["code"] == "RL017"
        assert "encrypted" in body["errors"]["filter"][0]
    response = api.get("patient", params={"sort": "tax_id"})
    assert response.status_code == 400 and "cannot be sorted" in response.text
    key_file = Path(runtime.config.data_dir) / "master.key"  # made on first use, private
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    raw = build_metadata(runtime.app("clinic").model).tables["patient"]
    stored = _stored(runtime, "clinic", "patient")[0]["tax_id"]
    bad = stored[:-3] + ("AAA" if not stored.endswith("AAA") else "BBB")
    with runtime.engines.tenant_connection("clinic", write=True) as conn, conn.begin():
        conn.execute(raw.update().where(raw.c.id == ada), {"tax_id": bad})
    table = runtime.app("clinic").table("patient")
    with (
        runtime.engines.tenant_connection("clinic") as conn,
        pytest.raises(DataKeyError, match="altered"),
    ):
        conn.execute(sa.select(table.c.tax_id).where(table.c.id == ada)).scalar()


def _cli_env(monkeypatch: pytest.MonkeyPatch, config: Any) -> list[str]:
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    return ["--data-dir", str(config.data_dir)]


def test_rotation_reencrypts_keeps_data_readable_and_is_audited(
    api: Api, runtime: Runtime, config: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = _create(api, name="Ada", tax_id="X-1234", notes="n1")
    before = _stored(runtime, "clinic", "patient")[0]["tax_id"]
    done = rotate_keys(runtime, "clinic", actor="test")
    assert done.version == 2 and done.values == 2 and done.history_rows >= 1
    after = _stored(runtime, "clinic", "patient")[0]["tax_id"]
    assert after != before and after.startswith(f"{PREFIX}2:")
    assert api.get(f"patient/{ada}").json()["tax_id"] == "X-1234"
    assert _ids(api, 'tax_id == "X-1234"') == [ada]
    bob = _create(api, name="Bob", tax_id="Q-1")
    assert _stored(runtime, "clinic", "patient")[1]["tax_id"].startswith(f"{PREFIX}2:")
    assert _ids(api, 'tax_id == "Q-1"') == [bob]
    assert runtime.registry.audit.entries(runtime.tenant("clinic").id, action="keys.rotate")
    # the command line, in another runtime: this one reads the new key when told
    args = _cli_env(monkeypatch, config)
    assert main(["keys", "rotate", "clinic", *args]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["version"] == 3 and out["values"] == 3
    runtime.forget("clinic")
    assert _ids(api, 'tax_id == "Q-1"') == [bob]
    assert main(["keys", "rotate", "nope", *args]) == 1
    with runtime.engines.tenant_connection("clinic") as conn:
        versions = conn.execute(sa.select(data_keys_table().c.version)).scalars().all()
    assert sorted(versions) == [1, 2, 3]


def test_master_key_change_needs_previous_then_rotation_rewraps(
    api: Api, runtime: Runtime, config: Any
) -> None:
    ada = _create(api, name="Ada", tax_id="X-1234")
    old = (config.data_dir / "master.key").read_text()
    changed = Runtime(config.with_overrides(master_key="a brand new master key"))
    try:
        with pytest.raises(DataKeyError, match="TRELLIS_MASTER_KEY"):
            changed.app("clinic")
    finally:
        changed.close()
    both = Runtime(
        config.with_overrides(master_key="a brand new master key", master_key_previous=old)
    )
    try:
        rotate_keys(both, "clinic")
    finally:
        both.close()
    only_new = Runtime(config.with_overrides(master_key="a brand new master key"))
    try:
        table = only_new.app("clinic").table("patient")
        with only_new.engines.tenant_connection("clinic") as conn:
            got = conn.execute(sa.select(table.c.tax_id).where(table.c.id == ada)).scalar()
        assert got == "X-1234"
    finally:
        only_new.close()


def test_bad_encrypted_declarations_are_placed_with_their_code(write_package: Any) -> None:
    root = write_package(
        {
            "thing": """
            label: Thing
            search: [code]
            fields:
              code: {type: string, encrypted: true, indexed: trigram}
              amount: {type: integer, encrypted: true}
              secret: {type: string, encrypted: true, default: '"x"'}
            """
        }
    )
    with pytest.raises(MetadataError) as caught:
        load_package(root)
    found = {(d.code, d.span.line, d.span.col) for d in caught.value.errors}
    assert ("MD371", 2, 10) in found, found  # search: [code]
    assert ("MD370", 4, 41) in found, found  # indexed: trigram
    assert ("MD019", 5, 27) in found, found  # encrypted on an integer
    assert ("MD370", 6, 43) in found, found  # default
    assert all(d.span.path.endswith("thing.yaml") for d in caught.value.errors)
    assert {"MD370", "MD371"} <= set(CODES)


def test_backup_keeps_ciphertext_and_restores_readable(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    from trellis.platform.backup.restore import restore_backup
    from trellis.platform.backup.writer import write_backup

    ada = _create(api, name="Ada", tax_id="X-1234", notes="private")
    archive = tmp_path / "clinic.zip"
    write_backup(runtime, "clinic", archive)
    with zipfile.ZipFile(archive) as z:
        text = b"".join(z.read(n) for n in z.namelist() if not n.startswith("package/"))
        assert "internal/_data_keys.jsonl" in z.namelist()
    assert b"X-1234" not in text and b"private" not in text
    restore_backup(runtime, "clinic", archive, as_name="clinic2")
    table = runtime.app("clinic2").table("patient")
    with runtime.engines.tenant_connection("clinic2") as conn:
        found = conn.execute(sa.select(table.c.id).where(table.c.tax_id == "X-1234")).all()
    assert [r.id for r in found] == [ada]
