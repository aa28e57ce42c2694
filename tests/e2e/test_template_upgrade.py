"""Upgrade a customised CRM tenant to a 1.1.0 fixture with one conflict (issue 16, item 7)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trellis.cli import create_tenant, main
from trellis.platform.app_packages.archive import pack
from trellis.platform.app_packages.canonical import canonical_yaml, parse_yaml
from trellis.platform.app_packages.installs import latest_install
from trellis.platform.runtime import Runtime
from trellis.platform.services.bundle import Services
from trellis.seed.crm import PACKAGE_PATH

FIXTURE = Path(__file__).parent / "crm_1_1_0"
ADMIN = "admin@acme.test"
CONFLICT = "entities/account.yaml:fields.website.label"


def _edit(root: Path, path: str, change: Callable[[Any], None]) -> None:
    data = parse_yaml((root / path).read_text(encoding="utf-8"), path)
    change(data)
    (root / path).write_text(canonical_yaml(data), encoding="utf-8")


def _contact(data: Any) -> None:
    data["fields"]["title"]["label"] = "Position"
    data["fields"]["nickname"] = {"type": "string", "max_length": 40}


@pytest.fixture
def cli(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Tenant ``acme``: CRM 1.0.0 installed from a package, then customised by its admin."""
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    args = ["--data-dir", str(runtime.config.data_dir)]
    pack(Path(str(PACKAGE_PATH)), tmp_path / "crm-1.0.0.zip")
    install = ["template", "install", "acme", str(tmp_path / "crm-1.0.0.zip"), "--admin", ADMIN]
    assert main([*install, "--password", "correct horse battery", *args]) == 0
    custom = tmp_path / "custom"
    assert main(["metadata", "export", "acme", str(custom), *args]) == 0
    _edit(custom, "entities/account.yaml", lambda d: d["fields"]["website"].update(label="Site"))
    _edit(custom, "entities/contact.yaml", _contact)
    _edit(custom, "pipelines/deal.yaml", lambda d: d["stages"][2].update(probability=40))
    assert main(["publish", "acme", str(custom), *args]) == 0
    pack(FIXTURE, tmp_path / "crm-1.1.0.zip")
    return args


def test_upgrade_merges_independent_changes_and_blocks_on_the_one_conflict(
    cli: list[str], runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    services = Services(runtime)
    identity = runtime.registry.member_identity("acme", runtime.registry.user_id(ADMIN) or 0)
    assert identity is not None
    call = services.call_as("acme", identity)
    contact = call.app.entities["contact"]
    saved = services.records.create(
        call, contact, {"first_name": "Ada", "last_name": "L", "nickname": "ada"}
    )
    before = runtime.tenant("acme", fresh=True).current_version
    upgrade = ["template", "upgrade", "acme", str(tmp_path / "crm-1.1.0.zip"), *cli]
    capsys.readouterr()

    assert main([*upgrade, "--json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert [c["path"] for c in report["conflicts"]] == [CONFLICT]
    first = report["conflicts"][0]
    base = {"en": "Website", "es": "Sitio web"}
    assert (first["base"], first["theirs"], first["ours"]) == (base, "Homepage", "Site")
    assert report["applied"] is False
    assert runtime.tenant("acme", fresh=True).current_version == before  # nothing applied

    assert main(upgrade) == 3
    assert f"conflict (both changed, UNRESOLVED): {CONFLICT}" in capsys.readouterr().out

    resolutions = tmp_path / "resolutions.yaml"
    resolutions.write_text(f"{CONFLICT}: {{value: Web site}}\n", encoding="utf-8")
    assert main([*upgrade, "--resolutions", str(resolutions), "--dry-run"]) == 0
    assert "Dry run" in capsys.readouterr().out
    assert runtime.tenant("acme", fresh=True).current_version == before

    assert main([*upgrade, "--resolutions", str(resolutions)]) == 0
    app = runtime.app("acme")
    fields = app.model.entities["contact"].fields
    assert {"linkedin", "nickname"} <= set(fields)  # upstream's and the tenant's field
    assert (fields["title"].label, fields["title"].max_length) == ("Position", 150)
    assert app.model.entities["account"].fields["website"].label == "Web site"
    stages = [(s.name, s.probability) for s in app.model.pipelines["deal"].stages]
    assert ("review", 85) in stages and ("proposal", 40) in stages
    install = latest_install(runtime, runtime.tenant("acme", fresh=True))
    assert install is not None and (install.version, install.action) == ("1.1.0", "upgrade")
    info = runtime.tenant("acme", fresh=True)
    (entry,) = runtime.registry.audit.entries(info.id, action="template.upgrade")
    assert entry.detail is not None and entry.detail["from"] == "1.0.0"
    assert [c["resolution"] for c in entry.detail["conflicts"]] == ["edited"]
    after = services.call_as("acme", identity)
    kept = services.records.read(after, after.app.entities["contact"], saved.record["id"])
    assert kept.record["nickname"] == "ada"  # the tenant's data is kept

    assert main(upgrade) == 1  # the same version again is refused
    older = ["template", "upgrade", "acme", str(tmp_path / "crm-1.0.0.zip"), *cli]
    assert main(older) == 1  # and so is a downgrade


def test_a_tenant_created_from_the_template_folder_upgrades_from_its_first_version(
    cli: list[str], runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    create_tenant(runtime, "plain", "crm", ADMIN, None)
    capsys.readouterr()
    package = str(tmp_path / "crm-1.1.0.zip")
    assert main(["template", "upgrade", "plain", package, "--dry-run", "--json", *cli]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["from"], report["conflicts"], report["applied"]) == ("1.0.0", [], False)
    assert "add column" in report["plan"] and "linkedin" in report["plan"]
