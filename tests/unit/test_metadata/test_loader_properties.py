"""Property tests: generated entity files load faithfully; typos are placed exactly."""

from __future__ import annotations

import json
import re
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trellis.metadata.loader import validate_package
from trellis.metadata.loader._field_checks import RESERVED_WORDS
from trellis.metadata.model import FIELD_TYPES, STANDARD_COLUMNS

_SCHEMA = json.loads(
    (files("trellis.metadata.loader") / "schemas" / "entity.schema.json").read_text("utf-8")
)
FIELD_KEYS = frozenset(_SCHEMA["$defs"]["field"]["properties"])
ENTITY_KEYS = frozenset(_SCHEMA["properties"])
NUMERIC = ("integer", "decimal", "money", "percent")
NOT_INDEXABLE = ("json", "tags", "multi_enum", "many_to_many", "rich_text", "file")

names = st.from_regex(r"\A[a-z][a-z0-9_]{0,15}\Z").filter(
    lambda n: n not in STANDARD_COLUMNS and n not in RESERVED_WORDS
)
labels = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
labels = labels.map(str.strip).filter(bool)


@st.composite
def field_specs(draw: st.DrawFn, entity: str) -> dict[str, Any]:
    # A pipeline field needs a pipelines/ file; test_flows.py covers it.
    type_name = draw(st.sampled_from(sorted(set(FIELD_TYPES) - {"pipeline"})))
    spec: dict[str, Any] = {"type": type_name}
    if draw(st.booleans()):
        spec["label"] = draw(labels)
    if type_name not in ("autonumber", "file") and draw(st.booleans()):
        spec["required"] = draw(st.booleans())
    if type_name not in NOT_INDEXABLE and draw(st.booleans()):
        spec["unique"] = draw(st.booleans())
    if type_name in ("enum", "multi_enum"):
        options = st.lists(st.from_regex(r"\A[A-Za-z][a-z0-9]{0,9}\Z"), min_size=1, max_size=5)
        spec["options"] = draw(options.map(lambda o: list(dict.fromkeys(o))))
    if type_name == "reference":
        spec["to"] = entity
        spec["on_delete"] = draw(st.sampled_from(["restrict", "cascade"]))
    if type_name == "many_to_many":
        spec["to"] = entity
    if type_name == "any_reference":
        spec["targets"] = [entity]
    if type_name == "string" and draw(st.booleans()):
        spec["max_length"] = draw(st.integers(1, 10_000))
    if type_name in NUMERIC and draw(st.booleans()):
        low = draw(st.integers(-1000, 1000))
        spec["min"], spec["max"] = low, low + draw(st.integers(0, 1000))
    if type_name == "autonumber" and draw(st.booleans()):
        spec["format"] = draw(st.from_regex(r"\A[A-Z]{1,3}-\{n:0[1-9]d\}\Z"))
    return spec


@st.composite
def entities(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(names)
    field_names = draw(st.lists(names, min_size=1, max_size=8, unique=True))
    data: dict[str, Any] = {"entity": name}
    if draw(st.booleans()):
        data["label"] = draw(labels)
    data["fields"] = {f: draw(field_specs(name)) for f in field_names}
    return name, data


def _load(name: str, data: dict[str, Any]) -> tuple[str, Any]:
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "app.yaml").write_text('name: gen\nversion: "1.0"\n', encoding="utf-8")
        (root / "entities").mkdir()
        (root / "entities" / f"{name}.yaml").write_text(text, encoding="utf-8")
        return text, validate_package(root)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entities())
def test_generated_entities_load_with_every_field_and_type(
    generated: tuple[str, dict[str, Any]],
) -> None:
    name, data = generated
    _, result = _load(name, data)
    assert [str(d) for d in result.diagnostics] == []
    entity = result.model.entity(name)
    assert list(entity.fields) == list(data["fields"])
    for field_name, spec in data["fields"].items():
        built = entity.fields[field_name]
        assert built.type == spec["type"]
        assert built.required is spec.get("required", False)
        assert built.label == spec.get("label", built.label)
        assert built.options == tuple(spec.get("options", ()))
        assert built.max_length == spec.get("max_length")


def _mutate(key: str, data: st.DataObject) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz_"
    at = data.draw(st.integers(0, len(key) - 1))
    char = data.draw(st.sampled_from(letters))
    return data.draw(
        st.sampled_from(
            [
                key[:at] + char + key[at:],  # insert
                key[:at] + key[at + 1 :],  # delete
                key[:at] + char + key[at + 1 :],  # replace
                key[:at] + key[at + 1 : at + 2] + key[at] + key[at + 2 :],  # swap
            ]
        )
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entities(), st.data())
def test_a_key_typo_is_an_unknown_key_at_its_line(
    generated: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    name, entity = generated
    field_name = data.draw(st.sampled_from(sorted(entity["fields"])))
    at_root = data.draw(st.booleans())
    mapping = entity if at_root else entity["fields"][field_name]
    known = ENTITY_KEYS if at_root else FIELD_KEYS
    key = data.draw(st.sampled_from(sorted(k for k in mapping if k != "fields")))
    typo = _mutate(key, data)
    assume(typo and typo not in known and typo not in mapping)
    mapping[typo] = mapping.pop(key)
    text, result = _load(name, entity)
    pattern = re.compile(rf"^\s*['\"]?{re.escape(typo)}['\"]?:")
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if pattern.match(line)]
    assume(len(lines) == 1)
    unknown = [d for d in result.diagnostics if d.code == "MD003"]
    assert [d.span.line for d in unknown] == lines
    assert f"unknown key '{typo}'" in unknown[0].message
    assert unknown[0].suggestion is None or unknown[0].suggestion in known
