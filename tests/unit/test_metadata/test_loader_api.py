"""Public API of the loader: digests, paths, schemas, codes, checker plumbing."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from trellis.metadata.diagnostics import Diagnostic, MetadataError
from trellis.metadata.loader import CODES, load_package, package_digest, validate_package
from trellis.metadata.model import AppModel, DslType, EntityDef, SourceSpan

from metadata_test_support import NameChecker

APP = 'name: demo\nversion: "1.2.3"\n'
CODES_MD = Path(__file__).resolve().parents[3] / "metadata" / "CODES.md"


def _package(root: Path, entities: dict[str, str], app: str = APP) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text(app, encoding="utf-8")
    for name, text in entities.items():
        (root / "entities" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("name", ["app", "entity"])
def test_meta_schemas_are_valid_draft_2020_12(name: str) -> None:
    resource = files("trellis.metadata.loader") / "schemas" / f"{name}.schema.json"
    schema = json.loads(resource.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_codes_table_and_codes_md_agree() -> None:
    documented = set(re.findall(r"^\| (MD\d{3}) \|", CODES_MD.read_text("utf-8"), re.M))
    assert documented == set(CODES)


def test_digest_is_stable_and_follows_content(tmp_path: Path) -> None:
    root = _package(tmp_path / "p", {"deal": "fields:\n  name: {type: string}\n"})
    first = package_digest(root)
    (root / "__pycache__").mkdir()
    (root / "__init__.py").write_text("")
    (root / ".hidden").write_text("x")
    assert package_digest(root) == first == load_package(root).digest
    (root / "entities" / "deal.yaml").write_text("fields:\n  name: {type: text}\n")
    assert package_digest(root) != first
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_digest_of_a_missing_folder_is_md030(tmp_path: Path) -> None:
    with pytest.raises(MetadataError) as caught:
        package_digest(tmp_path / "nope")
    assert caught.value.diagnostics[0].code == "MD030"


def test_paths_in_diagnostics_start_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(tmp_path / "pkgs" / "demo", {"deal": "fields:\n  name: {type: strin}\n"})
    monkeypatch.chdir(tmp_path)
    for given in ("pkgs/demo", "./pkgs/demo/", Path("pkgs") / "demo"):
        (diagnostic,) = validate_package(given).diagnostics
        assert str(diagnostic).startswith("pkgs/demo/entities/deal.yaml:2:16: error MD010:")


def test_version_label_and_requires_come_from_app_yaml(tmp_path: Path) -> None:
    app = APP + "label: Demo app\nrequires: {trellis: '>=0.1'}\n"
    model = load_package(_package(tmp_path, {"deal": "fields: {a: {type: string}}\n"}, app))
    assert (model.version, model.label, dict(model.requires)) == (
        "1.2.3",
        "Demo app",
        {"trellis": ">=0.1"},
    )
    deal = model.entity("deal")
    assert (deal.label, deal.plural_label, deal.fields["a"].label) == ("Deal", "Deals", "A")


def test_timezone_comes_from_app_yaml_and_defaults_to_utc(tmp_path: Path) -> None:
    entities = {"deal": "fields: {a: {type: string}}\n"}
    assert load_package(_package(tmp_path / "a", entities)).timezone == "UTC"
    madrid = load_package(_package(tmp_path / "b", entities, APP + "timezone: Europe/Madrid\n"))
    assert madrid.timezone == "Europe/Madrid"
    wrong = validate_package(_package(tmp_path / "c", entities, APP + "timezone: 3\n"))
    assert [d.code for d in wrong.diagnostics] == ["MD004"]


def test_a_field_that_cannot_be_built_does_not_cascade(tmp_path: Path) -> None:
    entity = "fields:\n  a: {type: intger}\n  b: {type: integer, formula: 'a + 1'}\n"
    result = validate_package(_package(tmp_path, {"deal": entity}), checker=NameChecker())
    assert [d.code for d in result.diagnostics] == ["MD010"]


def test_references_to_an_unreadable_entity_are_not_reported_again(tmp_path: Path) -> None:
    entities = {"deal": "fields:\n  acc: {type: reference, to: account}\n", "account": "a: [\n"}
    result = validate_package(_package(tmp_path, entities))
    assert [d.code for d in result.diagnostics] == ["MD001"]


class RecodedChecker:
    """Returns one metadata-coded and one rule-coded diagnostic."""

    def check(
        self,
        source: str,
        entity: EntityDef,
        model: AppModel,
        *,
        expected: DslType | None,
        span: SourceSpan,
    ) -> list[Diagnostic]:
        return [
            Diagnostic("MD099", "kept as is", span),
            Diagnostic("RL007", "type mismatch", span.shifted(0, 2), "x"),
        ]


def test_checker_diagnostics_become_md020_keeping_the_rule_code(tmp_path: Path) -> None:
    entity = "fields:\n  n: {type: integer, default: '1 + 2'}\n"
    result = validate_package(_package(tmp_path, {"deal": entity}), checker=RecodedChecker())
    assert [str(d).split(":", 3)[1:] for d in result.diagnostics] == [
        ["2", "32", " error MD099: kept as is"],
        ["2", "34", " error MD020: field 'n' default: type mismatch [RL007] (did you mean 'x'?)"],
    ]


def test_plain_number_and_boolean_defaults_become_literals(tmp_path: Path) -> None:
    entity = "fields:\n  n: {type: integer, default: 0}\n  b: {type: boolean, default: true}\n"
    model = load_package(_package(tmp_path, {"deal": entity}))
    assert [f.default for f in model.entity("deal").fields.values()] == ["0", "true"]


def test_not_a_folder_and_missing_app_yaml(tmp_path: Path) -> None:
    assert [d.code for d in validate_package(tmp_path / "nope").diagnostics] == ["MD030"]
    with pytest.raises(MetadataError, match=r"MD030: not a package: app\.yaml is missing"):
        load_package(tmp_path)
